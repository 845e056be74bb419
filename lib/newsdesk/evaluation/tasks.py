"""The evaluation tasks: each runs the real pipeline (the code path of ``newsdesk ingest``,
with the configured model) on a development set and scores it against the set's human
labels, beside a baseline (the bare spaCy model; trafilatura for HTML).

Each task returns a ``TaskResult``: tables for ``benchmarks/accuracy.md`` and a flat dict of
figures (for the regression guard in ``tests/test_evaluation.py``).
"""

from __future__ import annotations

import contextlib
import csv
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from newsdesk.evaluation import data as ds
from newsdesk.evaluation import scoring as sc

#: newsdesk's mention kinds and the bare model's labels, as CoNLL types.
KIND_TYPES = {"person": "PER", "organization": "ORG", "place": "LOC"}
LABEL_TYPES = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
#: The bare model's labels kept as entity mentions, and their kinds.
BARE_KINDS = {"PERSON": "person", "ORG": "organization", "GPE": "place", "LOC": "place",
              "FAC": "place", "NORP": "group"}
#: Title and honorific abbreviations (folded, without the dot) that are never places.
TITLE_ABBREVIATIONS = frozenset("""
mr mrs ms dr prof sen rep gov gen lt col sgt capt maj adm cmdr rev hon pres sec st jr sr
supt atty amb cpl pvt insp det msgr fr
""".split())


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    note: str = ""


@dataclass
class TaskResult:
    task: str
    dataset: str
    tables: list[Table] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Limits:
    """Subsets for a fast run (None: the whole set)."""

    conll_sentences: int | None = None
    polnear_articles: int | None = None
    pages: int | None = None


