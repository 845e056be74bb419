"""Publication dates with precision (day|month|year) and basis.

Precedence: the manifest, then metadata the file carries (a header line, record fields, HTML
meta tags), else unknown. A date is never invented: what cannot be parsed is left unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

BASES = ("manifest", "metadata", "text", "inferred", "unknown")
_MONTHS = {
    m: i
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for m in names
}


@dataclass(frozen=True)
class Published:
    date: str | None  # ISO: YYYY-MM-DD, YYYY-MM or YYYY, as precise as known
    precision: str | None  # day | month | year
    basis: str  # one of BASES

    @property
    def first_day(self) -> date | None:
        """The first day the date covers (a month-precision date falls in its month)."""
        if not self.date:
            return None
        parts = [int(p) for p in self.date.split("-")] + [1, 1]
        return date(parts[0], parts[1], parts[2])


UNKNOWN = Published(None, None, "unknown")


def parse_date(value: str | None) -> Published | None:
    """Parse an ISO, numeric (D.M.YYYY) or English month-name date; ``None`` if it is not one."""
    if not value:
        return None
    text = value.strip()
    m = re.match(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$", text)
    if m:
        y, mo, d = m.groups()
        return _build(int(y), int(mo) if mo else None, int(d) if d else None)
    m = re.match(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$", text)
    if m:
        return _build(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = re.match(r"^([A-Za-z]+)\.? (\d{1,2}),? (\d{4})$", text)
    if m and m.group(1).lower() in _MONTHS:
        return _build(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    m = re.match(r"^(\d{1,2}) ([A-Za-z]+)\.? (\d{4})$", text)
    if m and m.group(2).lower() in _MONTHS:
        return _build(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    return None


def _build(year: int, month: int | None, day: int | None) -> Published | None:
    try:
        if day is not None and month is not None:
            return Published(date(year, month, day).isoformat(), "day", "metadata")
        if month is not None:
            datetime(year, month, 1)
            return Published(f"{year:04d}-{month:02d}", "month", "metadata")
        return Published(f"{year:04d}", "year", "metadata")
    except ValueError:
        return None


def resolve_published(
    *,
    manifest: str | None = None,
    manifest_precision: str | None = None,
    metadata: tuple[str | None, ...] = (),
    text: Published | None = None,
    inferred: Published | None = None,
) -> Published:
    """Pick the publication date by precedence: the manifest, then metadata the file carries
    (record fields, HTML meta tags, a date/source header line), then a date the text states,
    then an estimate from the text (basis "inferred"), else unknown."""
    parsed = parse_date(manifest)
    if parsed:
        precision = manifest_precision or parsed.precision
        return Published(parsed.date, precision, "manifest")
    for value in metadata:
        parsed = parse_date(value)
        if parsed:
            return parsed
    return text or inferred or UNKNOWN


# -- publication dates stated in the text -------------------------------------------------------
_MONTH_RE = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
             r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_FULL_DATE = re.compile(
    rf"\b(?:{_MONTH_RE}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})|"
    rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH_RE}\.?,?\s+(\d{{4}})|(\d{{4}})-(\d{{2}})-(\d{{2}}))\b",
    re.IGNORECASE,
)
_PUBLISHED_CUE = re.compile(r"(?i)\b(published|posted|updated|first published|dated)\b")


def _full_dates(text: str) -> list[tuple[int, date]]:
    """(position, date) of every full day-month-year date in ``text``."""
    found = []
    for m in _FULL_DATE.finditer(text):
        g = m.groups()
        try:
            if g[0]:
                d = date(int(g[2]), _month_number(g[0]), int(g[1]))
            elif g[4]:
                d = date(int(g[5]), _month_number(g[4]), int(g[3]))
            else:
                d = date(int(g[6]), int(g[7]), int(g[8]))
        except (ValueError, KeyError):
            continue
        found.append((m.start(), d))
    return found


def published_from_text(lines: list[str]) -> Published | None:
    """A publication date the text states: a "Published/Updated …" line, or a dateline
    opening the first paragraph ("MOSCOW, April 2, 2025 —"). Basis "text"."""
    for i, line in enumerate(lines):
        dates = _full_dates(line)
        if not dates:
            continue
        if _PUBLISHED_CUE.search(line) or (i == 0 and _is_dateline(line, dates[0][0])):
            return Published(dates[0][1].isoformat(), "day", "text")
    return None


def _is_dateline(line: str, position: int) -> bool:
    """A dateline: only an upper-case place name before the date, a dash or an agency
    after it ("MOSCOW, April 2, 2025 (Reuters) -")."""
    head = line[:position]
    if head and not re.fullmatch(r"[A-Z][A-Z .'’-]+,\s*", head):
        return False
    rest = _FULL_DATE.sub("", line[position:], count=1).lstrip()
    return bool(re.match(r"[-–—(/|]", rest))


def inferred_from_text(text: str) -> Published | None:
    """An estimate when nothing states the date: the month of the latest full date the text
    mentions (articles are mostly written soon after the latest dated event they report).
    Basis "inferred": reports show it as an estimate. Month and year alone are ignored, as
    they mostly date background ("the invasion in February 2022")."""
    dates = [d for _, d in _full_dates(text)]
    if not dates:
        return None
    latest = max(dates)
    return Published(f"{latest.year:04d}-{latest.month:02d}", "month", "inferred")


# -- dates the text mentions -----------------------------------------------------------------
@dataclass(frozen=True)
class Resolved:
    """A date expression resolved to the span of days it names."""

    start: date
    end: date
    precision: str  # day | week | month | year
    basis: str  # absolute (the text says it all) | relative (resolved against the anchor)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FUTURE = re.compile(r"(?i)\b(will|would|shall|due to|set to|is to|are to|plans? to|"
                     r"scheduled|expected to|next|upcoming|later)\b")
_SHIFT = {"last": -1, "previous": -1, "past": -1, "this": 0, "current": 0, "next": 1,
          "coming": 1}


def _month_span(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def resolve_expression(
    text: str,
    *,
    anchor: Published | None = None,
    sentence: str = "",
) -> Resolved | None:
    """Resolve a date expression ("February 2022", "December 20-21", "in August", "the 23rd",
    "last week", "on Saturday") to a span of days.

    Absolute expressions need nothing. Relative ones are resolved only against an anchor
    (the publication date) precise enough for them: a weekday or "last week" needs a day,
    "in August" a month, "last year" a year. Durations ("two to three months") are not dates.
    """
    t = re.sub(r"\s+", " ", text.strip().lower())
    t = re.sub(r"^(on|in|at|by|since|from|of|around|about)\s+", "", t)
    t = re.sub(r"^the\s+", "", t)
    qualifier = re.match(r"^(mid|early|late|end of|start of|beginning of)[- ]", t)
    if qualifier:
        t = t[qualifier.end():].strip()
        t = re.sub(r"^the\s+", "", t)
    absolute = _absolute(t)
    if absolute is not None:
        return absolute
    if anchor is None or not anchor.date:
        return None
    return _relative(t, anchor, future=bool(_FUTURE.search(sentence)))


def _absolute(t: str) -> Resolved | None:
    if re.fullmatch(r"\d{4}", t) and 1800 <= int(t) <= 2100:
        y = int(t)
        return Resolved(date(y, 1, 1), date(y, 12, 31), "year", "absolute")
    m = re.fullmatch(rf"{_MONTH_RE}\.?,? (\d{{4}})", t)
    if m:
        first, last = _month_span(int(m.group(2)), _month_number(m.group(1)))
        return Resolved(first, last, "month", "absolute")
    dates = _full_dates(t)
    if len(dates) == 1 and dates[0][0] == 0:
        d = dates[0][1]
        return Resolved(d, d, "day", "absolute")
    m = re.fullmatch(
        rf"{_MONTH_RE}\.? (\d{{1,2}})(?:st|nd|rd|th)?\s*[-–]\s*(\d{{1,2}}),? (\d{{4}})", t)
    if m:
        try:
            y, mo = int(m.group(4)), _month_number(m.group(1))
            return Resolved(date(y, mo, int(m.group(2))), date(y, mo, int(m.group(3))), "day",
                            "absolute")
        except ValueError:
            return None
    return None


def _month_number(name: str) -> int:
    key = name.lower().rstrip(".")
    return _MONTHS.get(key) or _MONTHS[key[:3]]


def _relative(t: str, anchor: Published, *, future: bool) -> Resolved | None:
    a = anchor.first_day
    precision = anchor.precision or "year"
    has_month = precision in ("day", "month")
    has_day = precision == "day"
    m = re.fullmatch(rf"{_MONTH_RE}\.? (\d{{1,2}})(?:st|nd|rd|th)?(?:\s*[-–]\s*(\d{{1,2}}))?", t)
    if m and has_month:
        mo = _month_number(m.group(1))
        year = _year_for_month(mo, a, future=future)
        try:
            first = date(year, mo, int(m.group(2)))
            last = date(year, mo, int(m.group(3) or m.group(2)))
        except ValueError:
            return None
        return Resolved(first, last, "day", "relative")
    m = re.fullmatch(_MONTH_RE + r"\.?", t)
    if m and has_month:
        mo = _month_number(m.group(1))
        first, last = _month_span(_year_for_month(mo, a, future=future), mo)
        return Resolved(first, last, "month", "relative")
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", t)
    if m and has_day:
        day = int(m.group(1))
        year, month = a.year, a.month
        if day > a.day and not future:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        try:
            d = date(year, month, day)
        except ValueError:
            return None
        return Resolved(d, d, "day", "relative")
    if t in _WEEKDAYS and has_day:
        delta = (_WEEKDAYS.index(t) - a.weekday()) % 7
        d = a + timedelta(days=delta) if future else a - timedelta(days=(7 - delta) % 7)
        return Resolved(d, d, "day", "relative")
    if t in ("today", "yesterday", "tomorrow") and has_day:
        d = a + timedelta(days={"today": 0, "yesterday": -1, "tomorrow": 1}[t])
        return Resolved(d, d, "day", "relative")
    m = re.fullmatch(r"(last|previous|past|this|current|next|coming) (week|month|year)", t)
    if m:
        shift, unit = _SHIFT[m.group(1)], m.group(2)
        if unit == "week" and has_day:
            monday = a - timedelta(days=a.weekday()) + timedelta(weeks=shift)
            return Resolved(monday, monday + timedelta(days=6), "week", "relative")
        if unit == "month" and has_month:
            index = a.year * 12 + a.month - 1 + shift
            first, last = _month_span(index // 12, index % 12 + 1)
            return Resolved(first, last, "month", "relative")
        if unit == "year":
            y = a.year + shift
            return Resolved(date(y, 1, 1), date(y, 12, 31), "year", "relative")
    return None


def _year_for_month(month: int, anchor: date, *, future: bool) -> int:
    """The year of a month named without one: the anchor's, unless that puts a past event
    after the anchor (then the year before) or a future one before it (the year after)."""
    if not future and month > anchor.month:
        return anchor.year - 1
    if future and month < anchor.month:
        return anchor.year + 1
    return anchor.year
