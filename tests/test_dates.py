"""Publication dates: parsing, precision, precedence."""

from __future__ import annotations

from datetime import date

import pytest

from newsdesk.dates import UNKNOWN, Published, parse_date, resolve_published


@pytest.mark.parametrize(
    ("value", "iso", "precision"),
    [
        ("2025-04-02", "2025-04-02", "day"),
        ("2025-04-02T19:49:31Z", "2025-04-02", "day"),
        ("2025-04-02 19:49:31", "2025-04-02", "day"),
        ("  2025-04-02  ", "2025-04-02", "day"),
        ("2025-4-2", "2025-04-02", "day"),
        ("2025-04", "2025-04", "month"),
        ("2025", "2025", "year"),
        ("April 2, 2025", "2025-04-02", "day"),
        ("April 2 2025", "2025-04-02", "day"),
        ("Apr. 2, 2025", "2025-04-02", "day"),
        ("sept 30, 2025", "2025-09-30", "day"),
        ("2 April 2025", "2025-04-02", "day"),
        ("2 Dec. 2025", "2025-12-02", "day"),
        ("02.04.2025", "2025-04-02", "day"),
        ("2/4/2025", "2025-04-02", "day"),
        ("2024-02-29", "2024-02-29", "day"),
    ],
)
def test_dates_parse_date_valid(value, iso, precision):
    assert parse_date(value) == Published(iso, precision, "metadata")


@pytest.mark.parametrize(
    "value",
    [
        None, "", "   ", "2025-02-30", "2025-13", "2025-00-10", "2023-02-29", "31.02.2025",
        "32.01.2025", "Foo 2, 2025", "April 31, 2025", "yesterday", "25-04-02", "04/2025",
    ],
)
def test_dates_parse_date_invalid_is_none(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (Published("2025-02", "month", "manifest"), date(2025, 2, 1)),
        (Published("2025", "year", "manifest"), date(2025, 1, 1)),
        (Published("2025-04-02", "day", "metadata"), date(2025, 4, 2)),
        (UNKNOWN, None),
    ],
)
def test_dates_first_day(published, expected):
    assert published.first_day == expected


def test_dates_manifest_wins_over_metadata():
    result = resolve_published(manifest="2025-02", metadata=("2025-04-02", "April 9, 2025"))
    assert result == Published("2025-02", "month", "manifest")


def test_dates_manifest_precision_kept():
    result = resolve_published(manifest="2025-02-15", manifest_precision="month")
    assert result == Published("2025-02-15", "month", "manifest")


def test_dates_unparseable_manifest_falls_back_to_metadata():
    result = resolve_published(manifest="soon", metadata=("2025-04-02",))
    assert result == Published("2025-04-02", "day", "metadata")


def test_dates_first_parseable_metadata_used():
    result = resolve_published(metadata=(None, "not a date", "2 April 2025", "2025-05-01"))
    assert result == Published("2025-04-02", "day", "metadata")


@pytest.mark.parametrize("metadata", [(), (None,), ("", "n/a"), ("2025-02-30",)])
def test_dates_nothing_parseable_is_unknown(metadata):
    result = resolve_published(manifest=None, metadata=metadata)
    assert result is UNKNOWN
    assert (result.date, result.precision, result.basis) == (None, None, "unknown")