class Workspace:
    """Where a run writes its corpora and stores, and what it shares between tasks (the
    PolNeAR store serves both ``quotes`` and ``corpus``; the bare model is loaded once)."""

    def __init__(self, data: Path, work: Path, *, model: str, limits: Limits = Limits(),
                 workers: int = 0, bare_processes: int = 1) -> None:
        self.data = data
        self.work = work
        self.model = model
        self.limits = limits
        self.workers = workers
        self.bare_processes = bare_processes
        self._stores: dict[str, Path] = {}

    @cached_property
    def nlp(self):
        from newsdesk.nlp import load_pipeline

        return load_pipeline(self.model)

    @cached_property
    def ner_only(self):
        """The bare model with only what its entity recogniser needs (same entities)."""
        import spacy

        full = self.nlp
        needed = {"ner"}
        for name in ("tok2vec", "transformer"):
            if name in full.pipe_names and "ner" in getattr(
                    full.get_pipe(name), "listening_components", ()):
                needed.add(name)
        from newsdesk.nlp import UNUSED_COMPONENTS

        every = {*(full.meta.get("components") or full.pipe_names), *UNUSED_COMPONENTS}
        return spacy.load(self.model, exclude=sorted(p for p in every if p not in needed))

    def ingest(self, name: str, files: dict[str, str],
               manifest: list[dict] | None = None) -> Path:
        """Write ``files`` (name -> text) into a corpus folder and ingest it with newsdesk;
        returns the store. Done once per name and run."""
        if name in self._stores:
            return self._stores[name]
        from newsdesk.ingest import ingest

        folder = self.work / name / "corpus"
        folder.mkdir(parents=True, exist_ok=True)
        for file, text in files.items():
            (folder / file).write_text(text, encoding="utf-8")
        if manifest:
            with (folder / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(manifest[0]))
                writer.writeheader()
                writer.writerows(manifest)
        db = self.work / name / "store.duckdb"
        log = self.work / name / "ingest.log"
        with log.open("a", encoding="utf-8") as handle, contextlib.redirect_stderr(handle):
            ingest(folder, db=db, model=self.model, progress=False, n_process=self.workers)
        self._stores[name] = db
        return db

    def bare(self, texts: Iterable[str], *, entities_only: bool = False) -> Iterator:
        """The bare model's Docs (the full pipeline as newsdesk loads it, or only what its
        entities need), on ``bare_processes`` cores."""
        nlp = self.ner_only if entities_only else self.nlp
        return nlp.pipe(texts, batch_size=64, n_process=self.bare_processes)

    @cached_property
    def polnear(self) -> list[ds.PolnearArticle]:
        return ds.polnear_articles(self.data / "polnear_train",
                                   limit=self.limits.polnear_articles)

    @cached_property
    def pages(self) -> list[ds.Page]:
        return ds.scrapinghub_pages(self.data / "scrapinghub", limit=self.limits.pages)

    def polnear_store(self) -> Path:
        files = {f"{a.article_id}.txt": a.text for a in self.polnear}
        manifest = [{"file": f"{a.article_id}.txt", "published": a.published,
                     "source": a.publisher, "title": a.title} for a in self.polnear]
        return self.ingest("polnear", files, manifest)

    @cached_property
    def polnear_bare(self) -> dict[str, list]:
        """Per PolNeAR article: the bare model's entities (start, end, label, text) and
        sentences (start, end), and the bare quotes (see ``bare_quotes``)."""
        out = {}
        for article, doc in zip(self.polnear, self.bare(a.text for a in self.polnear),
                                strict=True):
            out[article.article_id] = {
                "ents": [(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents],
                "quotes": list(bare_quotes(doc)),
            }
        return out


def _frame(db: Path, sql: str) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _statuses(db: Path) -> dict[str, int]:
    frame = _frame(db, "SELECT status, count(*) AS n FROM articles GROUP BY status")
    return dict(zip(frame["status"], frame["n"], strict=True))


def _status_note(statuses: dict[str, int]) -> str:
    other = {k: v for k, v in statuses.items() if k != "ok"}
    if not other:
        return f"all {statuses.get('ok', 0)} articles read with status ok"
    listed = ", ".join(f"{n} {s}" for s, n in sorted(other.items()))
    return f"{statuses.get('ok', 0)} articles ok; not analysed by newsdesk: {listed}"


def _r(x: float) -> str:
    return f"{x:.3f}"


# -- ner ----------------------------------------------------------------------------------------
def task_ner(ws: Workspace) -> TaskResult:
    """CoNLL-2003 valid: entity P/R/F1 per type and micro (exact span and type)."""
    docs = ds.conll_documents(ws.data / "conll2003" / "valid.txt",
                              max_sentences=ws.limits.conll_sentences)
    gold = {(d.doc_id, s.start, s.end, s.label) for d in docs for s in d.spans
            if s.label in ("PER", "ORG", "LOC")}
    db = ws.ingest("conll", {f"{d.doc_id}.txt": d.text for d in docs})
    mentions = _frame(db, "SELECT article_id, start, \"end\", kind FROM mentions")
    ours = {(a, int(s), int(e), KIND_TYPES[k]) for a, s, e, k in mentions.itertuples(
        index=False) if k in KIND_TYPES}
    bare = set()
    for doc_, doc in zip(docs, ws.bare((d.text for d in docs), entities_only=True),
                         strict=True):
        bare |= {(doc_.doc_id, e.start_char, e.end_char, LABEL_TYPES[e.label_])
                 for e in doc.ents if e.label_ in LABEL_TYPES}
    rows = []
    figures: dict[str, float] = {}
    for system, predicted in (("bare spaCy", bare), ("newsdesk", ours)):
        for label in ("PER", "ORG", "LOC", "micro"):
            keep = (lambda t: True) if label == "micro" else (lambda t, x=label: t[3] == x)
            score = sc.span_prf({t for t in predicted if keep(t)}, {t for t in gold if keep(t)})
            rows.append((system, label, _r(score.precision), _r(score.recall), _r(score.f1),
                         score.gold))
            key = "bare" if system == "bare spaCy" else "newsdesk"
            figures[f"{key}_{label}_f1"] = score.f1
            figures[f"{key}_{label}_precision"] = score.precision
            figures[f"{key}_{label}_recall"] = score.recall
    sentences = sum(d.sentences for d in docs)
    return TaskResult(
        "ner", f"CoNLL-2003 valid: {len(docs)} documents, {sentences:,} sentences, "
        f"{len(gold):,} PER/ORG/LOC entities",
        [Table("Entities (exact span and type; MISC and groups left out)",
               ("system", "type", "precision", "recall", "F1", "gold"), tuple(rows),
               _status_note(_statuses(db)))],
        figures)


# -- quotes -------------------------------------------------------------------------------------
_OPEN_CLOSE = re.compile(r"“([^“”]+)”|\"([^\"\n]+)\"|''(.+?)''")


def bare_quotes(doc) -> Iterator[tuple[int, int, str, str | None]]:
    """A naive attribution with the bare model: every span in quotation marks is a direct
    quote, and every other sentence with a speech verb is reported speech; the speaker is
    the PERSON or ORG entity nearest the quote in its sentence (outside the quote)."""
    quoted = []
    for match in _OPEN_CLOSE.finditer(doc.text):
        group = next(i for i in (1, 2, 3) if match.group(i) is not None)
        start, end = match.start(group), match.end(group)
        quoted.append((start, end))
        yield start, end, "direct", _nearest(doc, start, end)
    for sent in doc.sents:
        if any(s < sent.end_char and e > sent.start_char for s, e in quoted):
            continue
        if any(t.lower_ in sc.SPEECH_CUES and t.pos_ == "VERB" for t in sent):
            yield sent.start_char, sent.end_char, "indirect", _nearest(
                doc, sent.start_char, sent.start_char)


def _nearest(doc, start: int, end: int) -> str | None:
    span = doc.char_span(start, max(end, start + 1), alignment_mode="expand")
    if span is None:
        return None
    sent = span[0].sent
    names = [e for e in sent.ents if e.label_ in ("PERSON", "ORG")
             and (e.end_char <= start or e.start_char >= end)]
    if not names:
        return None
    best = min(names, key=lambda e: min(abs(e.end_char - start), abs(e.start_char - end)))
    return best.text


@dataclass(frozen=True)
class QuoteScores:
    direct_recall: float
    direct_precision: float
    direct_speaker: float
    direct_gold: int
    direct_found: int
    direct_predicted: int
    reported_recall: float
    reported_speaker: float
    reported_gold: int
    reported_named: int


def score_quotes(
    articles: list[ds.PolnearArticle],
    predicted: dict[str, list[tuple[int, int, str, str | None]]],
) -> QuoteScores:
    """Score predicted quotes (article -> (start, end, kind, speaker name or None))."""
    d_gold = d_found = d_right = d_pred = d_prec = 0
    r_gold = r_found = r_named = r_right = 0
    for article in articles:
        quotes = predicted.get(article.article_id, [])
        contents = [a.content_hull for a in article.attributions]
        for q in quotes:
            if q[2] == "direct":
                d_pred += 1
                d_prec += any(sc.within_or_covers(q[:2], c) for c in contents)
        for attr in article.attributions:
            hull = attr.content_hull
            if sc.is_direct(attr.content_text):
                if not _named(attr, article.text):
                    continue
                d_gold += 1
                hits = [q for q in quotes if sc.within_or_covers(q[:2], hull)]
                if hits:
                    d_found += 1
                    d_right += all(sc.names_source(q[3], attr.source_text) for q in hits)
            elif sc.is_speech_cue(attr.cue_text):
                r_gold += 1
                hits = [q for q in quotes if sc.same_quote(q[:2], hull)]
                r_found += bool(hits)
                if hits and _named(attr, article.text):
                    r_named += 1
                    best = max(hits, key=lambda q: sc.overlap_share(q[:2], hull))
                    r_right += sc.names_source(best[3], attr.source_text)
    return QuoteScores(
        d_found / d_gold if d_gold else 0.0, d_prec / d_pred if d_pred else 0.0,
        d_right / d_found if d_found else 0.0, d_gold, d_found, d_pred,
        r_found / r_gold if r_gold else 0.0, r_right / r_named if r_named else 0.0,
        r_gold, r_named)


def _named(attr: ds.Attribution, text: str) -> bool:
    start = attr.source[0][0] if attr.source else -1
    return sc.is_named_source_in(attr.source_text, start, text)


def newsdesk_quotes(db: Path) -> dict[str, list[tuple[int, int, str, str | None]]]:
    frame = _frame(db, """SELECT q.article_id, q.start, q."end", q.kind, e.name
                          FROM quotes q LEFT JOIN entities e
                          ON e.entity_id = q.speaker_entity_id""")
    out: dict[str, list] = defaultdict(list)
    for aid, start, end, kind, name in frame.itertuples(index=False):
        out[aid].append((int(start), int(end), kind, None if pd.isna(name) else name))
    return out


def task_quotes(ws: Workspace) -> TaskResult:
    """PolNeAR train: direct quotes with a named source, reported speech with a speech verb."""
    db = ws.polnear_store()
    copies = set(_frame(db, "SELECT article_id FROM articles WHERE status IN "
                            "('duplicate', 'near_duplicate')")["article_id"])
    scored = [a for a in ws.polnear if a.article_id not in copies]
    ours = score_quotes(scored, newsdesk_quotes(db))
    bare = score_quotes(scored, {k: v["quotes"] for k, v in ws.polnear_bare.items()})
    rows_d = tuple((name, _r(s.direct_recall), _r(s.direct_precision), _r(s.direct_speaker),
                    s.direct_gold, s.direct_predicted)
                   for name, s in (("bare spaCy (naive)", bare), ("newsdesk", ours)))
    rows_r = tuple((name, _r(s.reported_recall), _r(s.reported_speaker), s.reported_gold,
                    s.reported_named)
                   for name, s in (("bare spaCy (naive)", bare), ("newsdesk", ours)))
    figures = {}
    for key, s in (("bare", bare), ("newsdesk", ours)):
        figures |= {f"{key}_direct_recall": s.direct_recall,
                    f"{key}_direct_precision": s.direct_precision,
                    f"{key}_direct_speaker": s.direct_speaker,
                    f"{key}_reported_recall": s.reported_recall,
                    f"{key}_reported_speaker": s.reported_speaker}
    n_attr = sum(len(a.attributions) for a in ws.polnear)
    return TaskResult(
        "quotes", f"PolNeAR train: {len(ws.polnear)} articles, {n_attr:,} annotated "
        "attributions (one annotator per article)",
        [Table("Direct quotes whose annotated source is a name",
               ("system", "recall", "precision", "speaker accuracy", "gold", "predicted"),
               rows_d, "Found: a predicted quote lies within or covers the annotated content "
               "(±3 characters). Precision: of all predicted direct quotes, those that lie "
               "within or cover any annotated content. Speaker: every predicted quote of a "
               "found one names the annotated source (its entity's surname is the source's)."),
         Table("Reported speech with a speech-verb cue (said, told, according to, added ...)",
               ("system", "recall", "speaker accuracy", "gold", "gold with a named source"),
               rows_r, "Found: a predicted quote within, covering or sharing half its union "
               "with the content. Speaker accuracy over found ones whose source is a name. "
               f"Scored on the {len(scored)} articles newsdesk counts (a copy of another "
               "article is counted once, as the original). " + _status_note(_statuses(db)))],
        figures)


# -- furniture (plain text pages) ---------------------------------------------------------------
@dataclass(frozen=True)
class PageLines:
    text: str
    body: tuple[tuple[int, int], ...]  # spans of the lines articleBody holds
    other: tuple[tuple[int, int], ...]


def label_lines(text: str, article_body: str) -> PageLines:
    """Split a page's visible text into body lines (those ``articleBody`` holds, whitespace
    folded, at word boundaries) and the rest."""
    gold = " " + " ".join(article_body.split()) + " "
    body, other = [], []
    for match in re.finditer(r"[^\n]+", text):
        line = " ".join(match.group().split())
        if not line:
            continue
        holds = f" {line} " in gold or (len(line) > 1 and re.search(
            r"(?<!\w)" + re.escape(line) + r"(?!\w)", gold) is not None)
        (body if holds else other).append((match.start(), match.end()))
    return PageLines(text, tuple(body), tuple(other))


def _joined(text: str, spans: tuple[tuple[int, int], ...]) -> tuple[str, list[int]]:
    """The lines of ``spans`` joined by newlines, with each line's offset in ``text``."""
    parts, starts, pos = [], [], 0
    for s, e in spans:
        parts.append(text[s:e])
        starts.append((pos, s))
        pos += e - s + 1
    return "\n".join(parts), starts


def _to_page(offset: int, starts: list[tuple[int, int]]) -> int:
    joined_at, page_at = max((j, p) for j, p in starts if j <= offset)
    return page_at + offset - joined_at


def reference_mentions(ws: Workspace, pages: list[PageLines]) -> list[tuple[list, list]]:
    """Per page: the bare model's entity spans on the body alone and the furniture-only
    ones (on the furniture alone, whose name the body never gives), in page offsets."""
    texts = []
    for page in pages:
        texts += [_joined(page.text, page.body), _joined(page.text, page.other)]
    docs = list(ws.bare((t for t, _ in texts), entities_only=True))
    out = []
    for i in range(len(pages)):
        refs = []
        for (joined, starts), doc in ((texts[2 * i], docs[2 * i]),
                                      (texts[2 * i + 1], docs[2 * i + 1])):
            refs.append([(_to_page(e.start_char, starts), _to_page(e.start_char, starts)
                          + len(e.text), sc.fold(e.text)) for e in doc.ents
                         if e.label_ in BARE_KINDS and starts])
        body_names = {name for _, _, name in refs[0]}
        out.append((refs[0], [r for r in refs[1] if r[2] not in body_names]))
    return out


def _kept_spans(db: Path) -> dict[str, list[tuple[int, int]]]:
    """Per article with status ok: the spans newsdesk removed (furniture)."""
    frame = _frame(db, """SELECT r.article_id, r.start, r."end" FROM removed r
                          JOIN articles a USING (article_id) WHERE a.status = 'ok'""")
    out: dict[str, list] = defaultdict(list)
    for aid, s, e in frame.itertuples(index=False):
        out[aid].append((int(s), int(e)))
    return out


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in spans)


