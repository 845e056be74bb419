"""Charts: return an Axes, draw on a given one, survive empty input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from newsdesk.plots import KIND_COLORS, plot_mentions_over_time, plot_top_entities  # noqa: E402

TOP = pd.DataFrame(
    {
        "name": ["Moscow", "Putin", "Kremlin", "Witkoff"],
        "kind": ["place", "person", "organization", "person"],
        "mentions": [12, 9, 7, 3],
        "articles": [5, 4, 5, 2],
    },
    index=pd.RangeIndex(1, 5, name="rank"),
)
COUNTS = pd.DataFrame(
    {"Putin": [3, 1, 0], "Moscow": [1, 1, 2]},
    index=pd.DatetimeIndex(["2025-02-01", "2025-03-01", "2025-04-01"], name="date"),
)
EMPTY_TOP = TOP.iloc[0:0]


def teardown_function(function):
    plt.close("all")


def test_plots_top_entities_returns_axes_with_bars():
    ax = plot_top_entities(TOP)
    assert isinstance(ax, Axes)
    bars = list(ax.containers[0].patches)
    # Biggest at the top: bars are drawn bottom-up in reverse order.
    assert [b.get_width() for b in bars] == [3, 7, 9, 12]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Witkoff", "Kremlin", "Putin",
                                                             "Moscow"]
    assert matplotlib.colors.to_hex(bars[-1].get_facecolor()) == KIND_COLORS["place"]
    legend = ax.get_legend()
    assert legend is not None
    assert sorted(t.get_text() for t in legend.get_texts()) == ["organization", "person",
                                                                "place"]
    assert ax.get_title() == "Most-mentioned"


def test_plots_top_entities_draws_on_given_ax():
    fig, ax = plt.subplots()
    result = plot_top_entities(TOP, ax=ax, title="People")
    assert result is ax
    assert len(fig.axes) == 1
    assert ax.get_title() == "People"
    assert plt.get_fignums() == [fig.number]  # no extra figure was created


def test_plots_top_entities_empty():
    ax = plot_top_entities(EMPTY_TOP)
    assert isinstance(ax, Axes)
    assert len(ax.containers[0].patches) == 0
    assert ax.get_legend() is None


def test_plots_mentions_over_time_one_line_per_entity():
    ax = plot_mentions_over_time(COUNTS, title="Over time")
    assert isinstance(ax, Axes)
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["Putin", "Moscow"]
    assert list(lines[0].get_ydata()) == [3, 1, 0]
    assert ax.get_title() == "Over time"


def test_plots_mentions_over_time_draws_on_given_ax():
    fig, ax = plt.subplots()
    assert plot_mentions_over_time(COUNTS, ax=ax) is ax
    assert len(ax.get_lines()) == 2
    assert plt.get_fignums() == [fig.number]


@pytest.mark.parametrize("given_ax", [False, True])
def test_plots_mentions_over_time_empty(given_ax):
    ax_in = plt.subplots()[1] if given_ax else None
    ax = plot_mentions_over_time(pd.DataFrame(), ax=ax_in)
    assert isinstance(ax, Axes)
    if given_ax:
        assert ax is ax_in
    assert ax.get_lines() == []
    assert [t.get_text() for t in ax.texts] == ["no dated mentions to plot"]
    assert not ax.axison


@pytest.mark.parametrize(("freq", "periods"), [
    ("MS", 1), ("MS", 3), ("MS", 11), ("MS", 24), ("MS", 72),
    ("W-MON", 2), ("W-MON", 9), ("W-MON", 104),
    ("D", 1), ("D", 2), ("D", 60), ("D", 731),
])
def test_plots_mentions_over_time_date_labels_never_collide(freq: str, periods: int):
    """Readable for any span: a few ticks, none overlapping the next, none below a day
    (the explorer's chart size, eight entities with long names in the legend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    index = pd.date_range("2025-02-03", periods=periods, freq=freq)
    counts = pd.DataFrame({f"An entity with a long name {i}": range(periods)
                           for i in range(8)}, index=index)
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = plot_mentions_over_time(counts, ax=fig.subplots())
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    assert 3 <= len(labels) <= 9, [t.get_text() for t in labels]
    boxes = sorted((t.get_window_extent(canvas.get_renderer()) for t in labels),
                   key=lambda b: b.x0)
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False)), [
        t.get_text() for t in labels]
    assert not any(":" in t.get_text() for t in labels)  # no hours
    low, high = (matplotlib.dates.num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
    assert low <= index[0] and index[-1] <= high
    assert high - low < pd.Timedelta(days=max(60, 3 * (index[-1] - index[0]).days))
