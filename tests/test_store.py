"""The DuckDB store: per-article replace, cache keys, read-only access, Workbook."""

from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd
import pytest

from newsdesk.ingest import resolve_store
from newsdesk.store import (
    PER_ARTICLE_COLUMNS,
    ArticleRecord,
    Store,
    StoreError,
    Workbook,
    now,
    to_records_json,
)

RAW_COLUMNS = PER_ARTICLE_COLUMNS["raw_mentions"]
ROLE_COLUMNS = PER_ARTICLE_COLUMNS["raw_roles"]
QUOTE_COLUMNS = PER_ARTICLE_COLUMNS["raw_quotes"]
SENTENCE_COLUMNS = PER_ARTICLE_COLUMNS["sentences"]
REMOVED_COLUMNS = PER_ARTICLE_COLUMNS["removed"]
ARTICLE_CONTRACT = [
    "article_id", "path", "title", "source", "url", "published", "published_precision",
    "date_basis", "words", "status", "problems",
]
TEXT = "Putin met Witkoff in Moscow. The Kremlin said little."


def record(article_id: str, *, content_hash: str = "h1", fp: str = "fp1",
           mentions: tuple[tuple[int, int, str, str], ...] = ((0, 5, "Putin", "PERSON"),),
           title: str = "A title", problems: tuple[str, ...] = ()) -> ArticleRecord:
    row = {
        "article_id": article_id, "path": f"/corpus/{article_id}.txt", "title": title,
        "title_basis": "heading", "source": "Wire", "url": None, "published": "2025-04-02",
        "published_precision": "day", "date_basis": "metadata", "note": None,
        "words": len(TEXT.split()), "status": "ok", "problems": list(problems),
        "content_hash": content_hash, "fingerprint": fp, "meta_hash": f"m-{article_id}",
        "text": TEXT, "ingested_at": now(),
    }
    raw = pd.DataFrame(
        [{"article_id": article_id, "start": s, "end": e, "text": t, "label": label,
          "sentence": TEXT[:28], "sent_start": 0, "sent_end": 28, "in_title": False,
          "in_heading": False}
         for s, e, t, label in mentions],
        columns=RAW_COLUMNS,
    )
    roles = pd.DataFrame([(article_id, 0, 5, "leader", 0, 5, "title")], columns=ROLE_COLUMNS)
    sentences = pd.DataFrame([(article_id, 0, 28), (article_id, 29, len(TEXT))],
                             columns=SENTENCE_COLUMNS)
    removed = pd.DataFrame([(article_id, 0, 3, "Put", "test reason")], columns=REMOVED_COLUMNS)
    quotes = pd.DataFrame([(article_id, 0, 5, "direct", "say", "name", "Putin", 0, 5, 0, "Putin",
                            TEXT[:28], 0)], columns=QUOTE_COLUMNS)
    timex = pd.DataFrame(columns=["article_id", "start", "end", "text", "label", "sentence"])
    return ArticleRecord(row=row, raw_mentions=raw, raw_roles=roles, raw_quotes=quotes,
                         raw_timex=timex, sentences=sentences, removed=removed)


def count(store: Store, table: str, article_id: str) -> int:
    return int(store.query(f"SELECT count(*) AS n FROM {table} WHERE article_id = ?",
                           [article_id])["n"].iloc[0])


