"""Corpus-level entity resolution: raw NER mentions in, one canonical entity per real actor out.

Recomputed over the whole store on every run (it is cheap), so a new article can change how
old mentions are merged and counts stay consistent. This module holds the rules, as pure
functions of a mention, a batch of mentions or a name; ``resolution`` runs them over a whole
store in bounded batches through DuckDB (``resolution.resolve`` does the same for
DataFrames). The only
knowledge used is the corpus itself, general rules (titles, possessives, transliteration),
the packaged gazetteer (``places``) and the analyst's overrides (``data/aliases.yml``).

Steps, each explainable from the output:

1. Clean each mention's span: cut possessives ("Novak's Role" -> "Novak"), leading
   titles ("President X"), "the"; split place compounds ("U.S.-Russia" -> two places). Spans
   stay exact: ``text[start:end]`` is always the mention.
2. In title-case headings capitalisation is no evidence: keep only names the body confirms.
3. Correct a mention's kind by general rules (a demonym is a group, a bare known place
   tagged PERSON is a place, a person-shaped FAC without a facility noun is a person).
4. Link persons: variants of one full name merge by a transliteration key; a surname or
   first name alone links to the one full name it can mean (same article first, then the
   corpus); ambiguous ones stay apart.
5. Group the rest by canonical name (places normalised by the gazetteer), decide each
   entity's kind by the majority of its mentions, geocode places with article context.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from newsdesk import places
from newsdesk.nlp import LABEL_KINDS, ORG_WORDS

KINDS = ("person", "organization", "place", "group", "other")
ENTITY_COLUMNS = [
    "entity_id", "name", "kind", "aliases", "role", "country", "lat", "lon", "mentions",
    "articles",
]
MENTION_COLUMNS = [
    "article_id", "entity_id", "name", "kind", "text", "start", "end", "sentence", "in_title",
    "label", "sent_start", "subj",
]
ROLE_COLUMNS = ["entity_id", "name", "article_id", "role", "source", "start", "end"]
PLACE_COLUMNS = [
    "entity_id", "candidate", "candidate_kind", "country", "lat", "lon", "population",
    "chosen", "basis",
]
_KIND_PRIORITY = {"person": 0, "organization": 1, "place": 2, "group": 3, "other": 4}

# Titles and honorifics that may stand before a name inside a PERSON span. General English
# vocabulary of news writing; compared lower-case without dots.
TITLE_WORDS = frozenset("""
mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend fr father sister
president vice prime minister secretary deputy chancellor premier governor gov mayor senator
sen rep representative congressman congresswoman speaker ambassador envoy special consul
king queen prince princess crown emperor sheikh sheikha emir sultan pope cardinal bishop
archbishop rabbi imam ayatollah general gen colonel col major maj lieutenant lt captain capt
sergeant sgt admiral adm commander marshal field chief ceo chairman chairwoman chair director
spokesman spokeswoman spokesperson aide adviser advisor minister's foreign defence defense
interior finance state attorney judge justice officer head leader former acting late
""".split())
# A facility's head noun: a FAC span that ends in none of these is probably not a facility.
FACILITY_WORDS = frozenset("""
airport bridge tower towers building center centre hall house palace park square street st
avenue ave road boulevard stadium arena museum station port harbour harbor dam canal tunnel
highway motorway base camp prison hospital church cathedral mosque temple synagogue school
university college library theatre theater hotel mall market plaza gate wall monument
memorial cemetery embassy consulate complex plant factory mine field club
""".split())
_POSSESSIVE_CUT = re.compile(r"['’]s?(?=\s|$)")
_SPLIT_COMPOUND = re.compile(r"\s*[-–—/]\s*")


@dataclass(frozen=True)
class Overrides:
    """The analyst's corrections (``data/aliases.yml``), names compared case-insensitively."""

    merge: Mapping[str, str] = field(default_factory=dict)  # alias -> canonical name
    split: frozenset[frozenset[str]] = frozenset()  # names never linked automatically
    rename: Mapping[str, str] = field(default_factory=dict)  # entity name -> new name
    kind: Mapping[str, str] = field(default_factory=dict)  # entity name -> kind
    ignore: frozenset[str] = frozenset()  # names dropped everywhere
    place: Mapping[str, str] = field(default_factory=dict)  # place name -> name to geocode
    coordinates: Mapping[str, tuple[str | None, float, float]] = field(default_factory=dict)


NO_OVERRIDES = Overrides()


@dataclass(frozen=True)
class Resolution:
    mentions: pd.DataFrame
    entities: pd.DataFrame
    roles: pd.DataFrame
    places: pd.DataFrame


