"""Load the spaCy pipeline once and annotate article bodies with ``nlp.pipe``.

Each article arrives with its body segments (character spans into the text as read, from
``clean``); segments are parsed separately, so headings and paragraphs never run together,
and every offset found in a segment is shifted back into the article's own coordinates.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.clean import Segment
from newsdesk.config import DEFAULT_MODEL, EXTRACTION_VERSION, MODEL_INSTALL_HINT, model_name
from newsdesk.quotes import (
    SPEAKER_TITLES,
    RawQuote,
    cue_lemma,
    doc_quotes,
    inherit_speakers,
)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

#: spaCy labels kept as mentions, and the kind each becomes.
LABEL_KINDS: dict[str, str] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
}
#: Words that make a name an organization's ("... Fund", "Center for ...").
ORG_WORDS = frozenset("""
agency association authority bank board bureau center centre college commission committee
company corp corporation council court department directorate foundation fund group inc
institute institution league ltd ministry news office organization organisation party police
service services society staff times trust union university
""".split())
#: Components the extraction does not use.
UNUSED_COMPONENTS: tuple[str, ...] = ("lemmatizer",)


class ModelNotFoundError(RuntimeError):
    """The configured spaCy pipeline is not installed."""


@dataclass(frozen=True)
class RawMention:
    start: int
    end: int
    text: str
    label: str
    sent_start: int
    sent_end: int
    in_title: bool
    in_heading: bool = False
    subj: str = ""  # "subj": the sentence's subject; "poss_subj": its possessor ("X's aide")


@dataclass(frozen=True)
class RawRole:
    """A role the syntax gives a person mention: a title before it or an appositive after."""

    start: int  # the mention's span
    end: int
    role: str
    role_start: int
    role_end: int
    source: str  # title | appositive


@dataclass(frozen=True)
class RawTimex:
    """A date or named event the text mentions ("December 20-21", "last week", "the Alaska
    summit"), with its sentence: what the article says happened when."""

    start: int
    end: int
    text: str
    label: str  # DATE | EVENT
    sent_start: int
    sent_end: int


#: spaCy labels kept as dates and events.
TIMEX_LABELS = frozenset({"DATE", "EVENT"})


@dataclass(frozen=True)
class Annotation:
    """What the NLP found in one article: mentions, roles, sentence spans (article offsets)."""

    article_id: str
    mentions: tuple[RawMention, ...]
    sentences: tuple[tuple[int, int], ...]
    roles: tuple[RawRole, ...] = ()
    quotes: tuple[RawQuote, ...] = ()
    timex: tuple[RawTimex, ...] = ()


@dataclass(frozen=True)
class Task:
    """One article to annotate: its id, its text as read and the body segments to parse."""

    article_id: str
    text: str
    segments: tuple[Segment, ...]


def require_model(name: str | None = None) -> str:
    """Raise ModelNotFoundError, naming the install command, unless ``name`` is installed.

    Cheap (no spaCy import): a pipeline is an installed package or a folder on disk.
    """
    name = name or model_name()
    if Path(name).is_dir() or importlib.util.find_spec(name) is not None:
        return name
    if name == DEFAULT_MODEL:
        hint = MODEL_INSTALL_HINT
    else:
        hint = f"pip install {name} (a spaCy pipeline package), or unset NEWSDESK_MODEL"
    raise ModelNotFoundError(f"spaCy model '{name}' is not installed. Install it with: {hint}")


@functools.lru_cache(maxsize=4)
def load_pipeline(name: str | None = None) -> Language:
    """Load (once per process) the spaCy pipeline ``name`` (default: ``$NEWSDESK_MODEL``)."""
    import spacy

    name = require_model(name)
    return spacy.load(name, exclude=list(UNUSED_COMPONENTS))


def fingerprint(name: str | None = None) -> str:
    """Model name and version plus the extraction version: the key of cached NLP results."""
    name = name or model_name()
    try:
        version = importlib.metadata.version(name.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"{name}=={version}+extract{EXTRACTION_VERSION}"


#: Spaces other than the plain one, read as one by the model ("Trump\u00a0added" would
#: otherwise put a space token between a speaker and the verb). One character for one, so
#: every offset still points into the article's text.
_WIDE_SPACES = str.maketrans(dict.fromkeys(
    "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "))


def annotate(
    tasks: Iterable[Task],
    *,
    nlp: Language,
    batch_size: int = 64,
    n_process: int = 1,
) -> Iterator[Annotation]:
    """Yield one Annotation per task, in order, streaming through ``nlp.pipe``."""
    tasks_by_id: dict[str, Task] = {}
    order: list[str] = []

    def units() -> Iterator[tuple[str, tuple[str, int]]]:
        for task in tasks:
            tasks_by_id[task.article_id] = task
            order.append(task.article_id)
            for index, seg in enumerate(task.segments):
                text = task.text[seg.start : seg.end].translate(_WIDE_SPACES)
                yield text, (task.article_id, index)

    found: dict[str, tuple[list, list, list, list, list]] = {}

    def finish(article_id: str) -> Annotation:
        task = tasks_by_id.pop(article_id)
        mentions, sentences, roles, quotes, timex = found.pop(article_id, ([], [], [], [], []))
        headings = frozenset(q.start for q in quotes for seg in task.segments
                             if seg.heading and seg.start <= q.start < seg.end)
        persons = [(m.start, m.end, m.text) for m in mentions if m.label == "PERSON"]
        quotes = inherit_speakers(quotes, task.text, headings=headings, sentences=sentences,
                                  persons=persons)
        return Annotation(article_id, *(tuple(p) for p in (mentions, sentences, roles, quotes,
                                                            timex)))

    docs = nlp.pipe(units(), as_tuples=True, batch_size=batch_size, n_process=n_process)
    for doc, (article_id, index) in docs:
        # nlp.pipe keeps input order: every article queued before this one is complete.
        while order[0] != article_id:
            yield finish(order.pop(0))
        seg = tasks_by_id[article_id].segments[index]
        mentions, sentences, roles, quotes, timex = found.setdefault(
            article_id, ([], [], [], [], []))
        doc_q = list(doc_quotes(doc, offset=seg.start))
        speakers = [(q.speaker_start - seg.start, q.speaker_end - seg.start) for q in doc_q
                    if q.speaker_type == "description" and q.speaker_start >= 0]
        mentions.extend(doc_mentions(doc, offset=seg.start, in_title=seg.in_title,
                                     in_heading=seg.heading, speakers=speakers))
        sentences.extend((seg.start + s.start_char, seg.start + s.end_char) for s in doc.sents)
        quotes.extend(doc_q)
        if not seg.heading:
            roles.extend(doc_roles(doc, offset=seg.start))
            timex.extend(doc_timex(doc, offset=seg.start))
    while order:
        yield finish(order.pop(0))


def doc_mentions(
    doc: Doc, *, offset: int = 0, in_title: bool = False, in_heading: bool = False,
    speakers: Sequence[tuple[int, int]] = (),
) -> Iterator[RawMention]:
    """Named-entity mentions of the kinds we keep, with offsets shifted by ``offset``, plus
    names the model missed that general evidence supports (see ``missed_names``, and
    ``speakers``: the character spans of quote speakers the sieves found beside a cue but
    the model tagged no name in, "“...,” said Hannity")."""
    spans = [(_without_lead(ent), ent.label_) for ent in doc.ents if ent.label_ in LABEL_KINDS]
    if not in_heading:
        spans += list(missed_names(doc))
        spans += list(_speaker_names(doc, speakers, {t.i for s, _ in spans for t in s}))
    for span, label in sorted(spans, key=lambda s: s[0].start):
        sent = span.sent
        lead = len(span.text) - len(span.text.lstrip(_LEAD_MARKS))  # "-Craig Fehrman explains"
        if lead == len(span.text) or (label == "PERSON" and any(
                t.text.startswith("@") or "://" in t.text for t in span)):
            continue  # a handle or a link is no person's name ("@realDonaldTrump Twitter")
        yield RawMention(
            start=offset + span.start_char + lead,
            end=offset + span.end_char,
            text=span.text[lead:],
            label=label,
            sent_start=offset + sent.start_char,
            sent_end=offset + sent.end_char,
            in_title=in_title,
            in_heading=in_heading,
            subj=_subject_role(span.root),
        )


#: Bullets and dashes that a name's first token may carry at the start of a list line.
_LEAD_MARKS = "-–—•*·>|"


#: Part-of-speech tags of a word that the model took into a person's name at its start but
#: that is no name: a verb, modal, adjective, adverb or determiner capitalised by its place
#: in the sentence ("Asserting Clinton's ...", "Top Sanders aide ...", "Will Sanders win?").
_NOT_NAME_TAGS = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD", "JJ", "JJR", "JJS",
                            "RB", "RBR", "RBS", "DT", "IN", "PRP$", "WDT", "WP", "CC"})