def furniture_pages(ws: Workspace) -> tuple[list[str], list[PageLines], list[tuple]]:
    """The English pages as plain text: their ids, labelled lines and reference mentions."""
    english = [p for p in ws.pages if p.english]
    pages = [label_lines(ds.visible_text(p.html), p.body) for p in english]
    return [p.page_id for p in english], pages, reference_mentions(ws, pages)


def score_furniture(pages: list[PageLines], refs: list[tuple[list, list]],
                    cuts: list[list[tuple[int, int]]]) -> dict[str, float]:
    """Body mentions kept, furniture-only mentions counted and body character precision and
    recall when the spans ``cuts`` (one list per page) are removed."""
    kept_body = kept_furn = body_n = furn_n = 0
    char_tp = char_kept = char_body = 0
    for page, (body_refs, furn_refs), cut in zip(pages, refs, cuts, strict=True):

        def kept(span, cut=cut) -> bool:
            return not any(s < span[1] and span[0] < e for s, e in cut)

        body_n += len(body_refs)
        furn_n += len(furn_refs)
        kept_body += sum(kept(r[:2]) for r in body_refs)
        kept_furn += sum(kept(r[:2]) for r in furn_refs)
        body_chars = _chars(page.text, page.body)
        kept_chars = _chars(page.text, [(0, len(page.text))]) - _chars(page.text, cut)
        char_body += len(body_chars)
        char_kept += len(kept_chars)
        char_tp += len(body_chars & kept_chars)
    score = sc.PRF(char_tp, char_kept, char_body)
    return {"body_mentions_kept": kept_body / body_n if body_n else 0.0,
            "furniture_counted": kept_furn / furn_n if furn_n else 0.0,
            "char_precision": score.precision, "char_recall": score.recall,
            "char_f1": score.f1}


