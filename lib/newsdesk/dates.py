"""Publication dates with precision (day|month|year) and basis.

Precedence: the manifest, then metadata the file carries (a header line, record fields, HTML
meta tags), else unknown. A date is never invented: what cannot be parsed is left unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

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
) -> Published:
    """Pick the publication date by precedence: manifest, then file metadata, else unknown."""
    parsed = parse_date(manifest)
    if parsed:
        precision = manifest_precision or parsed.precision
        return Published(parsed.date, precision, "manifest")
    for value in metadata:
        parsed = parse_date(value)
        if parsed:
            return parsed
    return UNKNOWN