def parse_overrides(data: Mapping | None) -> Overrides:
    """Validate the parsed YAML of ``aliases.yml``; raise ValueError naming the bad entry."""
    if not data:
        return NO_OVERRIDES
    if not isinstance(data, Mapping):
        raise ValueError("the file must be a mapping of sections (merge, rename, ...)")
    known = {"merge", "split", "rename", "kind", "ignore", "place"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown section(s) {sorted(unknown)}; expected {sorted(known)}")
    for name in known & set(data):
        want = list if name in ("split", "ignore") else Mapping
        if data[name] is not None and not isinstance(data[name], want):
            shape = "a list" if want is list else "a mapping (name: value)"
            raise ValueError(f"{name}: must be {shape}")
    merge: dict[str, str] = {}
    for target, aliases in (data.get("merge") or {}).items():
        if not isinstance(aliases, list):
            raise ValueError(f"merge: '{target}' must list the names merged into it")
        for alias in [target, *aliases]:
            merge[_fold(str(alias))] = str(target)
    split = frozenset(
        frozenset(_fold(str(n)) for n in group) for group in (data.get("split") or [])
    )
    kinds = {_fold(str(k)): str(v) for k, v in (data.get("kind") or {}).items()}
    bad = {v for v in kinds.values() if v not in KINDS}
    if bad:
        raise ValueError(f"kind: {sorted(bad)} not one of {', '.join(KINDS)}")
    place, coordinates = {}, {}
    for name, value in (data.get("place") or {}).items():
        if isinstance(value, str):
            place[_fold(str(name))] = value
        elif isinstance(value, Mapping) and {"lat", "lon"} <= set(value):
            coordinates[_fold(str(name))] = (value.get("country"), float(value["lat"]),
                                             float(value["lon"]))
        else:
            raise ValueError(f"place: '{name}' needs a place name or lat/lon (and country)")
    return Overrides(
        merge=merge,
        split=split,
        rename={_fold(str(k)): str(v) for k, v in (data.get("rename") or {}).items()},
        kind=kinds,
        ignore=frozenset(_fold(str(n)) for n in (data.get("ignore") or [])),
        place=place,
        coordinates=coordinates,
    )


# -- names -------------------------------------------------------------------------------------
def _fold(text: str) -> str:
    """Case- and accent-insensitive form for comparisons (a name in another script, which
    has no ASCII form, as written, lower-cased)."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore")
    folded = re.sub(r"\s+", " ", ascii_text.decode().lower()).strip()
    return folded or _as_written(text)


def _as_written(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


def normalize_name(text: str) -> str:
    """Surface form to name: straight apostrophes, no possessive, no leading 'the', one space."""
    name = re.sub(r"\s+", " ", text.replace("’", "'").replace("‘", "'")).strip(" .,;:")
    name = re.sub(r"(?:'s|(?<=s)')$", "", name)
    return re.sub(r"^the\s+", "", name, flags=re.IGNORECASE).strip()


def translit_key(name: str) -> str:
    """A key under which transliteration variants agree: Grigoriyev/Grigoriev, Zelenskyy/
    Zelensky/Zelenskiy; Mohammed/Muhammad stay apart (vowels kept); doubled letters fold."""
    key = re.sub(r"[^a-z ]", "", _fold(name).replace("-", " "))
    key = re.sub(r"(?<=[a-z])(iy|yi|ii|yy|ij)(?=[a-z]|\b)", "i", key)
    key = re.sub(r"(?<=[a-z])y\b", "i", key)
    key = re.sub(r"([a-z])\1+", r"\1", key)
    return re.sub(r"\s+", " ", key).strip() or _fold(name)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return (re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
            or re.sub(r"[\W_]+", "-", _as_written(text)).strip("-") or "x")


def _tokens(text: str) -> list[str]:
    return text.split()


# -- step 1: clean spans -----------------------------------------------------------------------
def clean_span(text: str, label: str) -> tuple[int, int, str]:
    """Trim a mention's span: returns (offset of new start, offset of new end, title removed).

    The name is the piece of the span between dashes, slashes or bars that reads most like
    one ("CLEVELAND - Donald Trump", "Donald Trump - and", "Carlos Barria / Reuters"), with
    no prefix ("pro-Clinton"), no figures after a person's name ("Ted Cruz 1", "Cruz
    42-40"), possessive, leading "the" or (for persons) leading titles. Offsets are
    relative to ``text``; the title is "" when none was stripped.
    """
    start, end = _name_piece(text, label)
    prefix = _PREFIX.match(text, start, end)
    if prefix:
        start = prefix.end()
    cut = _POSSESSIVE_CUT.search(text, start, end)
    if cut:
        end = cut.start()
    figures = _TRAILING_FIGURES.search(text, start, end) if label == "PERSON" else None
    if figures and any(c.isalpha() for c in text[start : figures.start()]):
        end = figures.start()
    while end > start and text[end - 1] in " .,;:-–—'’\")":
        if text[end - 1] == "." and re.search(r"\b[A-Z]\.$|\b[A-Z]\.[A-Z]\.$", text[:end]):
            break  # keep the dot of an abbreviation: "U.S."
        end -= 1
    the = re.match(r"(?i)the\s+", text[start:end])
    if the:
        start += the.end()
    title_end = start
    if label == "PERSON":
        words = list(re.finditer(r"\S+", text[start:end]))
        taken = 0
        while taken < len(words) - 1 and words[taken].group().strip(".,").lower() in TITLE_WORDS:
            taken += 1
        if taken:
            title_end = start
            start += words[taken].start()
    return start, end, text[title_end:start].strip() if start > title_end else ""


#: Where a span joins things that are not one name: a spaced dash, slash or bar, or an
#: en or em dash (a hyphen without spaces stays: "Jean-Claude", "Al-Sisi").
_PIECE_BREAK = re.compile(r"\s+[-–—/|]+\s+|\s*[–—|]+\s*")
#: A prefix glued to a name by a hyphen: "pro-Clinton", "anti-Trump", "ex-Labour".
_PREFIX = re.compile(r"(?i)(?:pro|anti|ex|non|post|pre|neo)-(?=[A-Z])")
#: Figures after a person's name: scores, poll numbers, counts ("1", "42-40", "—35", "384").
_TRAILING_FIGURES = re.compile(r"[\s\-–—:,]+\d[\d\s%.,:\-–—/]*$")


def _name_piece(text: str, label: str) -> tuple[int, int]:
    """The span's piece that reads most like a name: most capitalised words (not all in
    capitals for a person, where that is a dateline: "BERLIN - ..."), the first on ties."""
    bounds, pos = [], 0
    for match in _PIECE_BREAK.finditer(text):
        bounds.append((pos, match.start()))
        pos = match.end()
    if not bounds:
        return 0, len(text)
    bounds.append((pos, len(text)))

    def score(piece: tuple[int, int]) -> tuple[int, int]:
        words = [w for w in text[piece[0]:piece[1]].split() if any(c.isalpha() for c in w)]
        capital = sum(w[:1].isupper() for w in words)
        shouting = label == "PERSON" and bool(words) and all(w.isupper() for w in words)
        return (0 if shouting else 1) * bool(capital), capital

    best = max(bounds, key=score)  # max keeps the first of equals
    return best if score(best)[1] else (0, len(text))


def split_compound(text: str) -> list[tuple[int, int]] | None:
    """'U.S.-Russia' -> spans of 'U.S.' and 'Russia' when every part is a known place."""
    parts, pos = [], 0
    for match in _SPLIT_COMPOUND.finditer(text):
        parts.append((pos, match.start()))
        pos = match.end()
    if not parts:
        return None
    parts.append((pos, len(text)))
    if all(e > s and places.is_known_place(text[s:e]) for s, e in parts):
        return parts
    return None


PREPARED_COLUMNS = [
    "article_id", "start", "end", "text", "label", "sentence", "sent_start", "in_title",
    "in_heading", "title", "title_start", "subj",
]


def prepare_mentions(raw: pd.DataFrame) -> pd.DataFrame:
    """Step 1: cleaned spans (exact offsets), titles kept aside, place compounds split."""
    rows = []
    for m in raw.itertuples(index=False):
        for start, end, text, label, title, title_at in span_pieces(m.text, m.label):
            rows.append((
                m.article_id, m.start + start, m.start + end, text, label, m.sentence,
                _sent_start(m), bool(m.in_title), bool(getattr(m, "in_heading", False)),
                title, m.start + title_at if title else -1, getattr(m, "subj", "") or "",
            ))
    return pd.DataFrame(rows, columns=PREPARED_COLUMNS)


@lru_cache(maxsize=1 << 16)
def span_pieces(text: str, label: str) -> tuple[tuple[int, int, str, str, str, int], ...]:
    """The cleaned mentions a raw span gives, offsets relative to it: (start, end, text,
    label, title cut from it, where the title starts)."""
    pieces = split_compound(text) if label in ("GPE", "LOC", "NORP", "ORG") else None
    out = []
    for s0, e0 in pieces or [(0, len(text))]:
        sub = text[s0:e0]
        s1, e1, title = clean_span(sub, "GPE" if pieces else label)
        if e1 - s1 < 2 or not any(c.isalpha() for c in sub[s1:e1]):
            continue
        out.append((s0 + s1, s0 + e1, sub[s1:e1], "GPE" if pieces else label, title,
                    s0 + sub.find(title) if title else -1))
    return tuple(out)


def _sent_start(m) -> int:
    """Where the mention's sentence starts (derived when the input does not say)."""
    known = getattr(m, "sent_start", None)
    if known is not None and not pd.isna(known):
        return int(known)
    found = m.sentence.find(m.text)
    return m.start - found if found >= 0 else m.start