def task_furniture(ws: Workspace) -> TaskResult:
    """Plain-text pages (visible text of each English page): body kept, furniture counted."""
    ids, pages, refs = furniture_pages(ws)
    db = ws.ingest("furniture", {f"{i}.txt": p.text for i, p in zip(ids, pages, strict=True)})
    ok = set(_frame(db, "SELECT article_id FROM articles WHERE status = 'ok'")["article_id"])
    removed = _kept_spans(db)
    rows, figures = [], {}
    for system in ("bare spaCy", "newsdesk"):
        if system == "newsdesk":
            cuts = [removed.get(i, []) if i in ok else [(0, len(p.text))]
                    for i, p in zip(ids, pages, strict=True)]
        else:
            cuts = [[] for _ in pages]
        found = score_furniture(pages, refs, cuts)
        key = "bare" if system == "bare spaCy" else "newsdesk"
        figures |= {f"{key}_{name}": found[name] for name in (
            "body_mentions_kept", "furniture_counted", "char_precision", "char_recall")}
        rows.append((system, *(_r(found[name]) for name in (
            "body_mentions_kept", "furniture_counted", "char_precision", "char_recall",
            "char_f1"))))
    n_body = sum(len(b) for b, _ in refs)
    n_furn = sum(len(f) for _, f in refs)
    return TaskResult(
        "furniture", f"scrapinghub article-extraction benchmark: the {len(pages)} English pages "
        f"of {len(ws.pages)} as plain text (the visible text of the whole page); {n_body:,} "
        f"body and {n_furn:,} "
        "furniture-only entity mentions (bare model on the body alone and on the rest alone)",
        [Table("Body and page furniture in plain text",
               ("system", "body mentions kept", "furniture-only mentions counted",
                "body char precision", "body char recall", "body char F1"), tuple(rows),
               "A line is body when articleBody holds it. A mention is kept (counted) when "
               "newsdesk removed no part of it. Characters: non-space characters. "
               + _status_note(_statuses(db)))],
        figures)


