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
from newsdesk.explore import fold, kwic, kwic_html, match_entities, month_range, plural
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
    (entity_id,) = explorer.wb.entities.loc[explorer.wb.entities["name"] == name, "entity_id"]
    return entity_id


def _names(widget) -> list[str]:
    return [label.split(" (")[0] for label, _ in widget.options]


def test_explore_default_charts_the_top_entities(explorer: Explorer):
    assert bytes(explorer.chart.value).startswith(PNG)
    assert len(explorer.counts.columns) == explorer.top_n
    assert "Vladimir Putin" in explorer.counts.columns
    assert len(explorer.selection) == int(explorer.counts.to_numpy().sum())
    assert len(explorer.kwic_rows) == min(len(explorer.selection), explorer.max_rows)
    assert "<table" in explorer.kwic.value
    assert len(explorer.article.options) == 5
    assert explorer.article.value and explorer.profile.value
    assert explorer.status.value == (
        f"<p>{len(explorer.selection)} mentions of 8 entities in 5 of 5 articles in the "
        "period.</p>")


def test_explore_lists_the_most_mentioned_until_you_type(sample_db: Path):
    explorer = Explorer(Workbook(sample_db), list_size=5)
    entities = explorer.wb.entities.sort_values(["mentions", "name"], ascending=[False, True])
    actors = entities[entities["kind"].isin(["person", "organization", "group"])]
    assert _names(explorer.actors) == list(actors["name"].head(5))
    assert _names(explorer.places) == list(entities[entities["kind"] == "place"]["name"][:5])
    assert "The most-mentioned: 5 of" in explorer.matches.value
    chart = explorer.chart.value
    explorer.search.value = "dmitriyev"  # an alias, any case
    assert _names(explorer.actors) == ["Kirill Dmitriev"] and _names(explorer.places) == []
    assert "1 actor matches and 0 places match" in explorer.matches.value
    assert explorer.chart.value == chart  # typing filters the lists, nothing else
    explorer.search.value = "  KIR  dmit "  # every word, anywhere in the name
    assert _names(explorer.actors) == ["Kirill Dmitriev"]
    explorer.search.value = "mos"
    assert "Moscow" in _names(explorer.places)
    explorer.search.value = ""
    assert len(explorer.actors.options) == len(explorer.places.options) == 5


def test_explore_chosen_entities_stay_while_searching_for_more(explorer: Explorer):
    dmitriev, peskov = DMITRIEV, _entity_id(explorer, "Dmitry Peskov")
    explorer.search.value = "dmitriev"
    explorer.actors.value = (dmitriev,)
    explorer.search.value = "peskov"
    assert explorer.actors.value == (dmitriev,)
    assert _names(explorer.actors) == ["Kirill Dmitriev", "Dmitry Peskov"]
    assert list(explorer.counts.columns) == ["Kirill Dmitriev"]
    explorer.actors.value = (dmitriev, peskov)
    assert set(explorer.counts.columns) == {"Kirill Dmitriev", "Dmitry Peskov"}
    assert explorer.status.value.startswith(
        f"<p>{len(explorer.selection)} mentions of 2 entities in ")


def test_explore_choosing_an_actor_updates_chart_kwic_and_articles(explorer: Explorer):
    before_png, before_articles = explorer.chart.value, explorer.article.options
    explorer.actors.value = (DMITRIEV,)
    assert list(explorer.counts.columns) == ["Kirill Dmitriev"]
    assert explorer.chart.value != before_png
    assert set(explorer.kwic_rows["entity"]) == {"Kirill Dmitriev"}
    assert {"Dmitriev", "Dmitriyev"} <= set(explorer.kwic_rows["keyword"])
    assert "<mark title='Kirill Dmitriev'>Dmitriyev</mark>" in explorer.kwic.value
    assert int(explorer.counts.to_numpy().sum()) == len(explorer.kwic_rows)
    assert explorer.status.value.startswith(
        f"<p>{len(explorer.kwic_rows)} mentions of 1 entity in ")
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
    for kind in ("person", "organization", "group"):
        explorer.kinds[kind].value = False
    assert explorer.selected_kinds() == ["place"]
    assert list(explorer.counts.columns) == ["Moscow"]
    assert set(explorer.kwic_rows["entity"]) == {"Moscow"}
    assert _names(explorer.actors) == ["Kirill Dmitriev"]  # chosen: kept, nothing else
    explorer.actors.value, explorer.places.value = (), ()
    assert len(explorer.counts.columns) > 1
    kinds = explorer.wb.entities.set_index("name")["kind"]
    assert {kinds[name] for name in explorer.counts.columns} == {"place"}
    explorer.kinds["place"].value = False
    assert explorer.counts.empty
    assert explorer.actors.options == explorer.places.options == ()
    assert "<p>0 mentions of 0 entities in 0 of 5 articles" in explorer.status.value
    explorer.kinds["organization"].value = True
    assert {kinds[name] for name in _names(explorer.actors)} == {"organization"}
    assert {kinds[name] for name in explorer.counts.columns} == {"organization"}


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