def _without_lead(ent):
    """A PERSON span less leading words that are no name (see ``_NOT_NAME_TAGS``)."""
    if ent.label_ != "PERSON" or not ent.doc.has_annotation("TAG"):
        return ent
    start = ent.start
    while start < ent.end - 1 and ent.doc[start].tag_ in _NOT_NAME_TAGS and (
            ent.doc[start + 1].tag_ in ("NNP", "NNPS")):
        start += 1
    return ent if start == ent.start else ent.doc[start : ent.end]


def _subject_role(root) -> str:
    if root.dep_ in ("nsubj", "nsubjpass"):
        return "subj"
    if root.dep_ == "poss" and root.head.dep_ in ("nsubj", "nsubjpass"):
        return "poss_subj"
    return ""


def doc_timex(doc: Doc, *, offset: int = 0) -> Iterator[RawTimex]:
    """DATE and EVENT entities with their sentence spans (article offsets)."""
    for ent in doc.ents:
        if ent.label_ in TIMEX_LABELS:
            yield RawTimex(offset + ent.start_char, offset + ent.end_char, ent.text,
                           ent.label_, offset + ent.sent.start_char, offset + ent.sent.end_char)


#: Nouns that introduce a media outlet's name: "the Italian daily Corriere".
MEDIA_NOUNS = frozenset(
    "daily newspaper paper weekly magazine agency broadcaster outlet channel network tabloid "
    "radio station".split()
)


