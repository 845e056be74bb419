"""The DuckDB store: articles, cached NLP results, resolved mentions and entities, runs.

Per-article NLP results are cached, keyed by the article's content hash and the pipeline
fingerprint; each article is written in one transaction, so a crash leaves whole articles.
DuckDB lets one process write a file: opening a store another process has open waits up to
``config.lock_timeout()`` seconds, then fails with a StoreError naming that process.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from newsdesk.config import DEFAULT_DB, db_memory, lock_timeout

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
    sent_start INTEGER, quote VARCHAR, sentence VARCHAR, speaker_sent INTEGER
);
CREATE TABLE IF NOT EXISTS raw_roles (
    article_id VARCHAR, start INTEGER, "end" INTEGER, role VARCHAR, role_start INTEGER,
    role_end INTEGER, source VARCHAR
);
CREATE TABLE IF NOT EXISTS sentences (article_id VARCHAR, start INTEGER, "end" INTEGER);
CREATE TABLE IF NOT EXISTS removed (
    article_id VARCHAR, start INTEGER, "end" INTEGER, text VARCHAR, reason VARCHAR
);
CREATE TABLE IF NOT EXISTS body_lines (
    article_id VARCHAR, start INTEGER, "end" INTEGER, words INTEGER, hash BIGINT
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
CREATE TABLE IF NOT EXISTS snapshot_entities (
    run VARCHAR, taken TIMESTAMP, entity_id VARCHAR, name VARCHAR, kind VARCHAR,
    mentions INTEGER, articles INTEGER
);
CREATE TABLE IF NOT EXISTS snapshot_quotes (
    run VARCHAR, article_id VARCHAR, start INTEGER, "end" INTEGER, speaker VARCHAR
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR, command VARCHAR, started TIMESTAMP, finished TIMESTAMP,
    articles_seen INTEGER, parsed INTEGER, cached INTEGER, failed INTEGER, fingerprint VARCHAR
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""
#: Columns added after the first release: added to older stores when they are opened to write.
#: minhash: the MinHash signature of the cleaned body's word 5-grams (near-duplicates);
#: duplicate_of: the article this one copies (status duplicate or near_duplicate);
#: speaker_sent: where a quote's speaker's sentence starts (another one when inherited).
MIGRATIONS = (
    "ALTER TABLE articles ADD COLUMN IF NOT EXISTS minhash BIGINT[]",
    "ALTER TABLE articles ADD COLUMN IF NOT EXISTS duplicate_of VARCHAR",
    "ALTER TABLE raw_quotes ADD COLUMN IF NOT EXISTS speaker_sent INTEGER",
    "ALTER TABLE articles ADD COLUMN IF NOT EXISTS author VARCHAR",
)
PER_ARTICLE_TABLES = (
    "raw_mentions", "raw_roles", "raw_quotes", "raw_timex", "sentences", "removed",
    "body_lines",
)
#: Where the per-article NLP rows found inside a line that turned out to be furniture at the
#: corpus level (``Store.set_aside_repeated``) wait, out of resolution's sight, until the line
#: is no longer furniture (raw table -> its aside table, same columns).
ASIDE_TABLES = {"raw_mentions": "aside_mentions", "raw_roles": "aside_roles",
                "raw_quotes": "aside_quotes", "raw_timex": "aside_timex"}
#: The reason of the removed rows that the corpus-level step writes (and rewrites every run).
REPEATED_REASON = "repeated: "
#: The columns of the per-article tables, in the order their rows are given as tuples.
PER_ARTICLE_COLUMNS: dict[str, list[str]] = {
    "raw_mentions": ["article_id", "start", "end", "text", "label", "sentence", "sent_start",
                     "sent_end", "in_title", "in_heading", "subj"],
    "raw_roles": ["article_id", "start", "end", "role", "role_start", "role_end", "source"],
    "raw_quotes": ["article_id", "start", "end", "kind", "cue", "speaker_type",
                   "speaker_text", "speaker_start", "speaker_end", "sent_start", "quote",
                   "sentence", "speaker_sent"],
    "raw_timex": ["article_id", "start", "end", "text", "label", "sentence"],
    "sentences": ["article_id", "start", "end"],
    "removed": ["article_id", "start", "end", "text", "reason"],
    "body_lines": ["article_id", "start", "end", "words", "hash"],
}
RESOLVED_TABLES = ("mentions", "entities", "roles", "places", "quotes")
EXPORT_TABLES = ("articles", "entities", "mentions", "quotes", "roles", "places", "texts")
ARTICLE_COLUMNS = [
    "article_id", "path", "title", "source", "url", "published", "published_precision",
    "date_basis", "words", "status", "problems", "author",
]


Rows = pd.DataFrame | list[tuple]


def _rows_frame(table: str, parts: list[Rows]) -> pd.DataFrame:
    """One DataFrame of a per-article table from its parts: DataFrames or lists of row
    tuples (what ingest workers send: far cheaper to build and to pickle)."""
    frames = [p for p in parts if isinstance(p, pd.DataFrame) and not p.empty]
    rows = [row for p in parts if not isinstance(p, pd.DataFrame) for row in p]
    if rows:
        frames.append(pd.DataFrame(rows, columns=PER_ARTICLE_COLUMNS[table]))
    if not frames:
        return pd.DataFrame(columns=PER_ARTICLE_COLUMNS[table])
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append a DataFrame to ``table``, matching columns by name."""
    if frame.empty:
        return
    con.register("_incoming", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def paged(con: duckdb.DuckDBPyConnection, sql: str, order: str, *,
          page: int = 20_000) -> Iterator[list[tuple]]:
    """The rows of ``sql`` in ``order`` (its columns), ``page`` at a time, so a corpus-wide
    result never sits whole in Python. The rows are numbered into a temporary table first:
    the caller may write to the same connection between pages (a pending result would be
    lost), and rows new in a transaction have no usable rowid."""
    con.execute("CREATE OR REPLACE TEMP TABLE res_page AS SELECT *, row_number() OVER "
                f"(ORDER BY {order}) AS _n FROM ({sql})")
    total = con.execute("SELECT count(*) FROM res_page").fetchone()[0]
    for low in range(0, total, page):
        yield con.execute("SELECT * EXCLUDE (_n) FROM res_page WHERE _n > ? AND _n <= ? "
                          "ORDER BY _n", [low, low + page]).fetchall()
    con.execute("DROP TABLE res_page")


class StoreError(RuntimeError):
    """The store cannot be opened or read (missing, locked, not a newsdesk store)."""


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
_DISK_FULL = re.compile(r"no space left on device|file too large|disk quota exceeded",
                        re.IGNORECASE)


def is_disk_full(exc: BaseException) -> bool:
    """A DuckDB or OS error that says the disk (or the file size limit) is full."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    return bool(_DISK_FULL.search(str(exc)))


def disk_full_error(path: Path, exc: BaseException) -> StoreError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(
        f"{path}: cannot write the store: the disk is full ({detail}). Articles written "
        "before this are kept; free some space and run ingest again to do the rest"
    )


@dataclass(frozen=True)
class ArticleRecord:
    """Everything written for one article in one transaction: its ``articles`` row and the
    rows of each per-article table, as a DataFrame or as tuples in PER_ARTICLE_COLUMNS
    order."""

    row: dict
    raw_mentions: Rows
    raw_roles: Rows
    raw_quotes: Rows
    raw_timex: Rows
    sentences: Rows
    removed: Rows
    body_lines: Rows = ()


class Store:
    """A newsdesk DuckDB file. Use as a context manager; ``read_only`` for reports."""

    def __init__(self, path: str | Path = DEFAULT_DB, *, read_only: bool = False,
                 wait: float | None = None) -> None:
        self.path = Path(path)
        self._pending_meta: dict[str, str] = {}
        if read_only and not self.path.exists():
            raise StoreError(
                f"{self.path}: no store here yet; run `newsdesk ingest PATH --db {self.path}`"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = self._connect(read_only, lock_timeout() if wait is None else wait)
        if not read_only:
            try:
                self.set_memory(db_memory())
                self.con.execute(SCHEMA)
                for statement in MIGRATIONS:
                    self.con.execute(statement)
                for raw, aside in ASIDE_TABLES.items():
                    self.con.execute(f"CREATE TABLE IF NOT EXISTS {aside} AS "
                                     f"SELECT * FROM {raw} WHERE false")
            except duckdb.Error as exc:
                self.con.close()
                if is_disk_full(exc):
                    raise disk_full_error(self.path, exc) from exc
                raise

    def _connect(self, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
        """Connect, waiting up to ``wait`` seconds while another process holds the file."""
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                holder = _LOCK_HOLDER.search(str(exc))
                if holder is None:
                    if is_disk_full(exc):
                        raise disk_full_error(self.path, exc) from exc
                    raise StoreError(f"{self.path}: cannot open the store ({exc})") from exc
                pid = holder["pid"]
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"{self.path} is in use by another newsdesk process (pid {pid}, "
                        f"{holder['program']}); gave up after waiting {wait:g} s. Run again "
                        "when it has finished (NEWSDESK_LOCK_TIMEOUT sets the wait)"
                    ) from exc
                if not announced:
                    print(f"newsdesk: {self.path}: in use by another process (pid {pid}); "
                          f"waiting up to {wait:g} s", file=sys.stderr, flush=True)
                    announced = True
                time.sleep(min(0.25, max(0.0, deadline - time.monotonic())))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.close()
        except (duckdb.Error, OSError):
            if exc_type is None:
                raise
            # already failing (a full disk, say): the first error is the one to report

    def close(self) -> None:
        try:
            self.con.close()
        except (duckdb.Error, OSError) as exc:
            if is_disk_full(exc):
                raise disk_full_error(self.path, exc) from exc
            raise

    # -- cache -----------------------------------------------------------------------------
    def cache_keys(self, ids: Iterable[str] | None = None) -> dict[str, tuple[str, str, str]]:
        """article_id -> (content_hash, fingerprint, meta_hash) of what is stored (of the
        articles ``ids`` only, when given)."""
        sql = "SELECT article_id, content_hash, fingerprint, meta_hash FROM articles"
        if ids is None:
            rows = self.con.execute(sql).fetchall()
        else:
            rows = self.con.execute(sql + " WHERE article_id IN (SELECT unnest(?))",
                                    [list(ids)]).fetchall()
        return {aid: (h, fp, mh) for aid, h, fp, mh in rows}

    def mark_seen(self, ids: list[str]) -> set[str]:
        """Record article ids as seen by the running ingest (a temporary table, so a huge
        corpus costs no memory); return those of ``ids`` it had seen before."""
        con = self._seen_table()
        before = {aid for (aid,) in con.execute(
            "SELECT article_id FROM run_seen WHERE article_id IN (SELECT unnest(?))",
            [ids]).fetchall()}
        new = [aid for aid in dict.fromkeys(ids) if aid not in before]
        if new:
            con.execute("INSERT INTO run_seen SELECT unnest(?)", [new])
        return before

    def _seen_table(self) -> duckdb.DuckDBPyConnection:
        self.con.execute("CREATE TEMP TABLE IF NOT EXISTS run_seen (article_id VARCHAR)")
        return self.con

    def seen_statuses(self) -> list[tuple[str, int]]:
        """(status, count) of the articles the running ingest has seen (``mark_seen``)."""
        con = self._seen_table()
        return [(str(status), int(n)) for status, n in con.execute(
            "SELECT status, count(*) FROM articles JOIN run_seen USING (article_id) "
            "GROUP BY status ORDER BY status").fetchall()]

    def write_article_row(self, row: dict) -> None:
        """Replace only an article's row (metadata changed, NLP results still valid)."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM articles WHERE article_id = ?", [row["article_id"]])
            self._insert("articles", pd.DataFrame([row]))
            con.execute("COMMIT")
        except Exception:
            self._rollback()
            raise

    # -- writes ----------------------------------------------------------------------------
    def write_article(self, record: ArticleRecord) -> None:
        """Replace one article and its per-article rows atomically."""
        aid = record.row["article_id"]
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM articles WHERE article_id = ?", [aid])
            for table in (*PER_ARTICLE_TABLES, *ASIDE_TABLES.values()):
                con.execute(f"DELETE FROM {table} WHERE article_id = ?", [aid])
            self._insert("articles", pd.DataFrame([record.row]))
            for table in PER_ARTICLE_TABLES:
                self._insert(table, _rows_frame(table, [getattr(record, table)]))
            con.execute("COMMIT")
        except Exception:
            self._rollback()
            raise

    def write_articles(self, records: list[ArticleRecord]) -> None:
        """Replace several articles and their per-article rows in one transaction (all or
        none): as crash-safe as one at a time, and far cheaper per article."""
        if not records:
            return
        ids = [r.row["article_id"] for r in records]
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            # Only articles stored before have rows to replace (a scan of each table: skipped
            # for new articles, so a first ingest writes in time linear in the corpus).
            stored = [aid for (aid,) in con.execute(
                "SELECT article_id FROM articles WHERE article_id IN (SELECT unnest(?))",
                [ids]).fetchall()]
            for table in ("articles", *PER_ARTICLE_TABLES, *ASIDE_TABLES.values()) if (
                    stored) else ():
                con.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT unnest(?))",
                            [stored])
            self._insert("articles", pd.DataFrame([r.row for r in records]))
            for table in PER_ARTICLE_TABLES:
                self._insert(table, _rows_frame(table, [getattr(r, table) for r in records]))
            con.execute("COMMIT")
        except Exception:
            self._rollback()
            raise

    def set_memory(self, limit: str) -> None:
        """DuckDB's memory limit for this store (e.g. ``"256MB"``): beyond it, joins and
        aggregates spill to disk and cached blocks are evicted."""
        self.con.execute("SET memory_limit = ?", [limit])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A transaction on the store's connection: committed when the block ends, rolled
        back (and the error raised again) when it fails. Values given to ``meta_on_commit``
        are written in it, before it commits."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
            pending, self._pending_meta = self._pending_meta, {}
            for key, value in pending.items():
                self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
            self.con.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    @contextlib.contextmanager
    def meta_on_commit(self, values: dict[str, str]) -> Iterator[None]:
        """Write ``values`` into the ``meta`` table in the first transaction that commits
        within the block, or not at all: what describes tables is written with them (the
        corpus key with the resolved tables, which one transaction swaps in)."""
        self._pending_meta = dict(values)
        try:
            yield
        finally:
            self._pending_meta = {}

    def meta(self, key: str) -> str | None:
        """A value of the ``meta`` table (None when not set, or in a store without one)."""
        try:
            rows = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        except duckdb.CatalogException:  # a store from before the table, opened read-only
            return None
        return rows[0][0] if rows else None

    def articles_digest(self) -> str:
        """A digest of what the corpus-level steps (duplicates, resolution) read of each
        article besides its raw rows, which its content hash and the pipeline fingerprint
        determine: id, content hash, fingerprint, metadata hash, whether it has a MinHash
        signature, and its status as screened (a copy's status is set by those steps).
        An order-free sum of row hashes: constant memory, however large the store."""
        total, rows = self.con.execute("""
            SELECT sum(hash(article_id, content_hash, fingerprint, meta_hash, minhash IS NULL,
                CASE WHEN status IN ('duplicate', 'near_duplicate') THEN 'ok' ELSE status END
                )::HUGEINT), count(*)
            FROM articles""").fetchone()
        return f"{total or 0}:{rows}"

    #: Hashes of everything an article's profile page shows, one row each, by article: its
    #: own rows, and of the entities it names what a profile shows of them (not their
    #: corpus-wide counts or aliases, which change with any other article).
    _ARTICLE_INPUTS = """
        SELECT article_id, hash('a', *COLUMNS(* EXCLUDE (ingested_at, minhash))) AS h
            FROM articles
        UNION ALL SELECT article_id, hash('m', m) FROM mentions m
        UNION ALL SELECT article_id, hash('q', q) FROM quotes q
        UNION ALL SELECT article_id, hash('r', r) FROM roles r
        UNION ALL SELECT article_id, hash('t', t) FROM raw_timex t
        UNION ALL SELECT article_id, hash('x', x) FROM removed x
        UNION ALL SELECT u.article_id,
                hash('e', e.entity_id, e.name, e.kind, e.role, e.country, e.lat, e.lon)
            FROM (SELECT article_id, entity_id FROM mentions
                  UNION SELECT article_id, speaker_entity_id FROM quotes) u
            JOIN entities e USING (entity_id)"""

    def report_inputs(self) -> tuple[dict[str, str], str, str]:
        """Digests of what report pages are made of: (per article, what its profile shows;
        the whole store as corpus pages read it; the last report snapshot). Order-free sums
        of row hashes, computed in DuckDB."""
        per_article = dict(self.con.execute(
            "SELECT article_id, sum(h::HUGEINT)::VARCHAR || ':' || count(*) "
            f"FROM ({self._ARTICLE_INPUTS}) GROUP BY article_id").fetchall())
        corpus = self.con.execute(
            f"SELECT sum(h::HUGEINT)::VARCHAR || ':' || count(*) FROM ({self._ARTICLE_INPUTS} "
            "UNION ALL SELECT NULL, hash('E', e) FROM entities e "
            "UNION ALL SELECT NULL, hash('P', p) FROM places p)").fetchone()[0]
        snapshot = self.con.execute(
            "SELECT coalesce(arg_max(run, taken) || ' ' || max(taken), '') "
            "FROM snapshot_entities").fetchone()[0]
        return per_article, corpus or "", snapshot

    def snapshot(self, run: str) -> None:
        """Remember the entities' counts and the quotes as a report ``run`` saw them, so the
        next report can say what is new since."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM snapshot_entities WHERE run = ?", [run])
            con.execute("DELETE FROM snapshot_quotes WHERE run = ?", [run])
            con.execute(
                "INSERT INTO snapshot_entities SELECT ?, now(), entity_id, name, kind, "
                "mentions, articles FROM entities", [run])
            con.execute(
                'INSERT INTO snapshot_quotes SELECT ?, article_id, start, "end", speaker '
                "FROM quotes", [run])
            con.execute("COMMIT")
        except Exception:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Roll back after a failed write; a connection the failure invalidated (a full disk)
        cannot, and the error that caused it is the one to report."""
        try:
            self.con.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def record_run(self, **run: object) -> None:
        columns = ", ".join(f'"{name}"' for name in run)
        self.con.execute(f"INSERT INTO runs ({columns}) VALUES "
                         f"({', '.join('?' * len(run))})", list(run.values()))

    def start_run(self, run_id: str, command: str, started: datetime,
                  fingerprint: str) -> tuple[str, datetime] | None:
        """Record a run as started (``finished`` stays NULL until ``finish_run``); return the
        previous run when it never finished (killed, or failed before its end)."""
        rows = self.con.execute(
            "SELECT run_id, started, finished FROM runs ORDER BY started DESC LIMIT 1"
        ).fetchall()
        last = rows[0] if rows else None
        self.record_run(run_id=run_id, command=command, started=started,
                        fingerprint=fingerprint)
        return (last[0], last[1]) if last and last[2] is None else None

    def finish_run(self, run_id: str, **counts: object) -> None:
        sets = ", ".join(f"{k} = ?" for k in counts)
        self.con.execute(f"UPDATE runs SET finished = ?, {sets} WHERE run_id = ?",
                         [now(), *counts.values(), run_id])

    # -- duplicates ------------------------------------------------------------------------
    #: Articles that take part in duplicate detection: readable, in the expected language.
    _COPY_SCOPE = "status IN ('ok', 'duplicate', 'near_duplicate')"

    def unsigned_articles(self) -> list[str]:
        """Candidates written before MinHash signatures were stored (their ids)."""
        return [aid for (aid,) in self.con.execute(
            f"SELECT article_id FROM articles WHERE {self._COPY_SCOPE} AND minhash IS NULL "
            "ORDER BY article_id").fetchall()]

    def find_copies(self, *, num_perm: int, bands: int, min_estimate: float,
                    page: int = 20_000) -> Iterator[tuple[str, str]]:
        """Mark exact copies (same content hash as an earlier article_id) in a temporary
        ``res_copies`` table, and yield the near-duplicate candidates among the others:
        (later, earlier) of the pairs that share a band of their signatures with a MinHash
        estimate of at least ``min_estimate``, in order. All of it is joins in DuckDB;
        Python gets ``page`` pairs at a time."""
        con = self.con
        per_band = num_perm // bands
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE res_originals AS
            SELECT article_id, content_hash, minhash,
                first_value(article_id) OVER (PARTITION BY content_hash ORDER BY article_id)
                    AS original
            FROM articles WHERE {self._COPY_SCOPE}""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE res_copies AS
            SELECT article_id, 'duplicate' AS status, original AS "of",
                concat('duplicate: exact copy of ', chr(39), original, chr(39)) AS note
            FROM res_originals WHERE original != article_id""")
        pairs = f"""
            WITH sig AS (SELECT article_id, minhash FROM res_originals
                         WHERE original = article_id AND len(minhash) = {num_perm}),
            bands AS (SELECT article_id, b,
                          hash(list_slice(minhash, b * {per_band} + 1, (b + 1) * {per_band})) AS h
                      FROM sig, range({bands}) t(b)),
            pairs AS (SELECT DISTINCT x.article_id AS later, y.article_id AS earlier
                      FROM bands x JOIN bands y ON x.b = y.b AND x.h = y.h
                          AND y.article_id < x.article_id)
            SELECT p.later, p.earlier FROM pairs p
            JOIN sig a ON a.article_id = p.later JOIN sig e ON e.article_id = p.earlier
            WHERE list_sum(list_transform(range(1, {num_perm} + 1),
                lambda i: (a.minhash[i] = e.minhash[i])::INTEGER))
                >= {float(min_estimate)!r} * {num_perm}"""
        try:
            for rows in paged(con, pairs, "later, earlier", page=page):
                yield from rows
        finally:
            con.execute("DROP TABLE IF EXISTS res_originals")

    def add_copies(self, copies: list[tuple[str, str, str, str]]) -> None:
        """Add (article_id, status, of, note) rows to ``res_copies`` (see ``find_copies``)."""
        if copies:
            self.con.executemany("INSERT INTO res_copies VALUES (?, ?, ?, ?)", copies)

    def copy_changes(self, notes: tuple[str, ...]) -> list[tuple]:
        """The candidates whose status, original or copy note changes with ``res_copies``:
        (article_id, path, status, duplicate_of, new status, new duplicate_of, new problems);
        problems starting with one of ``notes`` are the previous run's copy notes."""
        keep = " AND ".join(f"NOT starts_with(p, '{n}')" for n in notes)
        rows = self.con.execute(f"""
            WITH new AS (
                SELECT a.article_id, a.path, a.status, a.duplicate_of, a.problems,
                    coalesce(c.status, 'ok') AS new_status, c."of" AS new_of,
                    list_concat(list_filter(coalesce(a.problems, []), lambda p: {keep}),
                                CASE WHEN c.note IS NULL THEN [] ELSE [c.note] END)
                        AS new_problems
                FROM articles a LEFT JOIN res_copies c USING (article_id)
                WHERE a.{self._COPY_SCOPE})
            SELECT article_id, path, status, duplicate_of, new_status, new_of, new_problems
            FROM new WHERE status IS DISTINCT FROM new_status
                OR duplicate_of IS DISTINCT FROM new_of
                OR coalesce(problems, []) IS DISTINCT FROM new_problems
            ORDER BY article_id""").fetchall()
        self.con.execute("DROP TABLE res_copies")
        return rows

    def article_text(self, article_id: str) -> str:
        rows = self.con.execute("SELECT text FROM articles WHERE article_id = ?",
                                [article_id]).fetchall()
        return rows[0][0] if rows and rows[0][0] is not None else ""

    # -- lines repeated across a source ------------------------------------------------------
    def set_aside_repeated(self, *, min_articles: int, min_articles_long: int,
                           long_words: int) -> int:
        """Mark as furniture every body line that recurs verbatim (``body_lines.hash``) in at
        least ``min_articles`` readable articles of one source (``min_articles_long`` for a
        line of ``long_words`` words or more, which an updated story may repeat), and set
        aside the NLP rows inside those lines (``ASIDE_TABLES``), so resolution never sees
        them: no article is parsed again. A source is the host of an article's URL, else its
        source name; articles with neither take no part. Recomputed from scratch on every
        run, in one transaction; returns the number of lines marked."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for raw, aside in ASIDE_TABLES.items():
                con.execute(f"INSERT INTO {raw} SELECT * FROM {aside}")
                con.execute(f"DELETE FROM {aside}")
            con.execute("DELETE FROM removed WHERE starts_with(reason, ?)", [REPEATED_REASON])
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE res_repeated AS
                WITH site AS (
                    SELECT article_id, coalesce(regexp_extract(lower(url),
                        '^[a-z][a-z0-9+.-]*://(?:www\\.)?([^/:?#]+)', 1), '') AS host, source
                    FROM articles WHERE status = 'ok'),
                keyed AS (
                    SELECT article_id, CASE WHEN host != '' THEN host ELSE source END AS site
                    FROM site WHERE host != '' OR coalesce(source, '') != ''),
                lines AS (SELECT l.*, k.site FROM body_lines l JOIN keyed k USING (article_id)),
                counts AS (SELECT site, hash, count(DISTINCT article_id) AS n FROM lines
                           GROUP BY site, hash)
                SELECT l.article_id, l.start, l."end", c.n, c.site
                FROM lines l JOIN counts c USING (site, hash)
                WHERE c.n >= CASE WHEN l.words >= {int(long_words)}
                                  THEN {int(min_articles_long)} ELSE {int(min_articles)} END""")
            con.execute(f"""
                INSERT INTO removed SELECT r.article_id, r.start, r."end",
                    substring(a.text, r.start + 1, r."end" - r.start),
                    concat('{REPEATED_REASON}the same line in ', r.n, ' articles of ', r.site)
                FROM res_repeated r JOIN articles a USING (article_id)""")
            inside = ('r.article_id = p.article_id AND r.start >= p.start '
                      'AND r."end" <= p."end"')
            for raw, aside in ASIDE_TABLES.items():
                con.execute(f"INSERT INTO {aside} SELECT r.* FROM {raw} r WHERE EXISTS "
                            f"(SELECT 1 FROM res_repeated p WHERE {inside})")
                con.execute(f"DELETE FROM {raw} r WHERE EXISTS "
                            f"(SELECT 1 FROM res_repeated p WHERE {inside})")
            marked = con.execute("SELECT count(*) FROM res_repeated").fetchone()[0]
            con.execute("DROP TABLE res_repeated")
            con.execute("COMMIT")
        except Exception:
            self._rollback()
            raise
        return int(marked)

    def update_statuses(self, updates: Iterable[tuple[str, str, str | None, list[str]]],
                        minhashes: Iterable[tuple[str, list[int]]] = ()) -> None:
        """Set (article_id, status, duplicate_of, problems) and backfill signatures, at once."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for aid, signature in minhashes:
                con.execute("UPDATE articles SET minhash = ? WHERE article_id = ?",
                            [signature, aid])
            for aid, status, of, problems in updates:
                con.execute("UPDATE articles SET status = ?, duplicate_of = ?, problems = ? "
                            "WHERE article_id = ?", [status, of, problems, aid])
            con.execute("COMMIT")
        except Exception:
            self._rollback()
            raise

    def _insert(self, table: str, frame: pd.DataFrame) -> None:
        insert_frame(self.con, table, frame)

    # -- reads -----------------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        """A whole table (or the contract view of ``articles``, or ``texts``) as a
        DataFrame."""
        if name == "texts":
            return self.texts()
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

    def texts(self) -> pd.DataFrame:
        """Each article's title, text as read, body (the text less the removed spans) and the
        removed spans (``{start, end, reason}``, in order)."""
        frame = self.con.execute("""
            SELECT a.article_id, a.title, coalesce(a.text, '') AS text,
                coalesce(r.removed, []) AS removed
            FROM articles a LEFT JOIN (
                SELECT article_id, list({'start': start, 'end': "end", 'reason': reason}
                                        ORDER BY start) AS removed
                FROM removed GROUP BY article_id) r USING (article_id)
            ORDER BY a.article_id""").df()
        frame["removed"] = [list(spans) for spans in frame["removed"]]
        frame.insert(3, "body", [body_text(text, spans) for text, spans in zip(
            frame["text"], frame["removed"], strict=True)])
        return frame


def body_text(text: str, removed: Iterable[dict]) -> str:
    """``text`` less the ``removed`` spans (dicts with ``start`` and ``end``)."""
    pieces, position = [], 0
    for span in sorted(removed, key=lambda r: r["start"]):
        pieces.append(text[position : max(position, span["start"])])
        position = max(position, span["end"])
    pieces.append(text[position:])
    return "".join(pieces)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_records_json(frame: pd.DataFrame) -> str:
    """A DataFrame as a JSON array of records (lists stay lists, NaN becomes null)."""
    return json.dumps(
        json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False)),
        ensure_ascii=False,
        indent=1,
    )


def _store_stamp(path: Path) -> tuple:
    """What changes when a store is written: inode, size and mtime of the file and its WAL."""
    stamp = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            st = file.stat()
        except FileNotFoundError:
            stamp.append(None)
        else:
            stamp.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


class _Loaded:
    """A table as read once from a store, and where each article's rows are in it."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._positions: dict | None = None

    def of_article(self, article_id: str) -> pd.DataFrame:
        if self._positions is None:
            self._positions = self.frame.groupby("article_id", sort=False).indices
        return self.frame.iloc[self._positions.get(article_id, [])]


