"""Load the spaCy pipeline once and annotate article bodies with ``nlp.pipe``.

Each article arrives with its body segments (character spans into the text as read, from
``clean``); segments are parsed separately, so headings and paragraphs never run together,
and every offset found in a segment is shifted back into the article's own coordinates.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.clean import Segment
from newsdesk.config import DEFAULT_MODEL, EXTRACTION_VERSION, MODEL_INSTALL_HINT, model_name

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


@dataclass(frozen=True)
class Annotation:
    """What the NLP found in one article: mentions and sentence spans, in article offsets."""

    article_id: str
    mentions: tuple[RawMention, ...]
    sentences: tuple[tuple[int, int], ...]


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
                yield task.text[seg.start : seg.end], (task.article_id, index)

    found: dict[str, tuple[list[RawMention], list[tuple[int, int]]]] = {}

    def finish(article_id: str) -> Annotation:
        del tasks_by_id[article_id]
        mentions, sentences = found.pop(article_id, ([], []))
        return Annotation(article_id, tuple(mentions), tuple(sentences))

    docs = nlp.pipe(units(), as_tuples=True, batch_size=batch_size, n_process=n_process)
    for doc, (article_id, index) in docs:
        # nlp.pipe keeps input order: every article queued before this one is complete.
        while order[0] != article_id:
            yield finish(order.pop(0))
        seg = tasks_by_id[article_id].segments[index]
        mentions, sentences = found.setdefault(article_id, ([], []))
        mentions.extend(doc_mentions(doc, offset=seg.start, in_title=seg.in_title))
        sentences.extend((seg.start + s.start_char, seg.start + s.end_char) for s in doc.sents)
    while order:
        yield finish(order.pop(0))


def doc_mentions(doc: Doc, *, offset: int = 0, in_title: bool = False) -> Iterator[RawMention]:
    """Named-entity mentions of the kinds we keep, with offsets shifted by ``offset``."""
    for ent in doc.ents:
        if ent.label_ not in LABEL_KINDS:
            continue
        sent = ent.sent
        yield RawMention(
            start=offset + ent.start_char,
            end=offset + ent.end_char,
            text=ent.text,
            label=ent.label_,
            sent_start=offset + sent.start_char,
            sent_end=offset + sent.end_char,
            in_title=in_title,
        )