def missed_names(doc: Doc) -> Iterator[tuple]:
    """Capitalised names outside every entity that the model missed: a media outlet named
    after a media noun ("daily Corriere"), a large known place ("Lyon"), a name that
    is the subject of a reporting verb ("Ebeling said": a person, or an organization when
    it has an organization's word)."""
    from newsdesk import places

    covered = {t.i for ent in doc.ents for t in ent}
    i = 0
    while i < len(doc):
        token = doc[i]
        if token.i in covered or token.pos_ != "PROPN" or not token.text[:1].isupper():
            i += 1
            continue
        end = i + 1
        while end < len(doc) and end not in covered and doc[end].pos_ == "PROPN" and (
                doc[end].text[:1].isupper()):
            end += 1
        span = doc[i:end]
        before = doc[i - 1].lower_ if i > 0 else ""
        if before in MEDIA_NOUNS:
            yield span, "ORG"
        elif i > span.sent.start and places.is_large_place(span.text):
            yield span, "GPE"
        elif span.root.dep_ == "nsubj" and cue_lemma(span.root.head) and (
                not places.is_known_place(span.text)):
            words = {t.lower_ for t in span}
            yield span, "ORG" if words & ORG_WORDS else "PERSON"
        i = end


def _speaker_names(doc: Doc, speakers: Sequence[tuple[int, int]],
                   covered: set[int]) -> Iterator[tuple]:
    """Quote speakers (character spans) that begin with capitalised names (one to
    four words, proper nouns or capitalised words mid-sentence, honorifics cut, then the
    end, punctuation or a preposition) outside every name
    found: a person's name, or an organization's when it has an organization's word,
    unless it is a large place (a country, a region, a city of 100,000 or more)."""
    from newsdesk import places

    for start, end in speakers:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            continue
        i = span.start
        while i < span.end and doc[i].lower_.rstrip(".") in SPEAKER_TITLES:
            i += 1
        end = i
        while end < span.end and doc[end].is_alpha and doc[end].text[:1].isupper() and (
                doc[end].pos_ == "PROPN" or (doc[end].pos_ in ("NOUN", "ADV")
                                             and end != doc[end].sent.start)) and (
                end not in covered):  # a capitalised word mid-sentence the tagger missed
            end += 1
        after = doc[end] if end < span.end else None
        if not (1 <= end - i <= 4) or (after is not None and not (
                after.is_punct or after.pos_ == "ADP")):
            continue  # "Hannity on his show" yes; "Local news affiliate" no
        name = doc[i:end]
        if places.is_large_place(name.text):
            continue  # "China said": the country's government, kept as the place
        words = {t.lower_ for t in name}
        yield name, "ORG" if words & ORG_WORDS else "PERSON"
        covered.update(t.i for t in name)