#: Tables read per process, shared by every Workbook of the same store while its file is
#: unchanged (path -> (stamp, {table: _Loaded})): a kernel that renders 500 article pages
#: reads the store once, and a store written since is read again. The newest few stores.
_SHARED: dict[Path, tuple[tuple, dict[str, _Loaded]]] = {}
_SHARED_STORES = 4
_SHARED_LOCK = threading.Lock()
#: Whole tables behind the per-article reads (Workbook.article, timex, removed).
_ARTICLE_TABLES = {
    "article_rows": "SELECT * FROM articles ORDER BY article_id",
    "timex_rows": 'SELECT article_id, start, "end", text, label, sentence FROM raw_timex '
                  "ORDER BY article_id, start",
    "removed_rows": 'SELECT article_id, start, "end", reason, text FROM removed '
                    "ORDER BY article_id, start",
}


def _missing_to_none(value: object) -> object:
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value


class Workbook:
    """Read-only access to a store for notebooks: DataFrames loaded on first use.

    Each read opens and closes its own read-only connection, so an open notebook never
    holds a lock that would block the next ingest. Tables are read once per process and
    store version (its file's size and modification time) and shared by the Workbooks of
    that store: each Workbook gets its own copy-on-write view, so changing one in a notebook
    changes nothing for the next. Per-article reads are lookups in those tables.
    """

    def __init__(self, path: str | Path = DEFAULT_DB) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise StoreError(
                f"{self.path}: no store here yet; run `newsdesk ingest PATH --db {self.path}`"
            )
        self._cache: dict[str, pd.DataFrame] = {}
        self._loaded: dict[str, _Loaded] = {}

    def _read(self, sql: str, params: Iterable | None = None) -> pd.DataFrame:
        with Store(self.path, read_only=True) as store:
            return store.query(sql, params)

    def _load(self, name: str) -> _Loaded:
        """Table ``name`` as this Workbook first saw it, read once per process and version."""
        if name not in self._loaded:
            key = self.path.resolve()
            stamp = _store_stamp(key)  # before reading: a write during the read re-reads
            with _SHARED_LOCK:
                entry = _SHARED.get(key)
                if entry is None or entry[0] != stamp:
                    entry = _SHARED[key] = (stamp, {})
                _SHARED[key] = _SHARED.pop(key)  # newest last
                while len(_SHARED) > _SHARED_STORES:
                    del _SHARED[next(iter(_SHARED))]
            tables = entry[1]
            if name not in tables:
                with Store(self.path, read_only=True) as store:
                    frame = (store.query(_ARTICLE_TABLES[name]) if name in _ARTICLE_TABLES
                             else store.table(name))
                tables[name] = _Loaded(frame)
            self._loaded[name] = tables[name]
        return self._loaded[name]

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = self._load(name).frame.copy(deep=False)
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
        rows = self._load("article_rows").of_article(article_id)
        if rows.empty:
            known = ", ".join(self.articles["article_id"].head(10))
            raise KeyError(f"no article '{article_id}' in {self.path} (first ids: {known})")
        return {k: _missing_to_none(v) for k, v in rows.iloc[0].to_dict().items()}

    def article_mentions(self, article_id: str) -> pd.DataFrame:
        return self._load("mentions").of_article(article_id)

    def previous_snapshot(self) -> tuple[str | None, pd.DataFrame, pd.DataFrame]:
        """The last report run's snapshot: (run, entities, quotes); (None, empty, empty)
        before the first report."""
        runs = self._read("SELECT run, max(taken) AS taken FROM snapshot_entities "
                          "GROUP BY run ORDER BY taken DESC LIMIT 1")
        if runs.empty:
            return None, pd.DataFrame(columns=["entity_id", "name", "kind", "mentions",
                                               "articles"]), pd.DataFrame(
                columns=["article_id", "start", "end", "speaker"])
        run = runs["run"].iloc[0]
        entities = self._read("SELECT * EXCLUDE (run, taken) FROM snapshot_entities "
                              "WHERE run = ?", [run])
        quotes = self._read("SELECT * EXCLUDE (run) FROM snapshot_quotes WHERE run = ?", [run])
        return run, entities, quotes

    def article_quotes(self, article_id: str) -> pd.DataFrame:
        return self._load("quotes").of_article(article_id)

    @property
    def quotes(self) -> pd.DataFrame:
        return self._table("quotes")

    def timex(self, article_id: str = "") -> pd.DataFrame:
        """Dates and named events an article (all ok articles, when empty) mentions, with
        their sentences."""
        if not article_id:
            return self._read(
                'SELECT t.article_id, t.start, t."end", t.text, t.label, t.sentence '
                "FROM raw_timex t JOIN articles a USING (article_id) WHERE a.status = 'ok' "
                "ORDER BY t.article_id, t.start"
            )
        rows = self._load("timex_rows").of_article(article_id)
        return rows.drop(columns="article_id").reset_index(drop=True)

    def quality_inputs(self) -> dict[str, pd.DataFrame]:
        """What ``analysis.quality_checks`` reads besides the tables above, aggregated by the
        store: the copies, mentions per entity and spaCy label, removed lines per article
        and reason."""
        return {
            "articles": self.articles, "quotes": self.quotes, "entities": self.entities,
            "copies": self._read(
                "SELECT article_id, title, status, duplicate_of, problems FROM articles "
                "WHERE status IN ('duplicate', 'near_duplicate') ORDER BY article_id"),
            "label_counts": self._read(
                "SELECT entity_id, any_value(name) AS name, any_value(kind) AS kind, label, "
                "count(*) AS mentions FROM mentions GROUP BY entity_id, label "
                "ORDER BY entity_id, label"),
            "furniture": self._read(
                "SELECT article_id, reason, count(*) AS lines FROM removed "
                "GROUP BY article_id, reason ORDER BY article_id, reason"),
        }

    def removed(self, article_id: str) -> pd.DataFrame:
        """What was taken out of the article as page furniture, and why."""
        rows = self._load("removed_rows").of_article(article_id)
        return rows.drop(columns="article_id").reset_index(drop=True)
