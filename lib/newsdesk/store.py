"""The DuckDB store: articles, cached NLP results, resolved mentions and entities, runs.

Per-article NLP results are cached, keyed by the article's content hash and the pipeline
fingerprint; each article is written in one transaction, so a crash leaves whole articles.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from newsdesk.config import DEFAULT_DB

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    article_id VARCHAR PRIMARY KEY, path VARCHAR, title VARCHAR, title_basis VARCHAR,
    source VARCHAR, url VARCHAR, published VARCHAR, published_precision VARCHAR,
    date_basis VARCHAR, note VARCHAR, words INTEGER, status VARCHAR, problems VARCHAR[],
    content_hash VARCHAR, fingerprint VARCHAR, meta_hash VARCHAR, lead VARCHAR,
    text VARCHAR, ingested_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS raw_mentions (
    article_id VARCHAR, start INTEGER, "end" INTEGER, text VARCHAR, label VARCHAR,
    sentence VARCHAR, sent_start INTEGER, sent_end INTEGER, in_title BOOLEAN,
    in_heading BOOLEAN, subj VARCHAR
);
CREATE TABLE IF NOT EXISTS raw_timex (
    article_id VARCHAR, start INTEGER, "end" INTEGER, text VARCHAR, label VARCHAR,
    sentence VARCHAR
);
CREATE TABLE IF NOT EXISTS raw_quotes (
    article_id VARCHAR, start INTEGER, "end" INTEGER, kind VARCHAR, cue VARCHAR,
    speaker_type VARCHAR, speaker_text VARCHAR, speaker_start INTEGER, speaker_end INTEGER,
    sent_start INTEGER, quote VARCHAR, sentence VARCHAR
);
CREATE TABLE IF NOT EXISTS raw_roles (
    article_id VARCHAR, start INTEGER, "end" INTEGER, role VARCHAR, role_start INTEGER,
    role_end INTEGER, source VARCHAR
);
CREATE TABLE IF NOT EXISTS sentences (article_id VARCHAR, start INTEGER, "end" INTEGER);
CREATE TABLE IF NOT EXISTS removed (
    article_id VARCHAR, start INTEGER, "end" INTEGER, text VARCHAR, reason VARCHAR
);
CREATE TABLE IF NOT EXISTS mentions (
    article_id VARCHAR, entity_id VARCHAR, name VARCHAR, kind VARCHAR, text VARCHAR,
    start INTEGER, "end" INTEGER, sentence VARCHAR, in_title BOOLEAN, label VARCHAR,
    sent_start INTEGER, subj VARCHAR
);
CREATE TABLE IF NOT EXISTS quotes (
    article_id VARCHAR, speaker VARCHAR, speaker_entity_id VARCHAR, quote VARCHAR,
    cue VARCHAR, kind VARCHAR, start INTEGER, "end" INTEGER, speaker_kind VARCHAR,
    anonymous BOOLEAN, sentence VARCHAR
);
CREATE TABLE IF NOT EXISTS entities (
    entity_id VARCHAR, name VARCHAR, kind VARCHAR, aliases VARCHAR[], role VARCHAR,
    country VARCHAR, lat DOUBLE, lon DOUBLE, mentions INTEGER, articles INTEGER
);
CREATE TABLE IF NOT EXISTS roles (
    entity_id VARCHAR, name VARCHAR, article_id VARCHAR, role VARCHAR, source VARCHAR,
    start INTEGER, "end" INTEGER
);
CREATE TABLE IF NOT EXISTS places (
    entity_id VARCHAR, candidate VARCHAR, candidate_kind VARCHAR, country VARCHAR,
    lat DOUBLE, lon DOUBLE, population BIGINT, chosen BOOLEAN, basis VARCHAR
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR, command VARCHAR, started TIMESTAMP, finished TIMESTAMP,
    articles_seen INTEGER, parsed INTEGER, cached INTEGER, failed INTEGER, fingerprint VARCHAR
);
"""
PER_ARTICLE_TABLES = (
    "raw_mentions", "raw_roles", "raw_quotes", "raw_timex", "sentences", "removed",
)
RESOLVED_TABLES = ("mentions", "entities", "roles", "places", "quotes")
EXPORT_TABLES = ("articles", "entities", "mentions", "quotes", "roles", "places")
ARTICLE_COLUMNS = [
    "article_id", "path", "title", "source", "url", "published", "published_precision",
    "date_basis", "words", "status", "problems",
]


class StoreError(RuntimeError):
    """The store cannot be opened or read (missing, locked, not a newsdesk store)."""


@dataclass(frozen=True)
class ArticleRecord:
    """Everything written for one article in one transaction."""

    row: dict
    raw_mentions: pd.DataFrame
    raw_roles: pd.DataFrame
    raw_quotes: pd.DataFrame
    raw_timex: pd.DataFrame
    sentences: pd.DataFrame
    removed: pd.DataFrame