#: Dependency relations that attach a title or descriptor before a name to it.
_TITLE_DEPS = frozenset({"compound", "amod", "nmod", "poss", "nn", "npadvmod"})


def doc_roles(doc: Doc, *, offset: int = 0) -> Iterator[RawRole]:
    """Roles of PERSON mentions: "government spokesman Jan Novak" (title) and "Anna
    Kowalska, head of the fund, ..." (appositive). Needs the parser; nothing without it."""
    if not doc.has_annotation("DEP"):
        return
    for ent in doc.ents:
        if ent.label_ != "PERSON":
            continue
        for span, source in ((_title_span(ent), "title"), (_appositive_span(ent), "appositive")):
            if span is None:
                continue
            text = span.text.strip(" ,;:-–—")
            if text and any(t.is_alpha for t in span):
                yield RawRole(
                    start=offset + ent.start_char, end=offset + ent.end_char, role=text,
                    role_start=offset + span.start_char, role_end=offset + span.end_char,
                    source=source,
                )


def _title_span(ent):
    """Contiguous tokens before the name that depend on it: "US President", "Kremlin aide"."""
    doc = ent.doc
    inside = set(range(ent.start, ent.end))
    first = ent.start
    for child in ent.root.lefts:
        if child.i >= ent.start or child.dep_ not in _TITLE_DEPS:
            continue
        subtree = list(child.subtree)
        if subtree[-1].i == first - 1 or all(t.i < ent.start for t in subtree):
            first = min(first, subtree[0].i)
    while first < ent.start and (doc[first].dep_ == "det" or doc[first].is_punct):
        first += 1
    if first >= ent.start or any(doc[i].is_punct and doc[i].text not in "'’-" for i in
                                 range(first, ent.start)):
        return None
    span = doc[first : ent.start]
    if not any(t.pos_ in ("NOUN", "PROPN") and t.i not in inside for t in span):
        return None
    if all(t.ent_type_ and t.ent_type_ != "NORP" for t in span if t.is_alpha):
        return None  # only other names before this one ("Smith John Doe"): no title
    return span


