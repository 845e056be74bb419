"""Separate an article's body from the page around it, keeping everything that was removed.

Works line by line on the text as read and decides by general evidence only: position in the
text, cue lines ("You may also like", "Comments", "Read more" ...), the shape of lines (short,
headline-like, no sentence punctuation), and date/source/copyright patterns. The result holds
character spans into the original text, so offsets found later in a segment map straight back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

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
_SENTENCE_END = re.compile(r"[.!?…:;\"'”’)\]]$")
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


def is_headline_shaped(line: Line, *, max_words: int = 20) -> bool:
    """Short, no sentence-final punctuation: a heading, a title, a link to another story."""
    return 0 < line.words <= max_words and not _SENTENCE_END.search(line.text)


def _norm(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def clean_text(text: str) -> Cleaned:
    """Split ``text`` into title, body segments and removed furniture."""
    lines = split_lines(text)
    removed: dict[int, str] = {}  # line index -> reason
    title_idx, published, source = _header(text, lines, removed)
    publisher = _trailer(lines, removed, first_body=0 if title_idx is None else title_idx + 1)
    for i, line in enumerate(lines):
        if i not in removed and i != title_idx and _PROMPT.match(line.text):
            removed[i] = "share/subscribe prompt"
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
    text: str, lines: list[Line], removed: dict[int, str]
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
    if first is not None and len(lines) > 1 and is_headline_shaped(lines[first], max_words=25):
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


def _trailer(lines: list[Line], removed: dict[int, str], *, first_body: int) -> str | None:
    """Mark trailing furniture: cue line and what follows, headline runs, copyright lines."""
    publisher = None
    n = len(lines)
    for i in range(n - 1, max(first_body, n // 3) - 1, -1):
        text = lines[i].text
        if _COPYRIGHT.search(text) and lines[i].words <= 25:
            removed[i] = "copyright line"
            publisher = publisher or _publisher(text)
    cue = next(
        (
            i
            for i in range(max(first_body + 1, n // 3), n)
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
    while run > first_body and (run - 1 in removed or is_headline_shaped(lines[run - 1])):
        run -= 1
    headlines = [j for j in range(run, end) if j not in removed]
    if len(headlines) >= 3:
        for j in headlines:
            removed[j] = "page furniture: run of headline-shaped lines at the end"
    return publisher


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


def is_title_case(line: Line) -> bool:
    """A headline-shaped line (a final period allowed) in which every word but function
    words is capitalised ("Economic Ties at the Top", "Senator Slams Plan On Taxes."):
    capitalisation there says nothing about names. A row of a table (two or more numbers, or
    parentheses) is not a headline, nor is a line with any other lower-case word."""
    text = line.text[:-1] if line.text.endswith(".") else line.text
    if not is_headline_shaped(Line(line.start, line.start + len(text), text)):
        return False
    words = re.findall(r"[^\W\d_][\w'’.-]*", text)
    numbers = re.findall(r"(?<![\w.])\d[\d.,:/%-]*", text)
    if len(numbers) >= 2 or "(" in text:
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
