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


#: A news page as fetched: navigation, the article, related links, comments, a footer.
NEWS_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Port reopens | The Courier</title>
<meta property="og:title" content="Port reopens after the storm">
<meta property="og:site_name" content="The Courier">
<link rel="canonical" href="https://courier.example/news/port-reopens">
<meta property="article:published_time" content="2024-03-05T08:00:00Z"></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav>
</header>
<main><article><h1>Port reopens after the storm</h1>
<p class="byline">By Ana Ruiz</p>
<p>The port of Valencia reopened on Tuesday after a storm closed it for three days, the
harbour authority said, and the first container ships were unloaded by the afternoon.</p>
<p>Mayor Maria Catala thanked the crews who cleared the quays overnight. Ferries to the
Balearic Islands will resume on Wednesday, the operator Balearia said in a statement.</p>
<p>Shipping agents said the backlog of about forty vessels would take a week to clear, and
warned that fresh produce bound for northern Europe would be delayed.</p>
</article>
<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/a">Storm damage in Alicante tops estimates</a></li>
<li><a href="/b">Kevin Durant joins charity match in Madrid</a></li></ul></aside>
<section id="comments" class="comments"><h2>3 Comments</h2>
<div class="comment"><p class="author">harbourfan77</p><p>Jan 09 2024 07:52 PM</p>
<p>Glad to see Giorgio Armani ships back in port, what a week it has been for everyone.</p>
</div></section></main>
<footer><p>&copy; 2024 The Courier. All rights reserved.</p><a href="/privacy">Privacy</a>
</footer></body></html>"""


@pytest.fixture(scope="session")
def news_page() -> str:
    """A news page whose body holds the port story and nothing of its page furniture (Kevin
    Durant, Giorgio Armani, harbourfan77, Subscribe, Privacy ...)."""
    return NEWS_PAGE