# -- step 2: headings --------------------------------------------------------------------------
def heading_runs(text: str) -> Iterator[tuple[int, int, int, int, str, str]]:
    """Word runs of a heading mention, longest first: (first word, words, start, end, part,
    folded name), ``start``/``end`` relative to ``text``; runs that cannot be a name skipped."""
    words = list(re.finditer(r"[^\s]+", text))
    for size in range(len(words) - 1, 0, -1):
        for i in range(len(words) - size + 1):
            s, e = words[i].start(), words[i + size - 1].end()
            s1, e1, _ = clean_span(text[s:e], "ORG")
            part = text[s + s1 : s + e1]
            if part[:1].isupper() and len(part) >= 2:
                yield i, size, s + s1, s + e1, part, _fold(normalize_name(part))


def heading_candidates(text: str) -> set[str]:
    """Every folded name a heading mention could be confirmed by: itself and its runs."""
    return {_fold(normalize_name(text))} | {run[5] for run in heading_runs(text)}


def confirm_heading(m, confirmed: Mapping[str, str]) -> list[dict]:
    """A heading mention kept whole when the body confirms it (or it names a known place),
    else the longest word runs inside it that the body confirms ("Kremlin Assembles
    Negotiation Team For US Talks" -> Kremlin, US); ``confirmed``: folded name -> label."""
    if _fold(normalize_name(m.text)) in confirmed or _is_place_name(m.text):
        return [m._asdict()]
    found, taken = [], set()
    for i, size, s, e, part, folded in heading_runs(m.text):
        if taken & set(range(i, i + size)):
            continue
        label = confirmed.get(folded) or ("GPE" if _is_place_name(part) else None)
        if label:
            taken |= set(range(i, i + size))
            found.append({**m._asdict(), "start": m.start + s, "end": m.start + e,
                          "text": part, "label": label})
    return found