def test_explore_lists_and_tables_are_capped(sample_db: Path):
    explorer = Explorer(Workbook(sample_db), max_rows=10, max_articles=2, list_size=3)
    assert len(explorer.selection) > 10 and len(explorer.kwic_rows) == 10
    assert f"{len(explorer.selection)} mentions; the first 10 are shown." in explorer.kwic.value
    assert explorer.kwic.value.count("<tr>") == 11  # and the header
    assert len(explorer.article.options) == 2
    assert "The article list shows the first 2." in explorer.status.value
    assert len(explorer.actors.options) == len(explorer.places.options) == 3


def test_explore_helpers():
    assert month_range(["2025-11", "2025-02", "2025-12"])[:2] == ["2025-02", "2025-03"]
    assert len(month_range(["2025-11", "2026-01"])) == 3
    mentions = pd.DataFrame([{"article_id": "a", "name": "X", "text": "X", "start": 4,
                              "end": 5, "sentence": "Say X now.", "sent_start": 0}])
    assert kwic(mentions).iloc[0][["left", "keyword", "right"]].tolist() == ["Say ", "X", " now."]


@pytest.mark.parametrize(("n", "noun", "nouns", "expected"), [
    (1, "entity", "", "1 entity"), (24, "entity", "", "24 entities"),
    (0, "mention", "", "0 mentions"), (1, "mention", "", "1 mention"),
    (1200, "article", "", "1,200 articles"), (2, "day", "", "2 days"),
    (3, "match", "matches", "3 matches"),
])
def test_explore_plural(n: int, noun: str, nouns: str, expected: str):
    assert plural(n, noun, nouns) == expected


def test_explore_match_entities():
    entities = pd.DataFrame({
        "name": ["Volodymyr Zelensky", "Pedro Sánchez", "Kyiv", "Zelensky Foundation"],
        "kind": ["person", "person", "place", "organization"],
        "aliases": [["Zelenskyy", "Zelenskiy"], None, ["Kiev"], []],
    })

    def names(query: str, kinds=("person", "organization", "place")) -> list[str]:
        return list(match_entities(entities, query, kinds=kinds)["name"])

    assert names("") == list(entities["name"])
    assert names("zelenskyy") == ["Volodymyr Zelensky"]  # an alias
    assert names("ZELENSK") == ["Volodymyr Zelensky", "Zelensky Foundation"]
    assert names("zelensk found") == ["Zelensky Foundation"]  # every word
    assert names("sanchez") == names("Sánchez") == ["Pedro Sánchez"]
    assert names("kiev") == ["Kyiv"] and names("kiev", kinds=("person",)) == []
    assert names("nobody") == []
    assert fold("Sánchez") == "sanchez"


def test_explore_kwic_table_fits_its_panel():
    """Fixed columns of the panel's width, each clipped: no row can widen the table."""
    table = pd.DataFrame([{"article_id": "a", "entity": "X", "left": "word " * 30,
                           "keyword": "X", "right": " word" * 30}])
    page = kwic_html(table, {"a": "A title <b>bold</b>"}, total=3)
    assert "table-layout: fixed; width: 100%" in page
    assert page.count("<col style='width:") == 4
    assert "white-space: nowrap" in page and "text-overflow: ellipsis" in page
    assert "<p>3 mentions; the first 1 are shown.</p>" in page
    assert "A title &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<p>1 mention.</p>" in kwic_html(table, {})


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
                        cwd=str(tmp_path))  # in the kernel its metadata names (newsdesk)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in outputs)
