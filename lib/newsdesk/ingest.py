"""Ingest: corpus -> clean -> NLP (cached per article) -> store, then corpus-level resolution.

Only articles whose content hash or pipeline fingerprint changed are parsed again; entity
resolution is recomputed over the whole store afterwards, so counts always agree.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from newsdesk import entities
from newsdesk.clean import Cleaned, clean_text
from newsdesk.config import DEFAULT_DB, SAMPLE_DIR, aliases_file, model_name
from newsdesk.corpus import (
    Article,
    CorpusError,
    list_article_files,
    read_aliases,
    read_corpus,
)
from newsdesk.dates import resolve_published
from newsdesk.nlp import Annotation, Task, annotate, fingerprint, load_pipeline, require_model
from newsdesk.quotes import resolve_quotes
from newsdesk.store import ArticleRecord, Store, Workbook, now

SENTENCE_COLUMNS = ["article_id", "start", "end"]
REMOVED_COLUMNS = ["article_id", "start", "end", "text", "reason"]
RAW_COLUMNS = [
    "article_id", "start", "end", "text", "label", "sentence", "sent_start", "sent_end",
    "in_title", "in_heading", "subj",
]
QUOTE_COLUMNS = [
    "article_id", "start", "end", "kind", "cue", "speaker_type", "speaker_text",
    "speaker_start", "speaker_end", "sent_start", "quote", "sentence",
]
ROLE_COLUMNS = ["article_id", "start", "end", "role", "role_start", "role_end", "source"]


@dataclass(frozen=True)
class IngestSummary:
    run_id: str
    seen: int
    parsed: int
    cached: int
    failed: int
    db: Path

    def __str__(self) -> str:
        return (
            f"{self.seen} articles: {self.parsed} parsed, {self.cached} unchanged (cached), "
            f"{self.failed} with problems -> {self.db}"
        )


def ingest(
    path: str | Path,
    *,
    db: str | Path = DEFAULT_DB,
    manifest: str | Path | None = None,
    model: str | None = None,
    n_process: int = 1,
    batch_size: int = 64,
    progress: bool = True,
) -> IngestSummary:
    """Ingest the articles under ``path`` into the store at ``db``; return what was done."""
    model = require_model(model or model_name())
    fp = fingerprint(model)
    started = now()
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    if not Path(path).exists():
        raise CorpusError(f"{path}: no such file or folder")
    total = len(list_article_files(Path(path)))
    with Store(db) as store:
        keys = store.cache_keys()
        counts = {"seen": 0, "cached": 0, "failed": 0, "parsed": 0}
        pending: dict[str, tuple[Article, Cleaned]] = {}
        bar = tqdm(total=total, desc="ingest", unit="article", disable=not progress)

        def todo() -> Iterator[Task]:
            seen_ids: set[str] = set()
            for article in read_corpus(path, manifest=manifest):
                counts["seen"] += 1
                if article.article_id in seen_ids:
                    _warn(article.path, f"article id '{article.article_id}' seen before; skipped")
                    counts["failed"] += 1
                    bar.update()
                    continue
                seen_ids.add(article.article_id)
                stored = keys.get(article.article_id)
                if stored and stored[:2] == (article.content_hash, fp):
                    if stored[2] != article.meta_hash:  # manifest or path changed: no NLP
                        store.write_article_row(_article_row(
                            article, clean_text(article.text), fp, status="ok"))
                    counts["cached"] += 1
                    bar.update()
                    continue
                cleaned = clean_text(article.text)
                for problem in article.problems:
                    _warn(article.path, problem)
                if not cleaned.segments:
                    counts["failed"] += 1
                    store.write_article(_record(article, cleaned, None, fp, status="empty"))
                    _warn(article.path, "no article text; recorded with status 'empty'")
                    bar.update()
                    continue
                pending[article.article_id] = (article, cleaned)
                yield Task(article.article_id, article.text, cleaned.segments)

        tasks = todo()
        first = next(tasks, None)
        if first is not None:
            nlp = load_pipeline(model)
            stream = _chain(first, tasks)
            for annotation in annotate(stream, nlp=nlp, batch_size=batch_size,
                                       n_process=n_process):
                article, cleaned = pending.pop(annotation.article_id)
                store.write_article(_record(article, cleaned, annotation, fp))
                counts["parsed"] += 1
                bar.update()
        bar.close()
        resolve_store(store)
        store.record_run(
            run_id=run_id, command=f"ingest {path}", started=started, finished=now(),
            articles_seen=counts["seen"], parsed=counts["parsed"], cached=counts["cached"],
            failed=counts["failed"], fingerprint=fp,
        )
    return IngestSummary(run_id, counts["seen"], counts["parsed"], counts["cached"],
                         counts["failed"], Path(db))


def _chain(first: Task, rest: Iterator[Task]) -> Iterator[Task]:
    yield first
    yield from rest


def resolve_store(store: Store, *, aliases: str | Path | None = None) -> None:
    """Recompute mentions, entities, roles and places over every article in the store,
    applying the analyst's overrides (``aliases``, else ``config.aliases_file()``)."""
    ok = "JOIN articles a USING (article_id) WHERE a.status = 'ok'"
    raw = store.query(f"SELECT r.* FROM raw_mentions r {ok} ORDER BY article_id, start")
    raw_roles = store.query(f"SELECT r.* FROM raw_roles r {ok} ORDER BY article_id, start")
    raw_quotes = store.query(f"SELECT r.* FROM raw_quotes r {ok} ORDER BY article_id, start")
    overrides = read_aliases(Path(aliases) if aliases else aliases_file())
    result = entities.resolve(raw, raw_roles=raw_roles, overrides=overrides)
    store.replace_resolved({"mentions": result.mentions, "entities": result.entities,
                            "roles": result.roles, "places": result.places,
                            "quotes": resolve_quotes(raw_quotes, result.mentions)})


