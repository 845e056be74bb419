"""Separate an article's body from the page around it, keeping everything that was removed.

Works line by line on the text as read and decides by general evidence only:

- the body region (``layout``): a small line model finds the run of lines that is the body
  by the shape of each line and of its neighbours; the runs before and after it (menus,
  bylines, captions, related links, comments, footers) are furniture;
- cue lines ("You may also like", "Comments", "Read more" ...) followed by links, a trailing
  run of headline-shaped lines, copyright and agency-signature lines, share/subscribe
  prompts anywhere;
- a date/source header line (which gives the published date and source) and a repeated or
  truncated title.

Every removed line keeps its reason. The result holds character spans into the original
text, so offsets found later in a segment map straight back. A line that recurs verbatim in
several articles of one source is furniture too: that is a corpus-level step
(``ingest.set_aside_repeated``), since one article alone cannot tell.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from newsdesk.layout import PROSE_WORDS, Model, body_region

# Lines that introduce page furniture at the end of an article (matched on the whole line).
_TRAILER_CUE = re.compile(
    r"^(you (may|might) (also )?(like|be interested in)|popular posts( from this blog)?|"
    r"related( articles| stories| posts| news| coverage| content)?|read (more|also|next)|"
    r"also read|more (from|on|stories|news)\b.*|recommended( for you| stories)?|"
    r"most (read|popular|viewed)|trending( now)?|comments?( \(\d+\))?|leave a (comment|reply)|"
    r"(\d+ )?comments?|top stories|latest news|see also|editor'?s picks)\s*:?$",
    re.IGNORECASE,
)
# Prompts that are never article content, wherever they stand.
_PROMPT = re.compile(
    r"^(share( this( article| story)?)?( on .*)?|subscribe\b.*|sign up\b.*|follow us\b.*|"
    r"click here\b.*|advertisement|scroll to continue.*|download (our|the) app\b.*|"
    r"(tweet|email|print|whatsapp|facebook|linkedin|copy link)( this)?)\s*:?$",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"^(©|\(c\)|copyright\b)|all rights reserved", re.IGNORECASE)
_MONTHS = (
    r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?)"
)
# A header line that carries a date, optionally a time and a source: "2025-04-02 19:49:31 /
# SOURCE", "April 2, 2025 | SOURCE", "02.04.2025 - SOURCE".
_META_DATE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}|"
    rf"{_MONTHS}\.? \d{{1,2}},? \d{{4}}|\d{{1,2}} {_MONTHS}\.? \d{{4}})"
    r"(?:[ T,]+\d{1,2}:\d{2}(?::\d{2})?(?: ?[AP]M)?(?: ?[A-Z]{2,5}|[+-]\d{2}:?\d{2}|Z)?)?"
    r"\s*(?:(?:[/|•·–—-]|by)\s*(?P<source>.+?))?\s*$",
    re.IGNORECASE,
)
_AGENCY_TAIL = re.compile(r"\s+/[A-Z]{2,6}\s*$")
_SENTENCE_END = re.compile(r"[.!?…:;\"'”’)\]。．！？」』]$")
_WS = " \t\u00a0\u2007\u202f\ufeff\r"


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Removed:
    """A span taken out of the body, with why."""

    start: int
    end: int
    text: str
    reason: str


@dataclass(frozen=True)
class Segment:
    """A run of body text for the NLP (a paragraph, a heading, or the title)."""

    start: int
    end: int
    in_title: bool = False
    heading: bool = False  # a headline-shaped line (title or sub-heading): capitalisation lies


@dataclass(frozen=True)
class Cleaned:
    title: str | None
    title_basis: str  # heading | lead | none
    segments: tuple[Segment, ...]
    removed: tuple[Removed, ...]
    published: str | None = None
    source: str | None = None
    publisher: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


def split_lines(text: str) -> list[Line]:
    """Non-empty lines with spans that exclude surrounding blanks (NBSP, BOM, CR included)."""
    lines = []
    for match in re.finditer(r"[^\n]+", text):
        raw = match.group()
        lead = len(raw) - len(raw.lstrip(_WS))
        stripped = raw.strip(_WS)
        if stripped:
            start = match.start() + lead
            lines.append(Line(start, start + len(stripped), stripped))
    return lines


def line_hash(text: str) -> int:
    """A signed 64-bit hash of a line, case and spacing folded: the same line in two
    articles has the same hash."""
    folded = " ".join(text.lower().split()).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(folded, digest_size=8).digest(), "big", signed=True)


def is_headline_shaped(line: Line, *, max_words: int = 20) -> bool:
    """Short, no sentence-final punctuation: a heading, a title, a link to another story."""
    return 0 < line.words <= max_words and not _SENTENCE_END.search(line.text)


def _norm(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def clean_text(text: str, *, title: str | None = None, layout: bool = True,
               model: Model | None = None) -> Cleaned:
    """Split ``text`` into title, body segments and removed furniture.

    ``title``: the title the article is known by (from its page or manifest): a first line
    that says it is the title heading, whatever its shape. ``layout``: look for the body
    region with the line model (``model``, default the shipped one), and take a trailing run
    of headline-shaped lines for links; off for text that an extractor has already cut from
    its page.
    """
    lines = split_lines(text)
    removed: dict[int, str] = {}  # line index -> reason
    title_idx, published, source = _header(text, lines, removed, title=title)
    region = _region(text, lines, model) if layout else None
    publisher = _trailer(lines, removed, first_body=0 if title_idx is None else title_idx + 1,
                         region=region, headline_runs=layout)
    for i, line in enumerate(lines):
        if i not in removed and i != title_idx and _PROMPT.match(line.text):
            removed[i] = "share/subscribe prompt"
    if region:
        title_idx = _outside_body(lines, removed, title_idx, region)
    body = [(i, ln) for i, ln in enumerate(lines) if i not in removed and i != title_idx]
    extra_removed, body_lines = _agency_signature(body)
    segments = list(_segments(body_lines))
    if title_idx is not None:
        t = lines[title_idx]
        segments.insert(0, Segment(t.start, t.end, in_title=True, heading=True))
        title, basis = t.text, "heading"
    else:
        title, basis = _title_from_lead(body_lines)
    removed_spans = [
        Removed(lines[i].start, lines[i].end, lines[i].text, reason)
        for i, reason in sorted(removed.items())
    ] + extra_removed
    return Cleaned(
        title=title,
        title_basis=basis,
        segments=tuple(segments),
        removed=tuple(sorted(removed_spans, key=lambda r: r.start)),
        published=published,
        source=source,
        publisher=publisher,
    )


def _header(
    text: str, lines: list[Line], removed: dict[int, str], *, title: str | None = None
) -> tuple[int | None, str | None, str | None]:
    """Title heading, date/source line and repeated title among the first lines."""
    title_idx = published = source = None
    head = lines[:4]
    for i, line in enumerate(head):
        m = _META_DATE.match(line.text)
        if m:
            removed[i] = "header: date/source line"
            published, source = m.group("date"), (m.group("source") or "").strip() or None
    first = next((i for i in range(len(head)) if i not in removed), None)
    known = first is not None and title is not None and " ".join(
        lines[first].text.split()) == " ".join(title.split())
    if known and len(lines) > 1:
        title_idx = first
    elif first is not None and len(lines) > 1 and is_headline_shaped(lines[first],
                                                                      max_words=25):
        nxt = lines[first + 1] if first + 1 < len(lines) else None
        blank_after = nxt is not None and text.count("\n", lines[first].end, nxt.start) > 1
        if blank_after or (first + 1) in removed:
            title_idx = first
    if title_idx is not None:
        norm_title = _norm(lines[title_idx].text)
        for i in range(title_idx + 1, min(len(lines), title_idx + 5)):
            n = _norm(lines[i].text)
            if i not in removed and len(n.split()) >= 3 and norm_title.startswith(n):
                removed[i] = "repeated title" if n == norm_title else "repeated (truncated) title"
    return title_idx, published, source


def _trailer(lines: list[Line], removed: dict[int, str], *, first_body: int,
             region: _Body | None = None, headline_runs: bool = True) -> str | None:
    """Mark trailing furniture: cue line and what follows, headline runs (unless
    ``headline_runs`` is off: text an extractor cut from its page ends with the body's own
    lists, not with links), copyright lines. With the body ``region``, a cue comes after its
    last prose line (a page's menus hold cue words too) and a run of headlines after its end
    (a list that ends the body is the body's)."""
    publisher = None
    n = len(lines)
    for i in range(n - 1, max(first_body, n // 3) - 1, -1):
        text = lines[i].text
        if _COPYRIGHT.search(text) and lines[i].words <= 25:
            removed[i] = "copyright line"
            publisher = publisher or _publisher(text)
    cue_from = first_body + 1 if region is None else max(first_body + 1, region.last_prose + 1)
    cue = next(
        (
            i
            for i in range(max(cue_from, n // 3), n)
            if _TRAILER_CUE.match(lines[i].text) and _tail_is_furniture(lines[i + 1 :])
        ),
        None,
    )
    if cue is not None:
        removed[cue] = "page furniture: cue line"
        for j in range(cue + 1, n):
            removed.setdefault(j, f"page furniture: after '{lines[cue].text}'")
    end = cue if cue is not None else n
    run = end
    floor = first_body if region is None else max(first_body, region.last + 1)
    if not headline_runs:
        floor = end
    while run > floor and (run - 1 in removed or is_headline_shaped(lines[run - 1])):
        run -= 1
    headlines = [j for j in range(run, end) if j not in removed]
    rows = sum(is_table_row(lines[j]) for j in headlines)
    if len(headlines) >= 3 and rows * 2 < len(headlines):  # a table of results is the article
        for j in headlines:
            removed[j] = "page furniture: run of headline-shaped lines at the end"
    return publisher


#: The fewest lines cut before or after the body region: a line or two is too little
#: evidence (a title and a date line, two closing lines).
MIN_EDGE_RUN = 3


class _Body(NamedTuple):
    """The body region: its first and last lines, and its last prose line (a sentence of
    some length) that the line model scores as body."""

    first: int
    last: int
    last_prose: int


def _region(text: str, lines: list[Line], model: Model | None) -> _Body | None:
    """The body region by the line model, widened over the prose paragraphs right next to
    it; None for a text with no prose in it, or too few lines to have runs at both edges."""
    if len(lines) < 2 * MIN_EDGE_RUN or not any(_is_prose(ln) for ln in lines):
        return None
    region = body_region(lines, text, model=model)
    first, last = region.first, region.last
    while first > 0 and _is_prose(lines[first - 1]):  # prose next to the body is body
        first -= 1
    while last + 1 < len(lines) and _is_prose(lines[last + 1]):
        last += 1
    span = range(first, last + 1)
    if not any(_is_prose(lines[i]) for i in span):
        return None
    sure = [i for i in span if region.scores[i] > 0 and _is_prose(lines[i])]
    return _Body(first, last, sure[-1] if sure else last)


def _outside_body(lines: list[Line], removed: dict[int, str], title_idx: int | None,
                  region: _Body) -> int | None:
    """Mark the runs before and after the body region (``layout.body_region``) as furniture,
    each when it holds at least ``MIN_EDGE_RUN`` lines no other rule removed; returns the
    title line, which stays the title only when the body shares its words."""
    first, last = region.first, region.last
    head = [i for i in range(first) if i not in removed and i != title_idx]
    if len(head) >= MIN_EDGE_RUN:
        if title_idx is not None and title_idx < first and not _shares_words(
                lines[title_idx], lines[first : last + 1]):
            head.append(title_idx)
            title_idx = None
        for i in head:
            removed[i] = "page furniture: before the body"
    tail = [i for i in range(last + 1, len(lines)) if i not in removed]
    if len(tail) >= MIN_EDGE_RUN:
        for i in tail:
            removed[i] = "page furniture: after the body"
    return title_idx


def _is_prose(line: Line) -> bool:
    return line.words >= PROSE_WORDS and bool(_SENTENCE_END.search(line.text)) and (
        not line.text.endswith(":"))


def _shares_words(title: Line, body: list[Line]) -> bool:
    """Whether at least half the title's words of four letters or more are in ``body``."""
    words = {w.lower() for w in re.findall(r"[^\W\d_]{4,}", title.text)}
    if not words:
        return False
    seen = {w.lower() for ln in body for w in re.findall(r"[^\W\d_]{4,}", ln.text)}
    return len(words & seen) * 2 >= len(words)


def _tail_is_furniture(tail: list[Line]) -> bool:
    """After a cue: nothing, or mostly short headline-shaped lines (links to other stories)."""
    if not tail:
        return True
    shaped = sum(
        1 for ln in tail
        if is_headline_shaped(ln) or _TRAILER_CUE.match(ln.text) or ln.words <= 14
    )
    return shaped / len(tail) >= 0.6


def _publisher(text: str) -> str | None:
    name = re.sub(r"(?i)^(©|\(c\)|copyright)\s*(\d{4}(\s*[-–]\s*\d{4})?)?\s*", "", text)
    name = re.sub(r"(?i)[.,]?\s*all rights reserved\.?", "", name)
    name = re.sub(r"\(?\s*(https?://|www\.)\S*\s*\)?", "", name).strip(" .,")
    return name or None


def _agency_signature(body: list[tuple[int, Line]]) -> tuple[list[Removed], list[Line]]:
    """A trailing agency tag such as " /ABC" on the last line is removed, the line kept."""
    if not body:
        return [], []
    lines = [ln for _, ln in body]
    last = lines[-1]
    m = _AGENCY_TAIL.search(last.text)
    if not m:
        return [], lines
    cut = last.start + m.start()
    tag = m.group().strip()
    lines[-1] = Line(last.start, cut, last.text[: m.start()])
    return [Removed(cut + (len(m.group()) - len(m.group().lstrip())), last.end, tag,
                    "agency signature")], lines


def _segments(lines: list[Line]) -> Iterator[Segment]:
    """Group lines into paragraphs: a hard-wrapped line continues when the next starts lower."""
    start = prev = None
    for line in lines:
        if start is None:
            start = line
        elif _SENTENCE_END.search(prev.text) or not line.text[:1].islower():
            yield Segment(start.start, prev.end, heading=start is prev and is_title_case(prev))
            start = line
        prev = line
    if start is not None:
        yield Segment(start.start, prev.end, heading=start is prev and is_title_case(prev))


#: Function words a title-case headline may leave in lower case.
_TITLE_CASE_LOWER = frozenset("""
a an the and or but nor for of in on at to by with from into onto over as vs via per up off
out about after before under than upon amid among against
""".split())


_NUMBER = re.compile(r"(?<![\w.])\d[\d.,:/%-]*")


def is_table_row(line: Line) -> bool:
    """A row of a table of figures (scores, results, prices): two numbers or more."""
    return len(_NUMBER.findall(line.text)) >= 2


def is_title_case(line: Line) -> bool:
    """A headline-shaped line (a final period allowed) in which every word but function
    words is capitalised ("Economic Ties at the Top", "Senator Slams Plan On Taxes."):
    capitalisation there says nothing about names. A row of a table (two or more numbers, or
    parentheses) is not a headline, nor is a line with any other lower-case word."""
    text = line.text[:-1] if line.text.endswith(".") else line.text
    if not is_headline_shaped(Line(line.start, line.start + len(text), text)):
        return False
    words = re.findall(r"[^\W\d_][\w'’.-]*", text)
    if is_table_row(line) or "(" in text:
        return False
    capital = [w for w in words if w[0].isupper()]
    lower = [w for w in words if not w[0].isupper() and w.lower() not in _TITLE_CASE_LOWER]
    return not lower and sum(len(w) > 3 for w in capital) >= 2


def _title_from_lead(lines: list[Line], *, max_words: int = 12) -> tuple[str | None, str]:
    if not lines:
        return None, "none"
    first = re.split(r"(?<=[.!?])\s", lines[0].text, maxsplit=1)[0]
    words = first.split()
    if len(words) <= max_words:
        return first.rstrip("."), "lead"
    return " ".join(words[:max_words]).rstrip(",;:") + " …", "lead"
