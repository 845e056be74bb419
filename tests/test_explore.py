"""The interactive explorer: real ipywidgets on the sample store; set ``.value``, see what
is shown change. Article text is untrusted: nothing of it reaches an HTML widget unescaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from newsdesk import Explorer
from newsdesk.config import NOTEBOOKS_DIR
from newsdesk.explore import kwic, month_range
from newsdesk.store import Workbook

pytestmark = pytest.mark.slow

DMITRIEV = "person/kirill-dmitriev"
PNG = b"\x89PNG\r\n\x1a\n"
PAYLOAD = (
    "Vladimir Putin met Steve Witkoff in Moscow on Tuesday, the Kremlin said. "
    "<script>window.__pwned = 1; document.title = 'PWNED'</script> "
    "Putin said <img src=x onerror=\"window.__pwned = 2; document.title = 'PWNED'\"> "
    "and <a href=\"javascript:window.__pwned = 3\">click here</a> and </textarea>"
    "<svg onload=\"window.__pwned = 4\"></svg> with Witkoff.\n"
)


@pytest.fixture
def explorer(sample_db: Path) -> Explorer:
    return Explorer(Workbook(sample_db))


def _entity_id(explorer: Explorer, name: str) -> str:
    return dict((label.split(" (")[0], value) for label, value in
                (*explorer.actors.options, *explorer.places.options))[name]


def test_explore_default_charts_the_top_entities(explorer: Explorer):
    assert bytes(explorer.chart.value).startswith(PNG)
    assert 0 < len(explorer.counts.columns) <= explorer.top_n
    assert "Vladimir Putin" in explorer.counts.columns
    assert len(explorer.kwic_rows) == int(explorer.counts.to_numpy().sum())
    assert "<table" in explorer.kwic.value
    assert len(explorer.article.options) == 5
    assert explorer.article.value and explorer.profile.value


def test_explore_choosing_an_actor_updates_chart_kwic_and_articles(explorer: Explorer):
    before_png, before_articles = explorer.chart.value, explorer.article.options
    explorer.actors.value = (DMITRIEV,)
    assert list(explorer.counts.columns) == ["Kirill Dmitriev"]
    assert explorer.chart.value != before_png
    assert set(explorer.kwic_rows["entity"]) == {"Kirill Dmitriev"}
    assert {"Dmitriev", "Dmitriyev"} <= set(explorer.kwic_rows["keyword"])
    assert "<mark title='Kirill Dmitriev'>Dmitriyev</mark>" in explorer.kwic.value
    assert int(explorer.counts.to_numpy().sum()) == len(explorer.kwic_rows)
    ids = [value for _, value in explorer.article.options]
    assert ids and set(ids) == set(explorer.kwic_rows["article_id"])
    explorer.actors.value = (_entity_id(explorer, "Dmitry Peskov"),)
    assert list(explorer.counts.columns) == ["Dmitry Peskov"]
    fewer = {value for _, value in explorer.article.options}
    assert fewer == set(explorer.kwic_rows["article_id"])
    assert len(fewer) < len(before_articles)


def test_explore_kwic_rows_are_the_sentences_as_read(explorer: Explorer):
    explorer.actors.value = (DMITRIEV,)
    row = explorer.kwic_rows.iloc[0]
    article = explorer.wb.article(row["article_id"])
    context = row["left"].lstrip("…") + row["keyword"] + row["right"].rstrip("…")
    assert context in re.sub(r"\s+", " ", article["text"])


def test_explore_places_and_kinds(explorer: Explorer):
    moscow = _entity_id(explorer, "Moscow")
    explorer.places.value = (moscow,)
    explorer.actors.value = (DMITRIEV,)
    assert set(explorer.counts.columns) == {"Moscow", "Kirill Dmitriev"}
    explorer.kinds.value = ("place",)
    assert list(explorer.counts.columns) == ["Moscow"]
    assert set(explorer.kwic_rows["entity"]) == {"Moscow"}
    explorer.actors.value, explorer.places.value = (), ()
    assert len(explorer.counts.columns) > 1
    kinds = explorer.wb.entities.set_index("name")["kind"]
    assert {kinds[name] for name in explorer.counts.columns} == {"place"}


def test_explore_period_and_frequency(explorer: Explorer):
    explorer.actors.value = (DMITRIEV,)
    monthly = explorer.counts
    explorer.freq.value = "week"
    assert len(explorer.counts) > len(monthly)
    assert explorer.counts.to_numpy().sum() == monthly.to_numpy().sum()
    explorer.period.value = ("2025-12", "2025-12")
    assert explorer.counts.index.min() >= pd.Timestamp("2025-12-01")
    december = {"000_0d5ff83f0b58c3c9", "001_0ee90b599d5ec9b8"}
    assert set(explorer.kwic_rows["article_id"]) <= december
    assert {value for _, value in explorer.article.options} <= december
    explorer.actors.value = ()
    explorer.period.value = ("2025-05", "2025-07")  # no article in these months
    assert explorer.counts.empty
    assert "No mentions" in explorer.kwic.value
    assert bytes(explorer.chart.value).startswith(PNG)


def test_explore_picking_an_article_shows_its_profile(explorer: Explorer):
    first = explorer.profile.value
    target = explorer.article.options[-1][1]
    explorer.article.value = target
    article = explorer.wb.article(target)
    assert explorer.profile.value != first
    assert "Who said what" in explorer.profile.value
    assert "<mark" in explorer.profile.value
    words = " ".join(article["text"].split()[:6])
    assert words.split()[0] in explorer.profile.value


def test_explore_helpers():
    assert month_range(["2025-11", "2025-02", "2025-12"])[:2] == ["2025-02", "2025-03"]
    assert len(month_range(["2025-11", "2026-01"])) == 3
    mentions = pd.DataFrame([{"article_id": "a", "name": "X", "text": "X", "start": 4,
                              "end": 5, "sentence": "Say X now.", "sent_start": 0}])
    assert kwic(mentions).iloc[0][["left", "keyword", "right"]].tolist() == ["Say ", "X", " now."]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _assert_inert(fragment: str) -> None:
    parser = _Tags()
    parser.feed(fragment)
    tags = parser.tags
    assert not [t for t, _ in tags if t in ("script", "svg", "a", "img", "iframe", "textarea")]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert "javascript:" not in " ".join(str(v) for _, attrs in tags for v in attrs.values())


def test_explore_shows_untrusted_article_text_escaped(tmp_path: Path, sample_db: Path):
    from newsdesk.ingest import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.txt").write_text("Putin <b>meets</b> Witkoff\n\n" + PAYLOAD,
                                     encoding="utf-8")
    db = tmp_path / "evil.duckdb"
    ingest(corpus, db=db, progress=False)
    explorer = Explorer(Workbook(db))
    explorer.article.value = "evil"
    for widget in (explorer.kwic, explorer.profile, explorer.status):
        _assert_inert(widget.value)
    assert "&lt;script&gt;window.__pwned = 1" in explorer.profile.value
    assert "onerror=" in explorer.profile.value  # shown, as text
    assert len(explorer.kwic_rows) and "<script" not in explorer.kwic.value


def test_explore_notebook_runs_headless(sample_db: Path, tmp_path: Path):
    """The notebook itself executes (papermill) on the sample store and shows the widget."""
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "explore.ipynb"), str(out),
                        parameters={"db": str(sample_db)}, progress_bar=False,
                        cwd=str(tmp_path), kernel_name="python3")
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in outputs)