def _warn(path: str, message: str) -> None:
    tqdm.write(f"newsdesk: {path}: {message}", file=sys.stderr)


def _record(
    article: Article,
    cleaned: Cleaned,
    annotation: Annotation | None,
    fp: str,
    *,
    status: str = "ok",
) -> ArticleRecord:
    """The rows of one article: its metadata row and its per-article NLP tables."""
    row = _article_row(article, cleaned, fp, status=status)
    text, aid = article.text, article.article_id
    mentions = annotation.mentions if annotation else ()
    raw = pd.DataFrame(
        [
            {
                "article_id": aid, "start": m.start, "end": m.end, "text": m.text,
                "label": m.label, "sentence": text[m.sent_start : m.sent_end],
                "sent_start": m.sent_start, "sent_end": m.sent_end, "in_title": m.in_title,
                "in_heading": m.in_heading, "subj": m.subj,
            }
            for m in mentions
        ],
        columns=RAW_COLUMNS,
    )
    roles = pd.DataFrame(
        [(aid, r.start, r.end, r.role, r.role_start, r.role_end, r.source)
         for r in (annotation.roles if annotation else ())],
        columns=ROLE_COLUMNS,
    )
    sentence_spans = annotation.sentences if annotation else ()
    sentences = pd.DataFrame([(aid, s, e) for s, e in sentence_spans], columns=SENTENCE_COLUMNS)
    sentence_end = dict(sentence_spans)
    quotes = pd.DataFrame(
        [(aid, q.start, q.end, q.kind, q.cue, q.speaker_type, q.speaker_text, q.speaker_start,
          q.speaker_end, q.sent_start, text[q.start : q.end],
          text[q.sent_start : max(sentence_end.get(q.sent_start, q.end), q.end)])
         for q in (annotation.quotes if annotation else ())],
        columns=QUOTE_COLUMNS,
    )
    removed = pd.DataFrame(
        [(aid, r.start, r.end, r.text, r.reason) for r in cleaned.removed],
        columns=REMOVED_COLUMNS,
    )
    timex = pd.DataFrame(
        [(aid, t.start, t.end, t.text, t.label, text[t.sent_start : t.sent_end])
         for t in (annotation.timex if annotation else ())],
        columns=["article_id", "start", "end", "text", "label", "sentence"],
    )
    return ArticleRecord(row, raw, roles, quotes, timex, sentences, removed)


def _article_row(article: Article, cleaned: Cleaned, fp: str, *, status: str) -> dict:
    """The articles-table row: metadata by precedence, words of the body, cache keys."""
    published = resolve_published(
        manifest=article.published if article.date_basis == "manifest" else None,
        manifest_precision=article.published_precision,
        metadata=(article.published if article.date_basis == "metadata" else None,
                  cleaned.published),
    )
    text = article.text
    words = sum(len(text[s.start : s.end].split()) for s in cleaned.segments if not s.in_title)
    aid = article.article_id
    body = [s for s in cleaned.segments if not s.in_title and not s.heading]
    return {
        "article_id": aid,
        "path": article.path,
        "title": article.title or cleaned.title,
        "title_basis": "metadata" if article.title else cleaned.title_basis,
        "source": article.source or cleaned.source or cleaned.publisher,
        "url": article.url,
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


def open_workbook(db: str | Path | None = None) -> Workbook:
    """The store for notebooks. With no ``db`` and no default store yet, the sample corpus is
    ingested first, so every notebook's defaults run on a fresh checkout."""
    path = Path(db) if db else DEFAULT_DB
    if not db and not path.exists():
        print(f"newsdesk: no store at {path}; ingesting the sample corpus {SAMPLE_DIR} first")
        ingest(SAMPLE_DIR, db=path)
    return Workbook(path)
