"""Ingest: corpus -> clean -> NLP (cached per article) -> store, then corpus-level resolution.

Only articles whose content hash or pipeline fingerprint changed are parsed again; entity
resolution is recomputed over the whole store afterwards, so counts always agree. Memory
stays flat as the corpus grows: articles stream from the files to the store in chunks, and
the corpus-level steps (duplicates, resolution) run in DuckDB with Python holding one batch.

Articles that cannot or should not be analysed are kept with a status saying why (empty,
binary, too_large, missing, not_english) and never parsed; after parsing, exact and
near-duplicate copies are marked (duplicate, near_duplicate) over the whole store. Only
status 'ok' articles reach the resolved tables, so nothing is counted twice.

The corpus-level steps are skipped when nothing they read changed: their key (``corpus_key``:
every article's id, content hash, metadata hash, fingerprint and screened status, the
overrides file, the code version and the pipeline fingerprint) is stored with the resolved
tables, in the transaction that swaps them in, and compared on the next run.

Crash safety: every article is written in its own transaction and the run is recorded as
started first. A run killed at any point leaves whole articles and the key of the resolved
tables as they are, so the next run parses only what is missing and redoes the corpus-level
steps when what they read differs from what the stored tables were made of.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from tqdm.auto import tqdm

from newsdesk import places, quality, resolution
from newsdesk.clean import Cleaned, clean_text, line_hash, split_lines
from newsdesk.config import (
    DEFAULT_DB,
    NEAR_DUPLICATE_THRESHOLD,
    SAMPLE_DIR,
    aliases_file,
    code_version,
    db_memory,
    language,
    model_name,
)
from newsdesk.corpus import (
    Article,
    CorpusError,
    PageMeta,
    extract_html,
    list_article_files,
    read_aliases,
    read_corpus,
)
from newsdesk.dates import inferred_from_text, published_from_text, resolve_published
from newsdesk.nlp import (
    Annotation,
    Task,
    annotate_batch,
    fingerprint,
    map_chunks,
    map_chunks_dask,
    require_model,
)
from newsdesk.store import (
    ArticleRecord,
    Store,
    Workbook,
    disk_full_error,
    is_disk_full,
    now,
)

#: Statuses of articles that could not be read as articles: a run that writes one exits 1.
FAILED_STATUSES = frozenset({"empty", "binary", "too_large", "missing", "unreadable"})
#: From this many articles on, the NLP runs on every core by default (below, the start-up of
#: worker processes costs more than it saves).
AUTO_PARALLEL = 64
#: Articles read ahead to look their cache keys up at once.
LOOKUP_ARTICLES = 256
#: DuckDB's memory limit while parsed articles stream into the store.
STREAM_DB_MEMORY = "32MB"
#: The ``meta`` entry holding what the resolved tables were made of (``corpus_key``).
CORPUS_KEY = "corpus_key"
#: Prefixes of the problems that duplicate detection writes (and rewrites on every run).
COPY_NOTES = ("duplicate: ", "near_duplicate: ")
#: A body line found verbatim in this many articles of one source is furniture (a line of
#: ``REPEATED_LONG_WORDS`` words or more: ``REPEATED_LONG_ARTICLES``, since an updated
#: version of a story repeats its paragraphs).
REPEATED_ARTICLES = 3
REPEATED_LONG_ARTICLES = 5
REPEATED_LONG_WORDS = 20


@dataclass(frozen=True)
class IngestSummary:
    run_id: str
    seen: int
    parsed: int
    cached: int
    failed: int
    db: Path
    #: (status, count) of the articles seen, every status.
    statuses: tuple[tuple[str, int], ...] = field(default=())
    #: The previous run when it had not finished (killed): this run completed its work.
    resumed: str | None = None
    #: Whether the corpus-level steps ran (False: nothing they read had changed).
    resolved: bool = True

    def __str__(self) -> str:
        flagged = [f"{n} {status}" for status, n in self.statuses if status != "ok"]
        return (
            f"{self.seen} articles: {self.parsed} parsed, {self.cached} unchanged (cached), "
            f"{self.failed} with problems"
            + (f"; not counted: {', '.join(flagged)}" if flagged else "")
            + (f"; completed the interrupted run {self.resumed}" if self.resumed else "")
            + ("" if self.resolved else "; corpus unchanged, entities not recomputed")
            + f" -> {self.db}"
        )


def ingest(
    path: str | Path,
    *,
    db: str | Path = DEFAULT_DB,
    manifest: str | Path | None = None,
    model: str | None = None,
    n_process: int = 0,
    batch_size: int = 64,
    progress: bool = True,
    engine: str = "local",
    scheduler: str | None = None,
    max_bytes: int | None = None,
    wait: float | None = None,
) -> IngestSummary:
    """Ingest the articles under ``path`` into the store at ``db``; return what was done.

    ``max_bytes``: largest article read (default ``config.max_bytes()``); ``wait``: seconds
    to wait for another process that has the store open (default ``config.lock_timeout()``).
    """
    model = require_model(model or model_name())
    fp = fingerprint(model)
    started = now()
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    if not Path(path).exists():
        raise CorpusError(f"{path}: no such file or folder")
    try:
        with Store(db, wait=wait) as store:
            return _ingest(store, Path(path), manifest=manifest, model=model, fp=fp,
                           run_id=run_id, started=started, n_process=n_process,
                           engine=engine, scheduler=scheduler,
                           batch_size=batch_size, progress=progress, max_bytes=max_bytes)
    except (duckdb.Error, OSError) as exc:
        if is_disk_full(exc):
            raise disk_full_error(Path(db), exc) from exc
        raise


def _ingest(
    store: Store,
    path: Path,
    *,
    manifest: str | Path | None,
    model: str,
    fp: str,
    run_id: str,
    started,
    n_process: int,
    engine: str,
    scheduler: str | None,
    batch_size: int,
    progress: bool,
    max_bytes: int | None,
) -> IngestSummary:
    total = len(list_article_files(path))
    previous = store.start_run(run_id, f"ingest {path}", started, fp)
    if previous:
        when = f"{previous[1]:%Y-%m-%d %H:%M:%S}"
        _warn(str(store.path), f"the previous run {previous[0]} (started {when}) did not "
              "finish; its articles are kept, the rest is done now")
    counts = {"seen": 0, "cached": 0, "failed": 0, "parsed": 0}
    bar = tqdm(total=total, desc="ingest", unit="article", disable=not progress)

    def todo() -> Iterator[Article]:
        """The articles to parse; the cache is looked up a group of articles at a time."""
        read = read_corpus(path, manifest=manifest, max_bytes=max_bytes)
        while group := list(itertools.islice(read, LOOKUP_ARTICLES)):
            ids = [a.article_id for a in group]
            keys = store.cache_keys(ids)
            before = store.mark_seen(ids)
            here: set[str] = set()
            for article in group:
                counts["seen"] += 1
                if article.article_id in before or article.article_id in here:
                    _warn(article.path,
                          f"article id '{article.article_id}' seen before; skipped")
                    counts["failed"] += 1
                    bar.update()
                    continue
                here.add(article.article_id)
                if _cached(store, article, keys.get(article.article_id), fp):
                    counts["cached"] += 1
                    bar.update()
                    continue
                yield article

    articles = todo()
    first = next(articles, None)
    if first is not None:
        # The place gazetteer is needed by the resolution at the end: load it meanwhile.
        threading.Thread(target=places.is_known_place, args=("Paris",), daemon=True).start()
        # Writing needs little memory, and DuckDB keeps what it wrote cached up to its
        # limit: a small one while articles stream in, the full one for the corpus steps.
        store.set_memory(STREAM_DB_MEMORY)
        stream = _chain(first, articles)
        if engine == "dask":
            done = map_chunks_dask(process_articles, stream, model=model, scheduler=scheduler,
                                   workers=n_process, fp=fp, batch_size=batch_size)
        else:
            workers = n_process or (os.cpu_count() or 1 if total >= AUTO_PARALLEL else 1)
            done = map_chunks(process_articles, stream, model=model, workers=workers, fp=fp,
                              batch_size=batch_size)
        for results in done:  # one chunk of articles, written in one transaction
            for record, reason in results:
                status = record.row["status"]
                for problem in record.row["problems"]:
                    if problem != reason and not problem.startswith(COPY_NOTES):
                        _warn(record.row["path"], problem)
                if status != "ok":
                    counts["failed"] += status in FAILED_STATUSES
                    _warn(record.row["path"], f"{reason}; recorded with status '{status}'")
                else:
                    counts["parsed"] += 1
            store.write_articles([record for record, _ in results])
            bar.update(len(results))
        store.set_memory(db_memory())
    bar.close()
    aliases = aliases_file()
    key = corpus_key(store, aliases=aliases, fp=fp)
    resolved = store.meta(CORPUS_KEY) != key
    if resolved:
        dedupe_store(store)
        set_aside_repeated(store)
        resolve_store(store, aliases=aliases, key=key)
    store.finish_run(run_id, articles_seen=counts["seen"], parsed=counts["parsed"],
                     cached=counts["cached"], failed=counts["failed"])
    return IngestSummary(run_id, counts["seen"], counts["parsed"], counts["cached"],
                         counts["failed"], Path(store.path), tuple(store.seen_statuses()),
                         previous[0] if previous else None, resolved)


def _cached(store: Store, article: Article, stored: tuple | None, fp: str) -> bool:
    """Whether the store already holds this article's NLP results (same content, same
    pipeline); a changed manifest row or path is written without parsing again."""
    if not stored or stored[:2] != (article.content_hash, fp):
        return False
    if stored[2] != article.meta_hash:  # manifest or path changed: no NLP
        article = extract_html(article)
        cleaned = clean_article(article)
        status, notes = screen(article, cleaned)
        for problem in article.problems:
            _warn(article.path, problem)
        store.write_article_row(_full_row(article, cleaned, fp, status, notes))
    return True


def clean_article(article: Article) -> Cleaned:
    """``clean_text`` of an article as read: the title its page or manifest gives marks the
    title line; text extracted from HTML is not searched for a body region again."""
    title = article.page.title if article.page else article.title
    return clean_text(article.text, title=title, layout=article.page is None)


def screen(article: Article, cleaned: Cleaned) -> tuple[str, tuple[str, ...]]:
    """An article's own status before any NLP, with the problems that explain it.

    The reader's verdict (binary, too_large, missing) first; then no text at all (empty);
    then a body clearly in another language than the pipeline's (not_english).
    """
    if article.status:
        return article.status, ()
    if not cleaned.segments:
        what = ("no text in the page's markup" if article.page and not article.text else
                "empty file" if not article.text else "only blank lines")
        return "empty", (f"no article text ({what})",)
    expected = language()
    found = quality.is_foreign(_body(article.text, cleaned, titles=True), expected)
    if found is not None:
        name = quality.LANGUAGES.get(expected, expected)
        status = "not_english" if expected == "en" else "other_language"
        return status, (f"language: {found} detected, not {name}; kept, not run through the "
                        f"{name} pipeline",)
    return "ok", ()


def _body(text: str, cleaned: Cleaned, *, titles: bool = False) -> str:
    return "\n".join(text[s.start : s.end] for s in cleaned.segments if titles or not s.in_title)


def body_shingles(text: str, cleaned: Cleaned | None = None) -> frozenset[int]:
    """Word 5-gram shingles of the cleaned body (title and page furniture left out)."""
    return quality.shingles(_body(text, cleaned or clean_text(text)))


def _signature(text: str, cleaned: Cleaned | None = None) -> list[int] | None:
    found = body_shingles(text, cleaned)
    return quality.minhash(found) if len(found) >= quality.MIN_SHINGLES else None


def dedupe_store(store: Store, *, threshold: float = NEAR_DUPLICATE_THRESHOLD) -> None:
    """Mark exact copies (same content hash) and near-duplicates (word 5-gram Jaccard ≥
    ``threshold``) among the store's readable articles; the earliest article_id is the
    original. Recomputed on every run: a copy whose original changed becomes 'ok' again.

    The candidate pairs come from DuckDB (MinHash bands joined in SQL); Python checks them
    in order, a page at a time, with the shingles of the few articles it compares."""
    backfill = []
    for aid in store.unsigned_articles():  # written before signatures were stored
        signature = _signature(store.article_text(aid))
        if signature is not None:
            backfill.append((aid, signature))
    if backfill:
        store.update_statuses([], backfill)

    @functools.lru_cache(maxsize=256)
    def shingles_of(aid: str) -> frozenset[int]:
        return body_shingles(store.article_text(aid))

    pairs = store.find_copies(num_perm=quality.NUM_PERM, bands=quality.BANDS,
                              min_estimate=threshold - quality.ESTIMATE_SLACK)
    near = []
    for later, group in itertools.groupby(pairs, key=lambda pair: pair[0]):
        copy = quality.first_similar(later, (earlier for _, earlier in group), shingles_of,
                                     threshold=threshold)
        if copy is not None:
            near.append((later, copy.status, copy.of, (
                f"near_duplicate: {copy.similarity:.0%} of its word 5-grams are shared with "
                f"'{copy.of}' (a syndicated copy)")))
        if len(near) >= 1000:
            store.add_copies(near)
            near = []
    store.add_copies(near)
    updates = []
    for aid, path, status, of, new_status, new_of, problems in store.copy_changes(COPY_NOTES):
        updates.append((aid, new_status, new_of, problems))
        if new_status != "ok" and (status, of) != (new_status, new_of):
            _warn(path, f"{problems[-1]}; recorded with status '{new_status}', not counted")
        elif new_status == "ok" and status != "ok":
            _warn(path, f"no longer a copy of '{of}'; status 'ok'")
    if updates:
        store.update_statuses(updates)


def set_aside_repeated(store: Store) -> int:
    """Lines that recur verbatim across the articles of one source are furniture (menus,
    sign-offs, boilerplate a page template adds), a signal no single article gives: they are
    added to the removed spans (reason "repeated: ...") and the mentions, roles, quotes and
    dates found inside them are set aside, without parsing anything again. Recomputed over
    the whole store on every run; returns the number of lines marked."""
    return store.set_aside_repeated(min_articles=REPEATED_ARTICLES,
                                    min_articles_long=REPEATED_LONG_ARTICLES,
                                    long_words=REPEATED_LONG_WORDS)


def process_articles(
    articles: list[Article], *, model: str, fp: str, batch_size: int = 64
) -> list[tuple[ArticleRecord, str | None]]:
    """Worker entry point: clean, screen, annotate (the readable ones) and build the rows of
    a chunk of articles; returns each record with the reason when its status is not 'ok'.

    Runs where the NLP runs (this process, a local worker or a Dask worker), so the parent
    process only reads files and writes the store; HTML is extracted here too."""
    articles = [extract_html(a) for a in articles]
    cleaned = [clean_article(a) for a in articles]
    screened = [screen(a, c) for a, c in zip(articles, cleaned, strict=True)]
    tasks = [Task(a.article_id, a.text, c.segments)
             for a, c, (status, _) in zip(articles, cleaned, screened, strict=True)
             if status == "ok"]
    found = {x.article_id: x for x in annotate_batch(tasks, model=model,
                                                     batch_size=batch_size)} if tasks else {}
    out = []
    for article, clean, (status, notes) in zip(articles, cleaned, screened, strict=True):
        reason = None if status == "ok" else (notes[0] if notes else article.problems[0])
        record = _record(article, clean, found.get(article.article_id), fp, status=status,
                         notes=notes)
        out.append((record, reason))
    return out


def _chain(first: Task, rest: Iterator[Task]) -> Iterator[Task]:
    yield first
    yield from rest


def resolve_store(store: Store, *, aliases: str | Path | None = None,
                  key: str | None = None) -> None:
    """Recompute mentions, entities, roles, places and quotes over every article in the
    store, applying the analyst's overrides (``aliases``, else ``config.aliases_file()``),
    and record ``key``, what they are made of (``corpus_key``, computed here when not given),
    in the transaction that swaps them in: the key always describes the tables."""
    aliases = Path(aliases) if aliases else aliases_file()
    if key is None:
        key = corpus_key(store, aliases=aliases, fp=fingerprint())
    overrides = read_aliases(aliases)
    with store.meta_on_commit({CORPUS_KEY: key}):
        resolution.resolve_store(store, overrides=overrides)


def corpus_key(store: Store, *, aliases: Path, fp: str) -> str:
    """What the corpus-level tables are made of: the store's articles (``articles_digest``),
    the overrides file's content, the code version and the pipeline fingerprint. When it is
    what the stored tables were made of, recomputing them would give them again."""
    try:
        overrides = hashlib.sha256(aliases.read_bytes()).hexdigest()
    except OSError:  # none (or unreadable: read_aliases says so when it is read)
        overrides = None
    parts = {"articles": store.articles_digest(), "aliases": overrides,
             "code": code_version(), "fingerprint": fp}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _warn(path: str, message: str) -> None:
    tqdm.write(f"newsdesk: {path}: {message}", file=sys.stderr)


def _record(
    article: Article,
    cleaned: Cleaned,
    annotation: Annotation | None,
    fp: str,
    *,
    status: str = "ok",
    notes: tuple[str, ...] = (),
) -> ArticleRecord:
    """The rows of one article: its metadata row and its per-article NLP rows (as tuples in
    ``store.PER_ARTICLE_COLUMNS`` order)."""
    row = _full_row(article, cleaned, fp, status, notes)
    text, aid = article.text, article.article_id
    a = annotation or Annotation(aid, (), ())
    sentence_end = dict(a.sentences)
    return ArticleRecord(
        row=row,
        raw_mentions=[(aid, m.start, m.end, m.text, m.label, text[m.sent_start : m.sent_end],
                       m.sent_start, m.sent_end, m.in_title, m.in_heading, m.subj)
                      for m in a.mentions],
        raw_roles=[(aid, r.start, r.end, r.role, r.role_start, r.role_end, r.source)
                   for r in a.roles],
        raw_quotes=[(aid, q.start, q.end, q.kind, q.cue, q.speaker_type, q.speaker_text,
                     q.speaker_start, q.speaker_end, q.sent_start, text[q.start : q.end],
                     text[q.sent_start : max(sentence_end.get(q.sent_start, q.end), q.end)],
                     q.speaker_sent if q.speaker_sent >= 0 else q.sent_start)
                    for q in a.quotes],
        raw_timex=[(aid, t.start, t.end, t.text, t.label, text[t.sent_start : t.sent_end])
                   for t in a.timex],
        sentences=[(aid, s, e) for s, e in a.sentences],
        removed=[(aid, r.start, r.end, r.text, r.reason) for r in cleaned.removed],
        body_lines=_body_lines(aid, text, cleaned),
    )


def _body_lines(aid: str, text: str, cleaned: Cleaned) -> list[tuple]:
    """(article_id, start, end, words, hash) of the lines of the body segments (title left
    out), for the corpus-level search of repeated lines."""
    spans = [(s.start, s.end) for s in cleaned.segments if not s.in_title]
    rows, at = [], 0
    for line in split_lines(text):
        while at < len(spans) and spans[at][1] < line.end:
            at += 1
        if at == len(spans):
            break
        if spans[at][0] <= line.start:
            rows.append((aid, line.start, line.end, line.words, line_hash(line.text)))
    return rows


def _full_row(article: Article, cleaned: Cleaned, fp: str, status: str,
              notes: tuple[str, ...] = ()) -> dict:
    """``_article_row`` plus the screening notes and the near-duplicate signature.

    The notes are not part of ``article.problems``, so ``meta_hash`` stays that of the
    article as read and an unchanged article is not rewritten on the next run.
    """
    row = _article_row(article, cleaned, fp, status=status)
    page_notes = article.page.notes if article.page else ()
    row["problems"] = [*row["problems"], *page_notes, *notes]
    row["minhash"] = _signature(article.text, cleaned) if status == "ok" else None
    row["duplicate_of"] = None
    return row


def _article_row(article: Article, cleaned: Cleaned, fp: str, *, status: str) -> dict:
    """The articles-table row: metadata by precedence (the manifest or the record's own
    fields, then what the page says of itself, then what the text says), words of the body,
    cache keys."""
    text = article.text
    page = article.page or PageMeta()
    paragraphs = [text[s.start : s.end] for s in cleaned.segments if not s.in_title]
    published = resolve_published(
        manifest=article.published if article.date_basis == "manifest" else None,
        manifest_precision=article.published_precision,
        metadata=(article.published if article.date_basis == "metadata" else None,
                  page.published, cleaned.published),
        text=published_from_text(paragraphs[:2] + paragraphs[-2:]),
        inferred=inferred_from_text("\n".join(paragraphs)),
    )
    words = sum(len(text[s.start : s.end].split()) for s in cleaned.segments if not s.in_title)
    aid = article.article_id
    body = [s for s in cleaned.segments if not s.in_title and not s.heading]
    title = article.title or page.title or cleaned.title
    return {
        "article_id": aid,
        "path": article.path,
        "title": title,
        "title_basis": _title_basis(article, cleaned, title),
        "source": article.source or page.site or cleaned.source or cleaned.publisher,
        "url": article.url or page.url,
        "author": article.author or page.author,
        "published": published.date,
        "published_precision": published.precision,
        "date_basis": published.basis,
        "note": article.note,
        "words": words,
        "status": status,
        "problems": list(article.problems),
        "content_hash": article.content_hash,
        "fingerprint": fp,
        "meta_hash": article.meta_hash,
        "lead": text[body[0].start : body[0].end] if body else None,
        "text": text,
        "ingested_at": now(),
    }


def _title_basis(article: Article, cleaned: Cleaned, title: str | None) -> str:
    """heading: the text's first line is the title; metadata: a field (manifest, record,
    page) gives it and the text does not head with it; lead, none: see ``clean_text``."""
    if cleaned.title_basis == "heading" and cleaned.title == title:
        return "heading"
    if article.title or (article.page and article.page.title):
        return "metadata"
    return cleaned.title_basis


def open_workbook(db: str | Path | None = None) -> Workbook:
    """The store for notebooks. With no ``db`` and no default store yet, the sample corpus is
    ingested first, so every notebook's defaults run on a fresh checkout."""
    path = Path(db) if db else DEFAULT_DB
    if not db and not path.exists():
        print(f"newsdesk: no store at {path}; ingesting the sample corpus {SAMPLE_DIR} first")
        ingest(SAMPLE_DIR, db=path)
    return Workbook(path)