def _chars(text: str, spans: Iterable[tuple[int, int]]) -> set[int]:
    return {i for s, e in spans for i in range(s, e) if not text[i].isspace()}


# -- html ---------------------------------------------------------------------------------------
def _bodies(db: Path) -> dict[str, str]:
    """newsdesk's body per article: the text less removed spans and the title line (whatever
    the status: a page in another language is extracted all the same)."""
    frame = _frame(db, "SELECT article_id, text, title, title_basis, status FROM articles")
    removed = _frame(db, 'SELECT article_id, start, "end" FROM removed')
    cuts: dict[str, list] = defaultdict(list)
    for aid, s, e in removed.itertuples(index=False):
        cuts[aid].append((int(s), int(e)))
    out = {}
    for aid, text, title, basis, status in frame.itertuples(index=False):
        if not isinstance(text, str):
            out[aid] = ""
            continue
        if basis == "heading" and title:
            at = text.find(title)
            if at >= 0:
                cuts[aid].append((at, at + len(title)))
        pieces, pos = [], 0
        for s, e in sorted(cuts[aid]):
            pieces.append(text[pos:max(pos, s)])
            pos = max(pos, e)
        pieces.append(text[pos:])
        out[aid] = "".join(pieces)
    return out


def task_html(ws: Workspace) -> TaskResult:
    """HTML pages: article-body bag-of-words P/R/F1 against articleBody, averaged over pages."""
    import trafilatura

    db = ws.ingest("html", {f"{p.page_id}.html": p.html for p in ws.pages})
    ours = _bodies(db)
    systems: dict[str, Callable[[ds.Page], str]] = {
        "all visible text": lambda p: ds.visible_text(p.html),
        "trafilatura": lambda p: trafilatura.extract(p.html, url=p.url or None) or "",
        "newsdesk": lambda p: ours.get(p.page_id, ""),
    }
    rows, figures = [], {}
    for name, extract in systems.items():
        scores = [sc.bow_prf(extract(p), p.body) for p in ws.pages]
        lost = sum(1 for s in scores if s[0] == 0.0 and s[1] == 0.0)
        p, r, f = (statistics.fmean(x[i] for x in scores) for i in range(3))
        rows.append((name, _r(p), _r(r), _r(f), lost))
        key = {"all visible text": "visible", "trafilatura": "trafilatura"}.get(name, name)
        figures |= {f"{key}_precision": p, f"{key}_recall": r, f"{key}_f1": f,
                    f"{key}_lost": lost}
    return TaskResult(
        "html", f"scrapinghub article-extraction benchmark: {len(ws.pages)} HTML pages "
        "(126 sites)",
        [Table("Article body from HTML (bag of words against articleBody, mean over pages)",
               ("system", "precision", "recall", "F1", "pages lost"), tuple(rows),
               "Pages lost: nothing of the body extracted. " + _status_note(_statuses(db)))],
        figures)