def _appositive_span(ent):
    """The appositive after a name: ", head of the Russian Direct Investment Fund,".

    Cut before a relative clause ("who played ...") or a comma that starts something else
    ("..., footage aired by TASS"), so the role is the descriptor alone.
    """
    doc = ent.doc
    for child in ent.root.rights:
        if child.dep_ != "appos" or child.i < ent.end:
            continue
        tokens = list(child.subtree)
        start, end = tokens[0].i, tokens[-1].i + 1
        if doc[start].is_punct:
            start += 1
        for token in doc[start:end]:
            if token.dep_ in ("relcl", "acl") and token.i > child.i:
                end = min(end, min(t.i for t in token.subtree))
            elif token.text == "," and token.i + 1 < end:
                nxt = doc[token.i + 1]
                if nxt.dep_ not in ("conj", "cc"):
                    end = min(end, token.i)
        return doc[start:end] if end > start else None
    return None


# -- running the NLP on every core, or on a Dask cluster -----------------------------------------
#: Articles sent to a worker at once: large enough to keep nlp.pipe's batches full, small
#: enough that the articles in flight (2 per worker) stay a bounded amount of memory.
CHUNK_ARTICLES = 32
#: In this process, smaller chunks: each is written to the store as soon as it is done.
IN_PROCESS_CHUNK = 2


def annotate_batch(tasks: list[Task], *, model: str, batch_size: int = 64) -> list[Annotation]:
    """Annotate a list of articles with the (process-cached) pipeline."""
    return list(annotate(tasks, nlp=load_pipeline(model), batch_size=batch_size))


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for task in tasks:
        chunk.append(task)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bounded(submit, chunks: Iterator[list], *, window: int) -> Iterator[list]:
    """Submit chunks, keeping at most ``window`` in flight; yield each chunk's result in
    input order."""
    from collections import deque

    futures: deque = deque()
    for chunk in chunks:
        futures.append(submit(chunk))
        while len(futures) >= window:
            yield futures.popleft().result()
    while futures:
        yield futures.popleft().result()


def map_chunks(
    fn: Callable[..., list],
    items: Iterable,
    *,
    workers: int = 1,
    model: str,
    chunk: int = CHUNK_ARTICLES,
    **kwargs: object,
) -> Iterator:
    """``fn(chunk, model=model, **kwargs)`` over chunks of ``items`` in ``workers`` local
    processes (in this process when 1, in chunks of ``IN_PROCESS_CHUNK``); yields each
    chunk's result list, in input order. Streaming: at most two chunks per worker are in
    flight, so memory does not grow with the corpus. Each worker loads the pipeline once;
    only compact results travel back, never parsed Docs."""
    if workers <= 1 or not _can_spawn():
        for part in _chunks(items, min(chunk, IN_PROCESS_CHUNK)):
            yield fn(part, model=model, **kwargs)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the parent has threads (DuckDB, progress bar); forking it is unsafe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=load_pipeline,
                             initargs=(model,)) as pool:
        yield from _bounded(lambda c: pool.submit(fn, c, model=model, **kwargs),
                            _chunks(items, chunk), window=2 * workers)


def _can_spawn() -> bool:
    """Worker processes re-import the main module: impossible for code read from standard
    input (``python -``), where the work then stays in this process."""
    import sys

    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or Path(main_file).exists()


def map_chunks_dask(
    fn: Callable[..., list],
    items: Iterable,
    *,
    model: str,
    scheduler: str | None = None,
    workers: int = 0,
    chunk: int = CHUNK_ARTICLES,
    **kwargs: object,
) -> Iterator:
    """As ``map_chunks``, on a Dask cluster: the one at ``scheduler`` (its workers need
    newsdesk and the model installed), or a LocalCluster of ``workers`` processes (default:
    every core). Each chunk's result list comes back in input order."""
    import os

    import dask
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
        slots = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    else:
        slots = workers or os.cpu_count() or 1
        # The nanny's MALLOC_TRIM_THRESHOLD_ makes spaCy about 20% slower; leave it unset.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                              None}):
            cluster = LocalCluster(n_workers=slots, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(cluster)
    try:
        yield from _bounded(
            lambda c: client.submit(fn, c, model=model, pure=False, **kwargs),
            _chunks(items, chunk), window=2 * max(1, slots))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
