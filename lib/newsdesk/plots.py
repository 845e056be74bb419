"""matplotlib charts: each takes ``ax=None`` and returns the Axes; nothing calls plt.show()."""

from __future__ import annotations

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
    counts: pd.DataFrame, *, ax: Axes | None = None, title: str = ""
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
    ax.set_ylabel("mentions")
    ax.set_title(title or "Mentions over time")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.grid(alpha=0.3)
    return ax