def split_person(m, confirmed: Mapping[str, str]) -> list[dict]:
    """A person name that runs into the name of something else, split in two where the
    corpus confirms the start as a person and the rest, of two words or more, as an
    organization or place ("Obama White House" -> Obama, White House); else kept whole."""
    words = list(re.finditer(r"\S+", m.text))
    for i in range(1, len(words) - 1):  # the rest has two words or more: a name of its own
        head = m.text[: words[i - 1].end()]
        tail_at = words[i].start()
        tail = m.text[tail_at:]
        tail_label = confirmed.get(_fold(normalize_name(tail)))
        if confirmed.get(_fold(normalize_name(head))) == "PERSON" and tail_label in (
                "ORG", "GPE", "LOC", "FAC"):
            return [{**m._asdict(), "end": m.start + len(head), "text": head},
                    {**m._asdict(), "start": m.start + tail_at, "text": tail,
                     "label": tail_label}]
    return [m._asdict()]


def _is_place_name(text: str) -> bool:
    return places.canonical_place_name(text) is not None


# -- step 3: kinds -----------------------------------------------------------------------------
_COMPASS = frozenset({"west", "east", "north", "south", "global south", "global north"})
_SPEECH_AFTER = re.compile(
    r"^\s*(,[^,]{0,60},\s*)?(said|says|told|added|explained|stated|claimed|wrote|noted|"
    r"argued|warned|announced|confirmed|insisted|replied|responded)\b"
)


def mention_kind(text: str, label: str, *, person_surnames: frozenset[str]) -> str:
    """The kind one mention stands for, correcting the model by general rules."""
    kind = LABEL_KINDS.get(label, "other")
    words = _tokens(text)
    lowered = [w.lower().strip(".,") for w in words]
    if _fold(text) in _COMPASS:
        return "group"
    if kind == "group" or (kind == "place" and places.demonym_country(text)):
        return "group" if not places.is_known_place(text) else "place"
    if label == "PERSON" and len(words) == 1 and places.is_known_place(text):
        return "person" if translit_key(text) in person_surnames else "place"
    if label == "FAC":
        if places.is_known_place(text):
            return "place"
        if lowered[-1] not in FACILITY_WORDS and set(lowered) & ORG_WORDS:
            return "organization"
        if (2 <= len(words) <= 4 and lowered[-1] not in FACILITY_WORDS
                and all(w[:1].isupper() for w in words)):
            return "person"
    return kind