# -- corpus -------------------------------------------------------------------------------------
def _surname_shares(mentions: pd.DataFrame, persons: pd.DataFrame,
                    *, top: int) -> list[tuple[str, int, str, int, float, str]]:
    """For the ``top`` most mentioned person surnames: (surname, mentions whose text holds
    it as a word, largest entity, its count, its share, the runner-up entity).

    Surnames are the last words of the names of person entities with two words or more; a
    word counts as a surname when
    the model labelled most of the mentions holding it PERSON (so "House" of a misread
    "Obama White House" does not)."""
    folded = [set(re.sub(r"'s?\b", "", sc.fold(t)).split()) for t in mentions["text"]]
    candidates = {sc.fold(n).replace("'", "").split()[-1] for n in persons["name"]
                  if len(sc.fold(n).split()) > 1}
    holders: dict[str, Counter] = defaultdict(Counter)
    labels: dict[str, Counter] = defaultdict(Counter)
    for words, entity, label in zip(folded, mentions["name"], mentions["label"], strict=True):
        for word in words & candidates:
            holders[word][entity] += 1
            labels[word][label == "PERSON"] += 1
    rows = []
    for surname, counts in holders.items():
        if labels[surname][True] * 2 <= sum(labels[surname].values()):
            continue
        total = sum(counts.values())
        (best, n), *rest = counts.most_common(2) + [("", 0)]
        rows.append((surname, total, best, n, n / total, rest[0][0]))
    rows.sort(key=lambda r: (-r[1], r[0]))
    return rows[:top]