class Store:
    """A newsdesk DuckDB file. Use as a context manager; ``read_only`` for reports."""

    def __init__(self, path: str | Path = DEFAULT_DB, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise StoreError(
                f"{self.path}: no store here yet; run `newsdesk ingest PATH --db {self.path}`"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from exc
        if not read_only:
            self.con.execute(SCHEMA)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # -- cache -----------------------------------------------------------------------------
    def cache_keys(self) -> dict[str, tuple[str, str, str]]:
        """article_id -> (content_hash, fingerprint, meta_hash) of what is stored."""
        rows = self.con.execute(
            "SELECT article_id, content_hash, fingerprint, meta_hash FROM articles"
        ).fetchall()
        return {aid: (h, fp, mh) for aid, h, fp, mh in rows}

    def write_article_row(self, row: dict) -> None:
        """Replace only an article's row (metadata changed, NLP results still valid)."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM articles WHERE article_id = ?", [row["article_id"]])
            self._insert("articles", pd.DataFrame([row]))
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

    # -- writes ----------------------------------------------------------------------------
    def write_article(self, record: ArticleRecord) -> None:
        """Replace one article and its per-article rows atomically."""
        aid = record.row["article_id"]
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM articles WHERE article_id = ?", [aid])
            for table in PER_ARTICLE_TABLES:
                con.execute(f"DELETE FROM {table} WHERE article_id = ?", [aid])
            self._insert("articles", pd.DataFrame([record.row]))
            for table in PER_ARTICLE_TABLES:
                self._insert(table, getattr(record, table))
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

    def replace_resolved(self, tables: dict[str, pd.DataFrame]) -> None:
        """Swap in the corpus-level tables (mentions, entities, roles, places) at once."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for name in RESOLVED_TABLES:
                con.execute(f"DELETE FROM {name}")
                self._insert(name, tables[name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

    def record_run(self, **run: object) -> None:
        self._insert("runs", pd.DataFrame([run]))

    def _insert(self, table: str, frame: pd.DataFrame) -> None:
        """Append a DataFrame to ``table``, matching columns by name."""
        if frame.empty:
            return
        self.con.register("_incoming", frame)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
        finally:
            self.con.unregister("_incoming")

    # -- reads -----------------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        """A whole table (or the contract view of ``articles``) as a DataFrame."""
        if name == "articles":
            cols = ", ".join(f'"{c}"' for c in ARTICLE_COLUMNS)
            return self.con.execute(f"SELECT {cols} FROM articles ORDER BY article_id").df()
        order = {"mentions": "article_id, start", "entities": "mentions DESC, name",
                 "roles": "entity_id, article_id, start", "places": "entity_id, chosen DESC",
                 "quotes": "article_id, start"}
        return self.con.execute(
            f"SELECT * FROM {name} ORDER BY {order.get(name, '1')}"
        ).df()

    def query(self, sql: str, params: Iterable | None = None) -> pd.DataFrame:
        return self.con.execute(sql, list(params or [])).df()


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_records_json(frame: pd.DataFrame) -> str:
    """A DataFrame as a JSON array of records (lists stay lists, NaN becomes null)."""
    return json.dumps(
        json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False)),
        ensure_ascii=False,
        indent=1,
    )


class Workbook:
    """Read-only access to a store for notebooks: DataFrames loaded on first use.

    Each read opens and closes its own read-only connection, so an open notebook never
    holds a lock that would block the next ingest.
    """

    def __init__(self, path: str | Path = DEFAULT_DB) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise StoreError(
                f"{self.path}: no store here yet; run `newsdesk ingest PATH --db {self.path}`"
            )
        self._cache: dict[str, pd.DataFrame] = {}

    def _read(self, sql: str, params: Iterable | None = None) -> pd.DataFrame:
        with Store(self.path, read_only=True) as store:
            return store.query(sql, params)

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            with Store(self.path, read_only=True) as store:
                self._cache[name] = store.table(name)
        return self._cache[name]

    @property
    def articles(self) -> pd.DataFrame:
        return self._table("articles")

    @property
    def mentions(self) -> pd.DataFrame:
        return self._table("mentions")

    @property
    def entities(self) -> pd.DataFrame:
        return self._table("entities")

    @property
    def roles(self) -> pd.DataFrame:
        """Each role an entity is given, with the article it came from."""
        return self._table("roles")

    @property
    def places(self) -> pd.DataFrame:
        """For each place entity, the gazetteer candidates considered, the chosen first."""
        return self._table("places")

    def article(self, article_id: str = "") -> dict:
        """One article's row with its text (the first article when ``article_id`` is empty)."""
        if not article_id:
            article_id = self.articles["article_id"].iloc[0]
        rows = self._read("SELECT * FROM articles WHERE article_id = ?", [article_id])
        if rows.empty:
            known = ", ".join(self.articles["article_id"].head(10))
            raise KeyError(f"no article '{article_id}' in {self.path} (first ids: {known})")
        return rows.iloc[0].to_dict()

    def article_mentions(self, article_id: str) -> pd.DataFrame:
        return self.mentions[self.mentions["article_id"] == article_id]

    def article_quotes(self, article_id: str) -> pd.DataFrame:
        return self.quotes[self.quotes["article_id"] == article_id]

    @property
    def quotes(self) -> pd.DataFrame:
        return self._table("quotes")

    def timex(self, article_id: str) -> pd.DataFrame:
        """Dates and named events the article mentions, with their sentences."""
        return self._read(
            'SELECT start, "end", text, label, sentence FROM raw_timex WHERE article_id = ? '
            "ORDER BY start", [article_id]
        )

    def removed(self, article_id: str) -> pd.DataFrame:
        """What was taken out of the article as page furniture, and why."""
        return self._read(
            'SELECT start, "end", reason, text FROM removed WHERE article_id = ? '
            "ORDER BY start", [article_id]
        )