def is_role_only(text: str) -> bool:
    """A span made only of titles and nationality words ("Russian President", misspelt
    or not): a description of someone, not a name."""
    words = [w.strip(".,").lower() for w in _tokens(text)]
    has_title = any(_is_title_word(w) for w in words)
    return has_title and all(
        _is_title_word(w) or places.demonym_country(w) or places.is_known_place(w)
        for w in words
    )


def _is_title_word(word: str) -> bool:
    if word in TITLE_WORDS:
        return True
    return len(word) >= 6 and any(
        len(t) == len(word) and _one_swap(word, t) for t in TITLE_WORDS if len(t) >= 6
    )


def _one_swap(a: str, b: str) -> bool:
    """``a`` is ``b`` with two adjacent letters swapped (a common typo: "Presdient")."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and (
        a[diff[1]] == b[diff[0]])


#: Characters before a mention that ``coordinated`` reads for the gap to the one before it.
GAP_CHARS = 16
_OF_TITLE = re.compile(
    r"(?i)\b(secretary|minister|ministry|department|office|secretariat)\s+of\s+$")
_AFTER_THE = re.compile(r"(?i)\bthe\s+$")


def context_flags(before: str, after: str) -> tuple[bool, bool, bool]:
    """What the text around a mention says, from the sentence before and after it: (after
    "Secretary of"-like words, followed by a speech verb, right after "the")."""
    return (bool(_OF_TITLE.search(before)), bool(_SPEECH_AFTER.match(after)),
            bool(_AFTER_THE.search(before)))


def context_kind(row, neighbours: Mapping[tuple[str, int], str]) -> str:
    """Kind corrections that need the sentence (``row.of_title``, ``row.speaks``: see
    ``context_flags``): a person-shaped ORG that speaks is a person; a lone surname-like
    PERSON listed with organizations ("McKinsey and Goldman Sachs") is an organization;
    "Secretary of State" is part of a title, not an organization."""
    words = _tokens(row.norm)
    if row.kind == "organization" and row.of_title and len(words) == 1:
        return "drop"
    if (row.kind == "organization" and 2 <= len(words) <= 3
            and all(w[:1].isupper() and w[1:].islower() for w in words)
            and not {w.lower() for w in words} & ORG_WORDS
            and row.speaks):
        return "person"
    if row.kind == "person" and len(words) == 1 and neighbours.get(
            (row.article_id, row.start)) == "organization":
        return "organization"
    return row.kind


_JOINER = re.compile(r"\s*(,|and|or|, and|, or)\s*")


def coordinated(m: pd.DataFrame) -> dict[tuple[str, int], str]:
    """For each mention, the kind of a mention joined to it by "and", "or" or a comma (the
    one before it first); the gap is read from the later mention's ``before`` (its last
    ``GAP_CHARS`` characters: a longer gap is no list)."""
    ordered = m.sort_values(["article_id", "sent_start", "start"], kind="stable")
    rows = list(zip(ordered["article_id"], ordered["sent_start"], ordered["start"],
                    ordered["end"], ordered["kind"], ordered["before"], strict=True))
    out: dict[tuple[str, int], str] = {}
    for a, b in zip(rows, rows[1:], strict=False):
        if a[:2] != b[:2]:  # another sentence
            continue
        gap = b[2] - a[3]
        if 0 < gap <= len(b[5]) and _JOINER.fullmatch(b[5][len(b[5]) - gap :]):
            out.setdefault((a[0], a[2]), b[4])
            out.setdefault((b[0], b[2]), a[4])
    return out


@lru_cache(maxsize=1 << 16)
def mention_features(text: str, label: str) -> tuple[str, str, int, str, str, str, str, bool]:
    """What the rules need of a cleaned mention that depends on its words alone: (name,
    folded name, words, transliteration key, key of its last word, kind, kind when it is a
    known surname, role words or a title abbreviation only)."""
    norm = normalize_name(text)
    words = _tokens(norm)
    tkey = translit_key(norm)
    return (
        norm, _fold(norm), len(words), tkey, translit_key(words[-1]) if words else "",
        mention_kind(norm, label, person_surnames=frozenset()),
        mention_kind(norm, label, person_surnames=frozenset({tkey})),
        (label in ("ORG", "PERSON", "NORP") and is_role_only(norm))
        or is_title_abbreviation(norm),
    )


def is_title_abbreviation(text: str) -> bool:
    """A span that is only a title or honorific abbreviation ("Sen.", "MRS", "St")."""
    return text.replace(".", "").strip().lower() in places.TITLE_ABBREVIATIONS


# -- step 4 and 5: linking and grouping --------------------------------------------------------
#: Name suffixes: part of a person's key ("Donald Trump Jr." is not his father) but never
#: their surname.
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})
#: Lower-case words that stand inside a person's name ("Ludwig van Beethoven").
NAME_PARTICLES = frozenset({"de", "da", "das", "do", "dos", "di", "du", "del", "della", "der",
                            "den", "van", "von", "la", "le", "bin", "ibn", "al", "el", "ter",
                            "y", "e", "zu", "af", "st", "d", "l"})
#: A one-word name is a person wherever it appears when the corpus makes this share of its
#: mentions persons ("corpus knowledge beats one sentence's label").
PERSON_MAJORITY = 2 / 3
#: A surname alone with no full name before it in its article means the person the corpus
#: links it to this often (among its namesakes), with at least ``MIN_VOTES`` links.
CORPUS_MAJORITY = 0.75
MIN_VOTES = 2
_HONORIFIC = re.compile(r"(?i)\b(?:(mrs|ms|miss|mme|madam|madame|dame|lady)|(mr|messrs|sir|lord))"
                        r"\.?\s*$")


@lru_cache(maxsize=1 << 16)
def full_key(name: str) -> str:
    """The key of a full person name: transliteration-folded, initials dropped."""
    parts = [p for p in translit_key(name).split() if len(p) > 1]
    return "person:" + " ".join(parts) if parts else "person:" + translit_key(name)


def honorific_gender(before: str, title: str = "") -> str:
    """"f" or "m" when an honorific stands right before a name (or was cut from it):
    "Mrs. ", "Mr. "; else ""."""
    match = _HONORIFIC.search(title.strip() + " ") if title else None
    match = match or _HONORIFIC.search(before)
    if match is None:
        return ""
    return "f" if match.group(1) else "m"


def person_index_row(name: str) -> tuple[str, str, str, str] | None:
    """(key, surname, first name, short key) of a full person name, for the corpus' name
    index; the short key is first name and surname when middle names stand between them
    ("Hillary Rodham Clinton"), else "". None when the name folds to nothing to index (a
    name in a script without a Latin transliteration, or only initials)."""
    key = full_key(name)
    parts = key.removeprefix("person:").split()
    named = [p for p in parts if p not in NAME_SUFFIXES]
    words = [w for w in name.split() if translit_key(w) not in NAME_SUFFIXES]
    if len(named) < 2 or len(words) < 2 or any(
            w[:1].islower() and re.split(r"[-’']", w.lower())[0] not in NAME_PARTICLES
            for w in words):
        return None  # "Twitter junkie": a lower-case word that is no particle, no name
    short = f"person:{named[0]} {named[-1]}" if len(named) > 2 and named == parts else ""
    # surname and first name as written: "Holtz-Eakin" alone is Douglas Holtz-Eakin's
    return key, translit_key(words[-1]), translit_key(words[0]), short


class PersonLinker:
    """Links a batch's person-like mentions to the corpus' full names.

    ``surname`` / ``first``: token -> the (canonical) full-name keys with that last / first
    word; ``canon``: a full name's key -> its canonical key (middle names merged);
    ``pstats``: a name's key -> (mentions that are persons, mentions: for one-word names,
    as their articles resolve them, see ``person_here``); ``genders``: key ->
    "f" or "m" (from honorifics across the corpus); ``votes``: ("surname" | "first", token)
    -> in how many articles the corpus links that word, alone, to each key (where its
    article leaves no doubt); ``fame``: key -> in how many articles the corpus names that
    person in full. The batch's own full names, with where they stand, give each article's
    people.
    """

    def __init__(
        self,
        batch: pd.DataFrame,
        *,
        surname: Mapping[str, set[str]],
        first: Mapping[str, set[str]],
        canon: Mapping[str, str] | None = None,
        pstats: Mapping[str, tuple[int, int]] | None = None,
        genders: Mapping[str, str] | None = None,
        votes: Mapping[tuple[str, str], Mapping[str, int]] | None = None,
        fame: Mapping[str, int] | None = None,
        overrides: Overrides = NO_OVERRIDES,
    ) -> None:
        self.overrides = overrides
        self.surname = defaultdict(set, surname)
        self.first = defaultdict(set, first)
        self.canon = dict(canon or {})
        self.pstats = dict(pstats or {})
        self.genders = dict(genders or {})
        self.votes = dict(votes or {})
        self.fame = dict(fame or {})
        self.by_article: dict[str, list[tuple[int, str]]] = defaultdict(list)
        full = batch[batch["ntok"] > 1]
        for row in full.itertuples(index=False):
            key = self.full_name(row)
            if key:
                self.by_article[row.article_id].append((row.start, key))
        for people in self.by_article.values():
            people.sort()

    def mostly_person(self, key: str) -> bool:
        persons, total = self.pstats.get(key, (0, 0))
        return total > 0 and persons >= PERSON_MAJORITY * total

    def mostly_other(self, key: str) -> bool:
        """The corpus makes this name something else than a person by a clear majority."""
        persons, total = self.pstats.get(key, (0, 0))
        return total > 0 and total - persons >= PERSON_MAJORITY * total

    def full_name(self, row) -> str | None:
        """The canonical key of a multi-word mention that names a person (by its kind,
        unless the corpus makes that name something else by a clear majority, or because
        the corpus makes it a person by a clear majority), else None."""
        key = full_key(row.norm)
        if (row.kind == "person" and not self.mostly_other(key)) or (
                row.kind in ("organization", "place", "other") and self.mostly_person(key)):
            return self.canon.get(key, key)
        return None

    def link(self, row) -> str | None:
        """The key a mention belongs to: a full name's, or for a one-word name the full
        name it stands for, or "ambiguous:<word>" when namesakes leave doubt, or its own
        ("person:<word>"); None when it is not a person."""
        if row.ntok > 1:
            return self.full_name(row)
        if row.ntok != 1 or row.kind == "group":
            return None
        token = row.tkey
        if row.kind != "person" and not self._person_anyway(row, token):
            return None
        if row.kind == "person" and self.mostly_other("person:" + token) and (
                places.is_known_place(row.norm)):
            return None  # a place the model once took for a person ("Washington")
        target = self._pick(token, row)
        if target:
            return target
        if self.never_named_in_full(token):
            return None  # "Twitter": its kind goes to the corpus' other label for it
        namesakes = {k for k in self.surname[token] if not self._separated(row.norm, k)}
        return ("ambiguous:" if len(namesakes) > 1 else "person:") + token

    def never_named_in_full(self, token: str) -> bool:
        """A one-word "person" that no full name of the corpus holds as its first name or
        surname in more than one article, and that the corpus also labels something else: a
        brand or an institution the model took for a person ("on Twitter"), not somebody's
        name."""
        persons, total = self.pstats.get("person:" + token, (0, 0))
        holders = self.surname[token] | self.first[token]
        return total > persons and all(self.fame.get(k, 0) < MIN_VOTES for k in holders)

    def _person_anyway(self, row, token: str) -> bool:
        """A one-word name the model did not call a person that is one all the same: the
        corpus resolves it as a person by a clear majority; or it is a person here (see
        ``person_here``)."""
        return self.mostly_person("person:" + token) or self.person_here(row)

    def person_here(self, row) -> bool:
        """A one-word name that is a person by what its article and the corpus say: tagged
        a person; or the surname of someone in its article ("the Trump campaign"), unless a
        gazetteer knows it as a place it is taken for; or a "place" no gazetteer knows that
        is the surname of someone in the corpus (not after "the")."""
        token = row.tkey
        if row.kind == "person":
            return True
        if row.kind == "group" or not self.surname[token]:
            return False
        if any(k in self.surname[token] for _, k in self.by_article[row.article_id]):
            return row.kind != "place" or not places.is_known_place(row.norm)
        return row.kind == "place" and not row.after_the and not places.is_known_place(row.norm)

    def _pick(self, token: str, row) -> str | None:
        """The person a one-word name stands for: among the full names of its article with
        that surname (else first name) and a compatible gender, the one its article names
        most, then the one the corpus means most by the word alone, then the one it names
        in most articles, then the nearest before it; else, with none in its article, the
        one the corpus overwhelmingly means by it."""
        gender = getattr(row, "gender", "") or ""
        for index in (self.surname, self.first):
            here = [(s, k) for s, k in self.by_article[row.article_id] if k in index[token]]
            keys = self._by_gender({k for _, k in here}, row.norm, gender)
            if keys:
                named = Counter(k for _, k in here)
                votes = self.votes.get(("surname", token), {})
                last = {k: s for s, k in here if s < row.start}
                return max(sorted(keys), key=lambda k: (
                    named[k], votes.get(k, 0), self.fame.get(k, 0), last.get(k, -1)))
            if here:
                break
        namesakes = self._by_gender(self.surname[token], row.norm, gender)
        if len(namesakes) == 1:
            return next(iter(namesakes))
        for how, allowed in (("surname", namesakes), ("first", None)):
            counts = {k: n for k, n in self.votes.get((how, token), {}).items()
                      if (allowed is None or k in allowed) and self._fits(row.norm, k, gender)}
            total = sum(counts.values())
            if total:
                best = max(sorted(counts), key=counts.__getitem__)
                if counts[best] >= MIN_VOTES and counts[best] >= CORPUS_MAJORITY * total:
                    return best
        return None

    def _by_gender(self, keys: Iterable[str], surface: str, gender: str) -> set[str]:
        """The keys an honorific's gender allows: those known to have it if any, else
        those of unknown gender (an analyst's split is respected)."""
        fitting = {k for k in keys if self._fits(surface, k, gender)}
        known = {k for k in fitting if self.genders.get(k) == gender} if gender else set()
        return known or fitting

    def _fits(self, surface: str, key: str, gender: str) -> bool:
        known = self.genders.get(key, "")
        return not self._separated(surface, key) and not (gender and known and known != gender)

    def _separated(self, surface: str, key: str) -> bool:
        folded = _fold(surface)
        return any(folded in pair and any(translit_key(p) == key.split(":", 1)[1]
                                          for p in pair if p != folded)
                   for pair in self.overrides.split)


def entity_key(row, linker: PersonLinker, overrides: Overrides = NO_OVERRIDES) -> str:
    """A mention's grouping key: the analyst's merge, a linked person, else its name
    (places by their canonical name, groups without a plural s)."""
    if row.folded in overrides.merge:
        return "merge:" + _fold(overrides.merge[row.folded])
    person = linker.link(row)
    if person:
        return person
    return name_key(row.norm, row.kind)


def is_person_key(key: str) -> bool:
    return key.startswith(("person:", "ambiguous:"))


@lru_cache(maxsize=1 << 16)
def name_key(norm: str, kind: str) -> str:
    """The grouping key of a name that is not a linked person."""
    if kind == "place":
        return "name:" + _fold(places.canonical_place_name(norm) or norm)
    if kind == "group":
        return "group:" + translit_key(re.sub(r"(?<=[a-z]{4})s$", "", _fold(norm)))
    return "name:" + _fold(norm)


def finish_entity(key: str, kind: str, name: str, overrides: Overrides) -> tuple[str, str, str]:
    """An entity's (kind, name, entity_id) once the analyst's merge, rename and kind are
    applied to the kind and name its mentions voted for."""
    if key.startswith("merge:"):
        name = next((t for t in overrides.merge.values() if "merge:" + _fold(t) == key), name)
    elif key.startswith("ambiguous:"):
        name = f"{name} (ambiguous)"
    name = overrides.rename.get(_fold(name), name)
    kind = overrides.kind.get(_fold(name)) or kind
    return kind, name, f"{kind}/{slugify(name)}"


def geocode_entity(entity_id: str, name: str, context: list[str],
                   overrides: Overrides = NO_OVERRIDES) -> tuple[list[dict], tuple]:
    """A place entity's candidate rows (the chosen first) and its (country, lat, lon), with
    the countries its articles name (most articles first) as context."""
    pinned = overrides.coordinates.get(_fold(name))
    if pinned:
        return [_place_row(entity_id, name, "pinned", pinned[0], pinned[1], pinned[2],
                           None, True, "override")], pinned
    found = places.geocode(overrides.place.get(_fold(name), name), context_countries=context)
    rows = [_place_row(entity_id, c.name, c.kind, c.country, c.lat, c.lon, c.population,
                       i == 0, found.basis) for i, c in enumerate(found.candidates)]
    return rows, (found.country_name, found.lat, found.lon)


def _place_row(entity_id, name, kind, country, lat, lon, population, chosen, basis) -> dict:
    return {"entity_id": entity_id, "candidate": name, "candidate_kind": kind,
            "country": country, "lat": lat, "lon": lon, "population": population,
            "chosen": chosen, "basis": basis}


def best_role(roles: Iterable[str]) -> str | None:
    """The role said most often (case-insensitive); ties go to the more specific."""
    counts = Counter(r.strip() for r in roles if r and r.strip())
    if not counts:
        return None
    folded = Counter()
    for role, n in counts.items():
        folded[role.lower()] += n
    best = max(folded, key=lambda r: (folded[r], min(len(r.split()), 8), -len(r)))
    return next(r for r in counts if r.lower() == best)