def _monthly_correlations(db: Path, persons: pd.DataFrame,
                          *, top: int) -> list[tuple[str, float, int]]:
    """Pearson correlation, month by month, of each top person's mentions with a plain
    regex count of their surname (as a word, case-sensitive) in the article texts; of their
    whole name where another of the top persons shares the surname (Bill and Hillary
    Clinton)."""
    arts = _frame(db, "SELECT article_id, published, text FROM articles "
                      "WHERE status = 'ok' AND published IS NOT NULL")
    arts["month"] = arts["published"].str[:7]
    ment = _frame(db, "SELECT m.article_id, m.entity_id FROM mentions m")
    ment = ment.merge(arts[["article_id", "month"]], on="article_id")
    months = sorted(arts["month"].unique())
    out = []
    surnames = Counter(n.split()[-1] for n in persons["name"][:top])
    for entity_id, name in zip(persons["entity_id"][:top], persons["name"][:top],
                               strict=True):
        surname = name.split()[-1] if surnames[name.split()[-1]] == 1 else name
        ours = ment[ment["entity_id"] == entity_id].groupby("month").size()
        pattern = re.compile(r"(?<!\w)" + re.escape(surname) + r"(?!\w)")
        plain = Counter()
        for month, text in zip(arts["month"], arts["text"], strict=True):
            plain[month] += len(pattern.findall(text))
        x = [float(ours.get(m, 0)) for m in months]
        y = [float(plain.get(m, 0)) for m in months]
        r = statistics.correlation(x, y) if len(months) > 2 and len(set(x)) > 1 and len(
            set(y)) > 1 else float("nan")
        out.append((name, r, int(sum(x))))
    return out


def _title_places(entities: pd.DataFrame) -> list[str]:
    bad = []
    for name, aliases in zip(entities["name"], entities["aliases"], strict=True):
        if any(sc.fold(a).replace(".", "").replace("'", "") in TITLE_ABBREVIATIONS
               for a in list(aliases) + [name]):
            bad.append(f"{name} ({', '.join(sorted(aliases))})")
    return bad


