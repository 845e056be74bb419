"""Names in any script never break resolution: a name in Arabic, Cyrillic, Greek or CJK
script, or one made only of digits or punctuation, is kept as written (or set aside), never
an exception, and two such names never collapse into one entity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from newsdesk.entities import person_index_row
from newsdesk.resolution import resolve

RAW_COLUMNS = ["article_id", "start", "end", "text", "label", "sentence", "sent_start",
               "sent_end", "in_title", "in_heading"]
#: (name, spaCy label) inside an English sentence each.
NAMES = [
    ("محمد بن سلمان", "PERSON"), ("عبد الله الثاني", "PERSON"), ("جامعة القاهرة", "ORG"),
    ("Владимир Путин", "PERSON"), ("Сергей Лавров", "PERSON"), ("Газпром", "ORG"),
    ("Κυριάκος Μητσοτάκης", "PERSON"), ("Αθήνα", "GPE"),
    ("习近平", "PERSON"), ("李强", "PERSON"), ("金正恩", "PERSON"), ("北京大学", "ORG"),
    ("1984", "ORG"), ("2024", "PERSON"), ("!!!", "PERSON"), ("...", "ORG"), ("-", "PERSON"),
]


def raw_mentions(names: list[tuple[str, str]]) -> pd.DataFrame:
    rows, text = [], ""
    for name, label in names:
        sentence = f"Officials said that {name} attended the meeting."
        start = len(text) + sentence.index(name)
        rows.append(("a1", start, start + len(name), name, label, sentence, len(text),
                     len(text) + len(sentence), False, False))
        text += sentence + " "
    return pd.DataFrame(rows, columns=RAW_COLUMNS)


def test_entities_names_in_any_script_resolve_as_written():
    result = resolve(raw_mentions(NAMES))
    entities = result.entities.set_index("name")
    for name in ("محمد بن سلمان", "عبد الله الثاني", "Владимир Путин", "Сергей Лавров",
                 "Κυριάκος Μητσοτάκης", "习近平", "李强", "金正恩", "北京大学", "Газпром"):
        assert name in entities.index, name
    assert entities["entity_id"].is_unique  # no two names share an id
    assert entities.loc["Владимир Путин", "entity_id"] == "person/владимир-путин"
    assert entities.loc["习近平", "kind"] == "person"
    assert set(result.mentions["entity_id"]) <= set(entities["entity_id"])


def test_entities_surname_in_cyrillic_links_to_the_full_name():
    result = resolve(raw_mentions([("Владимир Путин", "PERSON"), ("Путин", "PERSON")]))
    assert list(result.entities["name"]) == ["Владимир Путин"]
    assert result.entities.iloc[0]["mentions"] == 2


@pytest.mark.parametrize("name", ["!!!", "...", "-", "", "1984", "习近平", "محمد"])
def test_entities_person_index_row_never_fails(name):
    row = person_index_row(name)  # None: nothing to index (no two words of a name)
    assert row is None or (row[0].startswith("person:") and all(isinstance(p, str)
                                                                for p in row))


ARTICLE = (
    "Leaders Meet in Cairo\n\n"
    "Officials said on Tuesday that Mohammed al-Hashimi met Ahmad Shah in Cairo. The talks "
    "included Владимир Путин and Сергей Лавров from Moscow, and Κυριάκος Μητσοτάκης of Greece."
    "\n\nLater, Владимир Путин told reporters that the talks went well. \"We agreed on many "
    "things,\" Путин said, adding that Лавров would travel to Athens.\n\n"
    "The Chinese delegation was led by 习近平, with 李强 and 王毅. A spokesman for "
    "محمد بن سلمان said the Saudi side welcomed the talks, and 金正恩 sent a message.\n\n"
    "A statement signed by 123 and by \"!!!\" was also released.\n"
)


@pytest.mark.slow
def test_entities_names_in_any_script_ingest_text_and_html(tmp_path: Path):
    from newsdesk.ingest import ingest
    from newsdesk.store import Store

    text_folder, page_folder = tmp_path / "text", tmp_path / "page"
    text_folder.mkdir()
    page_folder.mkdir()
    (text_folder / "cairo.txt").write_text(ARTICLE, encoding="utf-8")
    paragraphs = ARTICLE.split("\n\n")
    (page_folder / "cairo-page.html").write_text(
        "<!DOCTYPE html><html><head><title>" + paragraphs[0] + "</title>"
        '<meta property="og:site_name" content="The Courier"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>"
        + paragraphs[0] + "</h1>" + "".join(f"<p>{p.strip()}</p>" for p in paragraphs[1:])
        + "</article><footer>Contact us</footer></body></html>", encoding="utf-8")
    for folder in (text_folder, page_folder):
        db = folder / "s.duckdb"
        assert ingest(folder, db=db, progress=False).parsed == 1
        with Store(db, read_only=True) as store:
            articles = store.table("articles")
            entities = store.table("entities")
        assert list(articles["status"]) == ["ok"]
        assert {"Владимир Путин", "Сергей Лавров", "Κυριάκος Μητσοτάκης"} <= set(
            entities["name"])
        assert entities["entity_id"].is_unique
        putin = entities.loc[entities["name"] == "Владимир Путин"].iloc[0]
        assert "Путин" in list(putin["aliases"]) and putin["mentions"] >= 2
    assert list(articles["source"]) == ["The Courier"]  # the page's, through trafilatura
