"""Corpus-level resolution streamed through DuckDB in batches (the real sample store)."""

from __future__ import annotations

import shutil

import pytest

from newsdesk import entities, resolution
from newsdesk.ingest import resolve_store
from newsdesk.store import RESOLVED_TABLES, Store, StoreError

ORDER = {"mentions": "article_id, start, entity_id", "entities": "entity_id",
         "roles": "entity_id, article_id, start, role", "places": "entity_id, candidate",
         "quotes": 'article_id, start, "end"'}


def _tables(db) -> dict[str, list[tuple]]:
    with Store(db, read_only=True) as store:
        return {name: store.con.execute(f"SELECT * FROM {name} ORDER BY {ORDER[name]}")
                .fetchall() for name in RESOLVED_TABLES}


@pytest.mark.parametrize(("batch", "page"), [(1, 3), (2, 20_000), (3, 7)])
def test_resolution_batches_do_not_change_results(sample_db, tmp_path, monkeypatch, batch,
                                                  page):
    """One article per batch (surnames linked to full names in other batches, headings
    confirmed by other articles) and small pages give exactly the one-batch tables."""
    db = tmp_path / "batched.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setattr(resolution, "BATCH_ARTICLES", batch)
    monkeypatch.setattr(resolution, "FETCH_ROWS", page)
    with Store(db) as store:
        resolve_store(store, aliases=tmp_path / "no-aliases.yml")
    expected = _tables(sample_db)
    assert all(expected[name] for name in ("mentions", "entities", "quotes"))
    assert _tables(db) == expected


def test_resolution_holds_one_batch_of_raw_mentions(sample_db, tmp_path, monkeypatch):
    """Python sees the raw mentions (with their sentences) two articles at a time."""
    db = tmp_path / "batched.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setattr(resolution, "BATCH_ARTICLES", 2)
    seen: list[set[str]] = []
    prepare = entities.prepare_mentions

    def spy(raw):
        seen.append(set(raw["article_id"]))
        return prepare(raw)

    monkeypatch.setattr(entities, "prepare_mentions", spy)
    with Store(db) as store:
        resolve_store(store, aliases=tmp_path / "no-aliases.yml")
        ids = set(store.con.execute("SELECT article_id FROM articles WHERE status = 'ok'")
                  .fetchall())
    assert [len(s) for s in seen] == [2, 2, 1]
    assert set.union(*seen) == {aid for (aid,) in ids}


def test_resolution_mentions_keep_their_sentence(sample_db):
    """Sentences are joined back from the raw mentions: each holds its mention's text."""
    with Store(sample_db, read_only=True) as store:
        rows = store.con.execute(
            'SELECT m.text, m.start, m.sent_start, m.sentence, a.text FROM mentions m '
            "JOIN articles a USING (article_id)").fetchall()
    assert rows
    for text, start, sent_start, sentence, article in rows:
        assert sentence[start - sent_start :].startswith(text)
        assert article[sent_start : sent_start + len(sentence)] == sentence


def test_resolution_leaves_no_working_tables(sample_db, tmp_path):
    db = tmp_path / "clean.duckdb"
    shutil.copy(sample_db, db)
    with Store(db) as store:
        resolve_store(store, aliases=tmp_path / "no-aliases.yml")
        temp = store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary")
        assert temp.fetchall() == []


@pytest.mark.parametrize(("setting", "shown"), [("100MB", "95.3 MiB"), ("1GB", "953.6 MiB")])
def test_store_memory_limit_is_a_setting(tmp_path, monkeypatch, setting, shown):
    monkeypatch.setenv("NEWSDESK_DB_MEMORY", setting)
    with Store(tmp_path / "m.duckdb") as store:
        limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit == shown


def test_resolution_out_of_memory_names_the_setting_and_keeps_tables(sample_db, tmp_path,
                                                                     monkeypatch):
    db = tmp_path / "small.duckdb"
    shutil.copy(sample_db, db)
    before = _tables(db)
    monkeypatch.setenv("NEWSDESK_DB_MEMORY", "1MB")
    with Store(db) as store:
        with pytest.raises(StoreError, match="set NEWSDESK_DB_MEMORY higher"):
            resolve_store(store, aliases=tmp_path / "no-aliases.yml")
        temp = store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary")
        assert temp.fetchall() == []
    assert _tables(db) == before
