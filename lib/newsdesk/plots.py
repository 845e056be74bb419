"""matplotlib charts: each takes ``ax=None`` and returns the Axes; nothing calls plt.show()."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

KIND_COLORS = {
    "person": "#1f77b4",
    "organization": "#ff7f0e",
    "place": "#2ca02c",
    "group": "#9467bd",
    "other": "#7f7f7f",
}


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def plot_top_entities(top: pd.DataFrame, *, ax: Axes | None = None, title: str = "") -> Axes:
    """Horizontal bars of mentions per entity, coloured by kind (``top`` from top_entities)."""
    ax = _axes(ax, (7, max(2.0, 0.35 * len(top) + 1)))
    ordered = top.iloc[::-1]
    colors = [KIND_COLORS.get(k, KIND_COLORS["other"]) for k in ordered["kind"]]
    ax.barh(ordered["name"], ordered["mentions"], color=colors)
    ax.set_xlabel("mentions")
    ax.set_title(title or "Most-mentioned")
    for kind in dict.fromkeys(ordered["kind"]):
        ax.bar(0, 0, color=KIND_COLORS.get(kind, KIND_COLORS["other"]), label=kind)
    if len(top):
        ax.legend(loc="lower right", frameon=False)
    return ax


def plot_mentions_over_time(
    counts: pd.DataFrame, *, ax: Axes | None = None, title: str = "", ylabel: str = "mentions"
) -> Axes:
    """One line per entity over periods (``counts`` from mentions_over_time)."""
    ax = _axes(ax, (9, 4.5))
    if counts.empty:
        ax.text(0.5, 0.5, "no dated mentions to plot", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    for name in counts.columns:
        ax.plot(counts.index, counts[name], marker="o", label=name)
    if isinstance(counts.index, pd.DatetimeIndex):
        _date_axis(ax, counts.index)
    ax.set_ylabel(ylabel)
    ax.set_title(title or "Mentions over time")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.grid(alpha=0.3)
    return ax


#: The shortest span a time axis shows (one period alone would get years, a few days hours).
MIN_DATE_SPAN = pd.Timedelta(days=14)


def _date_axis(ax: Axes, dates: pd.DatetimeIndex) -> None:
    """Date ticks that stay readable for any span of days, weeks, months or years: a few
    ticks at round dates, labelled concisely ("Mar", "15", the year where it changes)."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    short = MIN_DATE_SPAN - (dates.max() - dates.min())
    if short > pd.Timedelta(0):  # a few days at least, so ticks stay at whole days
        ax.set_xlim(dates.min() - short / 2, dates.max() + short / 2)


def plot_heatmap(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str = "",
    transpose: bool = False,
    cmap: str = "Blues",
) -> Axes:
    """A labelled heatmap of a numeric table (entity-by-period counts, co-occurrence matrix),
    with each cell's value written in it."""
    data = table.T if transpose else table
    ax = _axes(ax, (max(5.0, 0.6 * data.shape[1] + 3), max(3.0, 0.4 * data.shape[0] + 1.5)))
    if data.empty:
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    values = data.to_numpy(dtype=float)
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    ax.set_xticks(range(data.shape[1]), [_label(c) for c in data.columns], rotation=45,
                  ha="right")
    ax.set_yticks(range(data.shape[0]), [_label(i) for i in data.index])
    high = float(pd.Series(values.ravel()).max()) if values.size else 0.0
    for (row, col), value in pd.DataFrame(values).stack().items():
        if value and not pd.isna(value):
            text = f"{value:.0%}" if high <= 1 and value < 1 else f"{value:g}"
            ax.text(col, row, text, ha="center", va="center", fontsize=8,
                    color="white" if value > high * 0.6 else "black")
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(title)
    return ax


def _label(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def plot_network(pairs: pd.DataFrame, *, ax: Axes | None = None, title: str = "",
                 n: int = 20) -> Axes:
    """Entities on a circle, joined by lines as thick as how often they appear together
    (``pairs`` from cooccurrence; the ``n`` strongest pairs are drawn)."""
    import math

    ax = _axes(ax, (7, 7))
    ax.set_axis_off()
    top = pairs.head(n)
    if top.empty:
        ax.text(0.5, 0.5, "no pairs to draw", ha="center", va="center", transform=ax.transAxes)
        return ax
    names = list(dict.fromkeys([*top["a"], *top["b"]]))
    kinds = dict(zip(top["a"], top["kind_a"], strict=True)) | dict(
        zip(top["b"], top["kind_b"], strict=True))
    angle = {name: 2 * math.pi * i / len(names) for i, name in enumerate(names)}
    pos = {name: (math.cos(a), math.sin(a)) for name, a in angle.items()}
    strongest = float(top["together"].max())
    for row in top.itertuples(index=False):
        (x1, y1), (x2, y2) = pos[row.a], pos[row.b]
        ax.plot([x1, x2], [y1, y2], color="#888", alpha=0.6,
                linewidth=0.8 + 5 * row.together / strongest, zorder=1)
    weight = pd.concat([top.groupby("a")["together"].sum(), top.groupby("b")["together"].sum()])
    weight = weight.groupby(level=0).sum()
    for name, (x, y) in pos.items():
        ax.scatter([x], [y], s=80 + 400 * weight[name] / weight.max(), zorder=2,
                   color=KIND_COLORS.get(kinds.get(name, "other"), KIND_COLORS["other"]))
        ax.annotate(name, (x, y), xytext=(x * 1.12, y * 1.12), ha="center", va="center",
                    fontsize=9)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.4, 1.4)
    ax.set_title(title or "Who appears with whom")
    return ax


def plot_articles_by_month(by_month: pd.DataFrame, *, ax: Axes | None = None,
                           title: str = "") -> Axes:
    """Bars of counted articles per month (``by_month`` from articles_by_month; the
    articles dated by year only or not at all are left out, and said so)."""
    from newsdesk.analysis import is_month

    months = by_month[[is_month(m) for m in by_month.index]]
    left_out = int(by_month["articles"].sum() - months["articles"].sum())
    ax = _axes(ax, (max(6.0, min(14.0, 0.3 * len(months) + 3)), 3.2 if len(months) else 0.6))
    if months.empty:
        ax.text(0.5, 0.5, "no article dated to the month", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    ax.bar(range(len(months)), months["articles"], color=KIND_COLORS["person"])
    step = max(1, len(months) // 24)
    ticks = list(range(0, len(months), step))
    ax.set_xticks(ticks, [months.index[i] for i in ticks], rotation=45, ha="right")
    ax.set_ylabel("articles")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title or "Articles by month")
    if left_out:
        ax.annotate(f"not shown: {left_out:,} dated by year only or undated",
                    (1, 1.01), xycoords="axes fraction", ha="right", va="bottom", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return ax