def task_corpus(ws: Workspace) -> TaskResult:
    """PolNeAR train as one corpus, dated by metadata.tsv: what an analyst sees first."""
    db = ws.polnear_store()
    entities = _frame(db, "SELECT * FROM entities ORDER BY mentions DESC, name")
    mentions = _frame(db, "SELECT m.text, m.label, m.entity_id, e.name FROM mentions m "
                          "JOIN entities e USING (entity_id)")
    persons = entities[entities["kind"] == "person"].reset_index(drop=True)
    shares = _surname_shares(mentions, persons, top=15)
    places = entities[entities["kind"] == "place"]
    title_places = _title_places(places)
    top100 = entities.head(100)
    digits = [n for n in top100["name"] if any(c.isdigit() for c in n)]
    correlations = _monthly_correlations(db, persons, top=10)

    bare = _bare_corpus(ws)
    rows_share = [("newsdesk", s, total, best, n, _r(share), runner)
                  for s, total, best, n, share, runner in shares]
    rows_share += [("bare spaCy", s, total, best, n, _r(share), runner)
                   for s, total, best, n, share, runner in bare["shares"]]
    valid = [r for _, r, _ in correlations if r == r]
    figures = {
        "newsdesk_min_surname_share": min((s[4] for s in shares), default=0.0),
        "newsdesk_title_places": len(title_places),
        "newsdesk_digit_names_top100": len(digits),
        "newsdesk_median_monthly_r": statistics.median(valid) if valid else 0.0,
        "bare_min_surname_share": min((s[4] for s in bare["shares"]), default=0.0),
        "bare_title_places": len(bare["title_places"]),
        "bare_digit_names_top100": len(bare["digits"]),
    }
    for s, _, _, _, share, _ in shares:
        figures[f"share_{s}"] = share
    top = {kind: ", ".join(f"{n} ({m:,})" for n, m in zip(
        entities.loc[entities["kind"] == kind, "name"][:20],
        entities.loc[entities["kind"] == kind, "mentions"][:20], strict=True))
        for kind in ("person", "organization", "place")}
    return TaskResult(
        "corpus", f"PolNeAR train as one corpus: {len(ws.polnear)} articles, dated by "
        "metadata.tsv (publication_date, publisher, title as manifest)",
        [Table("Is one person one entity? The 15 most mentioned person surnames",
               ("system", "surname", "mentions holding it", "largest entity", "its mentions",
                "share", "runner-up"), tuple(rows_share),
               "Mentions of any kind whose text holds the surname as a word. Bare spaCy: "
               "entities are the model's exact texts."),
         Table("What an analyst would laugh at",
               ("system", "places that are title abbreviations", "names with digits in the "
                "top 100"),
               (("bare spaCy", len(bare["title_places"]), len(bare["digits"])),
                ("newsdesk", len(title_places), len(digits))),
               "newsdesk: " + ("; ".join(title_places + digits) or "none") + ". Bare: "
               + ("; ".join(bare["title_places"][:10] + bare["digits"][:10]) or "none")),
         Table("Mentions over time against a plain count of the surname (Pearson r by month)",
               ("person", "r", "mentions"),
               tuple((n, _r(r), m) for n, r, m in correlations)),
         Table("Top 20 by kind (newsdesk)", ("kind", "entities (mentions)"),
               tuple((k, v) for k, v in top.items()), _status_note(_statuses(db)))],
        figures)


def _bare_corpus(ws: Workspace) -> dict:
    """The same corpus figures for the bare model: entities are its exact texts."""
    counts: Counter = Counter()
    texts: list[tuple[str, str, str]] = []
    for ents in (v["ents"] for v in ws.polnear_bare.values()):
        for _, _, label, text in ents:
            if label in BARE_KINDS:
                counts[(text, BARE_KINDS[label])] += 1
                texts.append((text, text, label))
    persons = pd.DataFrame([(t, n) for (t, k), n in counts.items() if k == "person"],
                           columns=["name", "mentions"]).sort_values("mentions",
                                                                     ascending=False)
    mentions = pd.DataFrame(texts, columns=["text", "name", "label"])
    shares = _surname_shares(mentions, persons, top=15)
    places = pd.DataFrame([(t, [t]) for (t, k) in counts if k == "place"],
                          columns=["name", "aliases"])
    top100 = [t for (t, _), _ in counts.most_common(100)]
    return {"shares": shares, "title_places": _title_places(places),
            "digits": [t for t in top100 if any(c.isdigit() for c in t)]}


TASKS: dict[str, Callable[[Workspace], TaskResult]] = {
    "ner": task_ner,
    "quotes": task_quotes,
    "furniture": task_furniture,
    "html": task_html,
    "corpus": task_corpus,
}


def run_task(name: str, ws: Workspace) -> TaskResult:
    started = time.perf_counter()
    result = TASKS[name](ws)
    result.seconds = time.perf_counter() - started
    return result
