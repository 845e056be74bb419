"""Done once, and the same wherever it runs: the NLP cache, worker processes and Dask."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from newsdesk.config import EXTRACTION_VERSION
from newsdesk.ingest import ingest
from newsdesk.store import Store

pytestmark = pytest.mark.slow
TABLES = {
    "articles": ["article_id"],
    "raw_mentions": ["article_id", "start", "end", "label"],
    "raw_roles": ["article_id", "start", "role_start"],
    "raw_quotes": ["article_id", "start", "end", "kind"],
    "raw_timex": ["article_id", "start"],
    "mentions": ["article_id", "start", "end"],
    "entities": ["entity_id"],
    "quotes": ["article_id", "start", "end"],
}
VOLATILE = ["ingested_at"]


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    with Store(db, read_only=True) as store:
        return {
            name: store.query(f"SELECT * FROM {name}")
            .drop(columns=VOLATILE, errors="ignore")
            .sort_values(key).reset_index(drop=True)
            for name, key in TABLES.items()
        }


@pytest.fixture(scope="module")
def local_tables(sample_db) -> dict[str, pd.DataFrame]:
    return _tables(sample_db)


@pytest.mark.parametrize(
    ("engine", "workers"),
    [("local", 2), ("dask", 1)],
    ids=["local-2-processes", "dask-localcluster"],
)
def test_engine_writes_the_same_rows(local_tables, sample_dir, tmp_path, engine, workers):
    db = tmp_path / f"{engine}.duckdb"
    summary = ingest(sample_dir, db=db, engine=engine, n_process=workers, progress=False)
    assert summary.parsed == 5
    other = _tables(db)
    for name, frame in local_tables.items():
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(frame, other[name], check_dtype=False, obj=name)


def test_engine_cache_unchanged_edited_and_new_model(corpus_copy, tmp_path, nlp, monkeypatch):
    db = tmp_path / "cache.duckdb"
    first = ingest(corpus_copy, db=db, progress=False)
    assert (first.parsed, first.cached) == (5, 0)
    again = ingest(corpus_copy, db=db, progress=False)
    assert (again.parsed, again.cached) == (0, 5)

    edited = sorted(corpus_copy.glob("*.txt"))[2]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA new closing line.\n",
                      encoding="utf-8")
    after_edit = ingest(corpus_copy, db=db, progress=False)
    assert (after_edit.parsed, after_edit.cached) == (1, 4)

    # Another model (the same weights saved under another name): everything is parsed again.
    other_model = tmp_path / "other_model"
    nlp.to_disk(other_model)
    monkeypatch.setenv("NEWSDESK_MODEL", str(other_model))
    new_model = ingest(corpus_copy, db=db, progress=False)
    assert (new_model.parsed, new_model.cached) == (5, 0)
    with Store(db, read_only=True) as store:
        prints = set(store.query("SELECT fingerprint FROM articles")["fingerprint"])
    assert prints == {f"{other_model}==unknown+extract{EXTRACTION_VERSION}"}


def test_engine_unchanged_corpus_does_not_load_the_model(corpus_copy, tmp_path):
    import subprocess
    import sys

    db = tmp_path / "cold.duckdb"
    ingest(corpus_copy, db=db, progress=False)
    code = (
        "from newsdesk.ingest import ingest; from newsdesk.nlp import load_pipeline; "
        f"s = ingest({str(corpus_copy)!r}, db={str(db)!r}, progress=False); "
        "print(s.parsed, s.cached, load_pipeline.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["0", "5", "0"]  # nothing parsed, no pipeline loaded


def test_engine_copy_of_corpus_dir_is_not_reparsed(corpus_copy, tmp_path):
    """The cache is keyed by content, not path: a moved corpus is not parsed again."""
    db = tmp_path / "moved.duckdb"
    ingest(corpus_copy, db=db, progress=False)
    moved = tmp_path / "moved"
    shutil.copytree(corpus_copy, moved)
    summary = ingest(moved, db=db, progress=False)
    assert (summary.parsed, summary.cached) == (0, 5)