def test_store_write_article_twice_replaces_rows(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        store.write_article(record("a1"))
        store.write_article(record("b2"))
        store.write_article(record(
            "a1", content_hash="h2", title="New title",
            mentions=((0, 5, "Putin", "PERSON"), (21, 27, "Moscow", "GPE")),
        ))
        assert count(store, "articles", "a1") == 1
        assert count(store, "raw_mentions", "a1") == 2
        assert count(store, "sentences", "a1") == 2
        assert count(store, "raw_roles", "a1") == 1
        assert count(store, "removed", "a1") == 1
        assert count(store, "raw_mentions", "b2") == 1  # other articles untouched
        titles = store.table("articles").set_index("article_id")["title"]
        assert titles.to_dict() == {"a1": "New title", "b2": "A title"}


def test_store_failed_write_rolls_back(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        store.write_article(record("a1"))
        bad = record("a1", content_hash="h2")
        broken = dataclasses.replace(bad, raw_mentions=bad.raw_mentions.assign(bogus_column=1))
        with pytest.raises(duckdb.Error):
            store.write_article(broken)
        assert store.cache_keys() == {"a1": ("h1", "fp1", "m-a1")}
        assert count(store, "raw_mentions", "a1") == 1


def test_store_cache_keys(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        assert store.cache_keys() == {}
        store.write_article(record("a1", content_hash="ha", fp="fpA"))
        store.write_article(record("b2", content_hash="hb", fp="fpB"))
        store.write_article(record("a1", content_hash="ha2", fp="fpA"))
        assert store.cache_keys() == {"a1": ("ha2", "fpA", "m-a1"), "b2": ("hb", "fpB", "m-b2")}


def test_store_persists_across_connections(tmp_path):
    db = tmp_path / "nested" / "dir" / "s.duckdb"
    with Store(db) as store:
        store.write_article(record("a1", problems=("first", "second")))
    assert db.is_file()
    with Store(db, read_only=True) as store:
        articles = store.table("articles")
    assert list(articles["article_id"]) == ["a1"]
    assert list(articles.iloc[0]["problems"]) == ["first", "second"]


def test_store_read_only_missing_file_raises(tmp_path):
    missing = tmp_path / "absent.duckdb"
    with pytest.raises(StoreError) as info:
        Store(missing, read_only=True)
    assert str(missing) in str(info.value)
    assert "newsdesk ingest" in str(info.value)
    assert not missing.exists()


def test_store_workbook_missing_file_raises(tmp_path):
    missing = tmp_path / "absent.duckdb"
    with pytest.raises(StoreError, match="absent.duckdb"):
        Workbook(missing)


def test_store_table_articles_contract_columns(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        assert list(store.table("articles").columns) == ARTICLE_CONTRACT  # even when empty
        store.write_article(record("b2"))
        store.write_article(record("a1"))
        articles = store.table("articles")
    assert list(articles.columns) == ARTICLE_CONTRACT
    assert list(articles["article_id"]) == ["a1", "b2"]
    assert "text" not in articles.columns and "content_hash" not in articles.columns


def test_store_table_quotes_has_contract_columns(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        quotes = store.table("quotes")
    assert quotes.empty
    assert list(quotes.columns)[:8] == ["article_id", "speaker", "speaker_entity_id", "quote",
                                        "cue", "kind", "start", "end"]


def _populated(tmp_path):
    db = tmp_path / "wb.duckdb"
    with Store(db) as store:
        store.write_article(record("a1", mentions=((0, 5, "Putin", "PERSON"),
                                                    (21, 27, "Moscow", "GPE"))))
        store.write_article(record("b2", mentions=((0, 5, "Putin", "PERSON"),)))
        resolve_store(store, aliases=tmp_path / "no-aliases.yml")
    return db


def test_store_resolve_store_swaps_tables(tmp_path):
    db = _populated(tmp_path)
    with Store(db) as store:
        assert len(store.table("mentions")) == 3
        store.write_article(record("b2", mentions=()))
        resolve_store(store, aliases=tmp_path / "no-aliases.yml")
        entities = store.table("entities")
        mentions = store.table("mentions")
    assert len(mentions) == 2 and set(mentions["article_id"]) == {"a1"}
    assert sorted(entities["entity_id"]) == ["person/putin", "place/moscow"]
    assert list(entities["mentions"]) == [1, 1]


def test_store_workbook_reads_tables(tmp_path):
    wb = Workbook(_populated(tmp_path))
    assert list(wb.articles.columns) == ARTICLE_CONTRACT
    assert list(wb.articles["article_id"]) == ["a1", "b2"]
    assert list(zip(wb.mentions["article_id"], wb.mentions["start"], strict=True)) == [
        ("a1", 0), ("a1", 21), ("b2", 0)]
    entities = wb.entities
    assert list(entities["entity_id"]) == ["person/putin", "place/moscow"]
    assert list(entities["mentions"]) == [2, 1]
    assert list(entities["articles"]) == [2, 1]
    assert list(entities.iloc[0]["aliases"]) == ["Putin"]
    assert list(wb.article_mentions("b2")["text"]) == ["Putin"]


def test_store_workbook_article_and_removed(tmp_path):
    wb = Workbook(_populated(tmp_path))
    first = wb.article()
    assert first["article_id"] == "a1" and first["text"] == TEXT
    assert wb.article("b2")["article_id"] == "b2"
    with pytest.raises(KeyError, match="no article 'zz'"):
        wb.article("zz")
    removed = wb.removed("a1")
    assert list(removed.columns) == ["start", "end", "reason", "text"]
    assert removed.iloc[0].to_dict() == {"start": 0, "end": 3, "reason": "test reason",
                                         "text": "Put"}


def test_store_workbook_does_not_hold_lock(tmp_path):
    db = _populated(tmp_path)
    wb = Workbook(db)
    assert len(wb.articles) == 2
    with Store(db) as store:  # a writer can open the file while the workbook exists
        store.write_article(record("c3"))
    assert len(Workbook(db).articles) == 3


def test_store_to_records_json_lists_and_nulls():
    frame = pd.DataFrame({"a": ["x", None], "b": [[1, 2], []], "c": [1.5, float("nan")]})
    assert to_records_json(frame).replace(" ", "").replace("\n", "") == (
        '[{"a":"x","b":[1,2],"c":1.5},{"a":null,"b":[],"c":null}]'
    )


def test_store_older_store_gains_new_columns_keeps_rows(tmp_path):
    from newsdesk.store import SCHEMA

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(SCHEMA)  # the tables as first released: no minhash, no duplicate_of
    con.execute("INSERT INTO articles (article_id, status) VALUES ('a1', 'ok')")
    con.close()
    with Store(db) as store:
        columns = set(store.query("SELECT * FROM articles").columns)
        assert {"minhash", "duplicate_of"} <= columns
        assert store.cache_keys() == {"a1": (None, None, None)}
