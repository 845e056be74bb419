"""Shared fixtures. The real spaCy pipeline and a real DuckDB file: nothing is stubbed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from newsdesk.config import SAMPLE_DIR

TESTS_DIR = Path(__file__).parent
# The analyst's data/aliases.yml must not change what the tests see: point newsdesk (and the
# CLI processes the tests start) at an overrides file that does not exist.
os.environ["NEWSDESK_ALIASES"] = str(TESTS_DIR / "no-such-aliases.yml")


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed sample corpus (five articles and manifest.csv)."""
    assert SAMPLE_DIR.is_dir(), SAMPLE_DIR
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_texts(sample_dir: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(sample_dir.glob("*.txt"))}


@pytest.fixture(scope="session")
def nlp():
    """The real pipeline, loaded once for the whole session."""
    from newsdesk.nlp import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A store with the sample ingested once (read it, do not write to it)."""
    from newsdesk.ingest import ingest

    db = tmp_path_factory.mktemp("store") / "sample.duckdb"
    ingest(sample_dir, db=db, progress=False)
    return db


@pytest.fixture
def corpus_copy(tmp_path: Path, sample_dir: Path) -> Path:
    """A writable copy of the sample corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(sample_dir, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target
