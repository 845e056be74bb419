"""Corpus-level entity resolution: raw NER mentions in, one canonical entity per real actor out.

Recomputed over the whole store on every run (it is cheap), so a new article can change how
old mentions are merged and counts stay consistent. Pure functions over DataFrames; the only
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from newsdesk import places
from newsdesk.nlp import LABEL_KINDS

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
    """Case- and accent-insensitive form for comparisons."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore")
    return re.sub(r"\s+", " ", text.decode().lower()).strip()


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
    return re.sub(r"\s+", " ", key).strip()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def _tokens(text: str) -> list[str]:
    return text.split()


# -- step 1: clean spans -----------------------------------------------------------------------
def clean_span(text: str, label: str) -> tuple[int, int, str]:
    """Trim a mention's span: returns (offset of new start, offset of new end, title removed).

    Offsets are relative to ``text``; the title is "" when none was stripped.
    """
    start, end = 0, len(text)
    cut = _POSSESSIVE_CUT.search(text)
    if cut:
        end = cut.start()
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
        pieces = split_compound(m.text) if m.label in ("GPE", "LOC", "NORP", "ORG") else None
        for s0, e0 in pieces or [(0, len(m.text))]:
            sub = m.text[s0:e0]
            s1, e1, title = clean_span(sub, "GPE" if pieces else m.label)
            if e1 - s1 < 2 or not any(c.isalpha() for c in sub[s1:e1]):
                continue
            rows.append((
                m.article_id, m.start + s0 + s1, m.start + s0 + e1, sub[s1:e1],
                "GPE" if pieces else m.label, m.sentence, _sent_start(m), bool(m.in_title),
                bool(getattr(m, "in_heading", False)), title,
                m.start + s0 + sub.find(title) if title else -1,
                getattr(m, "subj", "") or "",
            ))
    return pd.DataFrame(rows, columns=PREPARED_COLUMNS)


def _sent_start(m) -> int:
    """Where the mention's sentence starts (derived when the input does not say)."""
    known = getattr(m, "sent_start", None)
    if known is not None and not pd.isna(known):
        return int(known)
    found = m.sentence.find(m.text)
    return m.start - found if found >= 0 else m.start


# -- step 2: headings --------------------------------------------------------------------------
def confirm_headings(mentions: pd.DataFrame) -> pd.DataFrame:
    """Keep heading mentions that the body confirms; look inside the others for names that
    it does ("Kremlin Assembles Negotiation Team For US Talks" -> Kremlin, US)."""
    body = mentions[~mentions["in_heading"]]
    confirmed: dict[str, str] = {}
    for text, label in zip(body["text"], body["label"], strict=True):
        confirmed.setdefault(_fold(normalize_name(text)), label)
    keep = []
    for m in mentions.itertuples(index=False):
        if not m.in_heading:
            keep.append(m._asdict())
            continue
        folded = _fold(normalize_name(m.text))
        if folded in confirmed or _is_place_name(m.text):
            keep.append(m._asdict())
            continue
        keep.extend(_confirmed_parts(m, confirmed))
    return pd.DataFrame(keep, columns=mentions.columns)


def _is_place_name(text: str) -> bool:
    return places.canonical_place_name(text) is not None


def _confirmed_parts(m, confirmed: Mapping[str, str]) -> list[dict]:
    """The longest word runs inside a heading mention that are names the body confirms."""
    words = list(re.finditer(r"[^\s]+", m.text))
    found, taken = [], set()
    for size in range(len(words) - 1, 0, -1):
        for i in range(len(words) - size + 1):
            if taken & set(range(i, i + size)):
                continue
            s, e = words[i].start(), words[i + size - 1].end()
            s1, e1, _ = clean_span(m.text[s:e], "ORG")
            part = m.text[s + s1 : s + e1]
            if not part[:1].isupper() or len(part) < 2:
                continue
            folded = _fold(normalize_name(part))
            label = confirmed.get(folded) or ("GPE" if _is_place_name(part) else None)
            if label:
                taken |= set(range(i, i + size))
                found.append({**m._asdict(), "start": m.start + s + s1,
                              "end": m.start + s + e1, "text": part, "label": label})
    return found


# -- step 3: kinds -----------------------------------------------------------------------------
#: Words that make a name an organization's ("... Fund", "Center for ...").
ORG_WORDS = frozenset("""
agency association authority bank board bureau center centre college commission committee
company corp corporation council court department directorate foundation fund group inc
institute institution league ltd ministry news office organization organisation party police
service services society staff times trust union university
""".split())
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


def context_kind(row, neighbours: Mapping[tuple[str, int], str], text_after: str) -> str:
    """Kind corrections that need the sentence: a person-shaped ORG that speaks is a person;
    a lone surname-like PERSON listed with organizations ("McKinsey and Goldman Sachs") is
    an organization; "Secretary of State" is part of a title, not an organization."""
    before = row.sentence[: row.start - row.sent_start]
    words = _tokens(row.norm)
    if row.kind == "organization" and re.search(
        r"(?i)\b(secretary|minister|ministry|department|office|secretariat)\s+of\s+$", before
    ) and len(words) == 1:
        return "drop"
    if (row.kind == "organization" and 2 <= len(words) <= 3
            and all(w[:1].isupper() and w[1:].islower() for w in words)
            and not {w.lower() for w in words} & ORG_WORDS
            and _SPEECH_AFTER.match(text_after)):
        return "person"
    if row.kind == "person" and len(words) == 1 and neighbours.get(
            (row.article_id, row.start)) == "organization":
        return "organization"
    return row.kind


def _coordinated(m: pd.DataFrame) -> dict[tuple[str, int], str]:
    """For each mention, the kind of a mention joined to it by "and", "or" or a comma."""
    ordered = m.sort_values(["article_id", "sent_start", "start"])
    rows = list(zip(ordered["article_id"], ordered["sent_start"], ordered["start"],
                    ordered["end"], ordered["kind"], ordered["sentence"], strict=True))
    out: dict[tuple[str, int], str] = {}
    joiner = re.compile(r"\s*(,|and|or|, and|, or)\s*")
    for a, b in zip(rows, rows[1:], strict=False):
        if a[:2] != b[:2]:  # another sentence
            continue
        gap = a[5][a[3] - a[1] : b[2] - b[1]]
        if joiner.fullmatch(gap):
            out.setdefault((a[0], a[2]), b[4])
            out.setdefault((b[0], b[2]), a[4])
    return out


# -- step 4 and 5: grouping --------------------------------------------------------------------
def resolve(
    raw: pd.DataFrame,
    *,
    raw_roles: pd.DataFrame | None = None,
    overrides: Overrides = NO_OVERRIDES,
) -> Resolution:
    """Resolve raw mentions (article_id, start, end, text, label, sentence, sent_start,
    in_title, in_heading) into the mentions, entities, roles and places tables."""
    if raw.empty:
        return _empty()
    m = prepare_mentions(raw)
    if m.empty:
        return _empty()
    m = confirm_headings(m)
    m["norm"] = m["text"].map(normalize_name)
    m = m[~m["norm"].map(_fold).isin(overrides.ignore) & (m["norm"].str.len() > 1)]
    if m.empty:
        return _empty()
    multi_person = m[(m["label"] == "PERSON") & (m["norm"].str.split().str.len() > 1)]
    surnames = frozenset(translit_key(n.split()[-1]) for n in multi_person["norm"])
    m["kind"] = [mention_kind(t, lab, person_surnames=surnames)
                 for t, lab in zip(m["norm"], m["label"], strict=True)]
    m = m[~(m["label"].isin(["ORG", "PERSON", "NORP"]) & m["norm"].map(is_role_only))]
    neighbours = _coordinated(m)
    m["kind"] = [
        context_kind(row, neighbours, row.sentence[row.end - row.sent_start :])
        for row in m.itertuples(index=False)
    ]
    m = m[m["kind"] != "drop"].reset_index(drop=True)
    m["key"] = _entity_keys(m, overrides)
    # A mention linked to a person by name counts as that person's, whatever its label.
    m.loc[m["key"].str.startswith("person:"), "kind"] = "person"
    return _build(m.reset_index(drop=True), raw_roles, overrides)


def _empty() -> Resolution:
    return Resolution(pd.DataFrame(columns=MENTION_COLUMNS), pd.DataFrame(columns=ENTITY_COLUMNS),
                      pd.DataFrame(columns=ROLE_COLUMNS), pd.DataFrame(columns=PLACE_COLUMNS))


def _entity_keys(m: pd.DataFrame, overrides: Overrides) -> list[str]:
    """A grouping key per mention: persons by linked full name, others by canonical name."""
    persons = _PersonIndex(m, overrides)
    keys = []
    for row in m.itertuples(index=False):
        folded = _fold(row.norm)
        if folded in overrides.merge:
            keys.append("merge:" + _fold(overrides.merge[folded]))
            continue
        person = persons.link(row)
        if person:
            keys.append(person)
        elif row.kind == "place":
            keys.append("name:" + _fold(places.canonical_place_name(row.norm) or row.norm))
        elif row.kind == "group":
            keys.append("group:" + translit_key(re.sub(r"(?<=[a-z]{4})s$", "", _fold(row.norm))))
        else:
            keys.append("name:" + _fold(row.norm))
    return keys


class _PersonIndex:
    """Full names found in the corpus, and the surnames and first names that point to them."""

    def __init__(self, m: pd.DataFrame, overrides: Overrides) -> None:
        self.overrides = overrides
        full = m[(m["kind"] == "person") & (m["norm"].map(lambda n: len(_tokens(n)) > 1))]
        self.full_key = {n: self._full_key(n) for n in set(full["norm"])}
        self.by_article: dict[str, set[str]] = defaultdict(set)
        for aid, name in zip(full["article_id"], full["norm"], strict=True):
            self.by_article[aid].add(self.full_key[name])
        self.keys = set(self.full_key.values())
        self.surname = defaultdict(set)
        self.first = defaultdict(set)
        for key in self.keys:
            parts = key.removeprefix("person:").split()
            self.surname[parts[-1]].add(key)
            self.first[parts[0]].add(key)
        self.person_tokens = set(
            translit_key(n) for n, lab in zip(m["norm"], m["label"], strict=True)
            if lab == "PERSON" and len(_tokens(n)) == 1
        )

    @staticmethod
    def _full_key(name: str) -> str:
        parts = [p for p in translit_key(name).split() if len(p) > 1]  # drop initials
        return "person:" + " ".join(parts) if parts else "person:" + translit_key(name)

    def link(self, row) -> str | None:
        """The full-name key a mention belongs to, or its own key, or None (not a person)."""
        tokens = _tokens(row.norm)
        if row.kind == "person" and len(tokens) > 1:
            return self.full_key.get(row.norm) or self._full_key(row.norm)
        if len(tokens) != 1 or row.kind not in ("person", "organization", "other"):
            return None
        token = translit_key(row.norm)
        if row.kind != "person":
            if re.search(r"(?i)\bthe\s+$", row.sentence[: row.start - row.sent_start]):
                return None  # "the Ford": a thing, not a person
            if token not in self.person_tokens and not (
                self.surname[token] & self.by_article[row.article_id]
            ):
                return None
        target = self._pick(token, row.article_id, row.norm)
        if target:
            return target
        return "person:" + token if row.kind == "person" else None

    def _pick(self, token: str, article_id: str, surface: str) -> str | None:
        here = self.by_article[article_id]
        for index, scope in ((self.surname, here), (self.first, here),
                             (self.surname, None)):
            candidates = index[token] & scope if scope is not None else index[token]
            candidates = {c for c in candidates if not self._separated(surface, c)}
            if len(candidates) == 1:
                return next(iter(candidates))
            if len(candidates) > 1:
                return None  # ambiguous: two people share the name
        return None

    def _separated(self, surface: str, key: str) -> bool:
        folded = _fold(surface)
        return any(folded in pair and any(translit_key(p) == key.split(":", 1)[1]
                                          for p in pair if p != folded)
                   for pair in self.overrides.split)


def _build(m: pd.DataFrame, raw_roles: pd.DataFrame | None, overrides: Overrides) -> Resolution:
    kinds = m.groupby("key")["kind"].agg(_majority_kind)
    m["kind"] = m["key"].map(kinds)
    names = m.groupby("key").apply(_entity_name, include_groups=False)
    m["name"] = m["key"].map(names)
    m = _apply_name_overrides(m, overrides)
    m["entity_id"] = m["kind"] + "/" + m["name"].map(slugify)
    roles = _roles(m, raw_roles)
    place_rows, geo = _geocode(m, overrides)
    entities = summarize_entities(m, roles=roles, geo=geo)
    mentions = m.sort_values(["article_id", "start"])[MENTION_COLUMNS].reset_index(drop=True)
    return Resolution(mentions, entities, roles, place_rows)


def _majority_kind(kinds: pd.Series) -> str:
    counts = Counter(kinds)
    return min(counts, key=lambda k: (-counts[k], _KIND_PRIORITY.get(k, 9)))


def _entity_name(group: pd.DataFrame) -> str:
    """Most frequent among the longest forms (persons), canonical place name (places)."""
    kind = group["kind"].iloc[0]
    if kind == "place":
        canonical = Counter(places.canonical_place_name(n) or n for n in group["norm"])
        return canonical.most_common(1)[0][0]
    counts = Counter(group["norm"])
    if kind == "person":
        longest = max(len(_tokens(n)) for n in counts)
        counts = Counter({n: c for n, c in counts.items() if len(_tokens(n)) == longest})
    return min(counts, key=lambda n: (-counts[n], n))


def _apply_name_overrides(m: pd.DataFrame, overrides: Overrides) -> pd.DataFrame:
    if overrides.merge:
        targets = m["key"].str.startswith("merge:")
        m.loc[targets, "name"] = m.loc[targets, "norm"].map(
            lambda n: overrides.merge.get(_fold(n), n))
        merged_names = m[targets].groupby("key")["name"].agg(lambda s: s.iloc[0])
        m.loc[targets, "name"] = m.loc[targets, "key"].map(merged_names)
    if overrides.rename:
        m["name"] = m["name"].map(lambda n: overrides.rename.get(_fold(n), n))
    if overrides.kind:
        forced = m["name"].map(lambda n: overrides.kind.get(_fold(n)))
        m["kind"] = forced.fillna(m["kind"])
    return m


def _roles(m: pd.DataFrame, raw_roles: pd.DataFrame | None) -> pd.DataFrame:
    """Roles per entity with their article: parser roles plus titles cut from spans."""
    rows = [
        {"entity_id": r.entity_id, "name": r.name, "article_id": r.article_id,
         "role": r.title, "source": "title", "start": r.title_start,
         "end": r.title_start + len(r.title)}
        for r in m[(m["title"] != "") & (m["kind"] == "person")].itertuples(index=False)
    ]
    if raw_roles is not None and not raw_roles.empty:
        persons = m[m["kind"] == "person"]
        spans = {(a, s, e): (eid, n) for a, s, e, eid, n in zip(
            persons["article_id"], persons["start"], persons["end"], persons["entity_id"],
            persons["name"], strict=True)}
        by_start = {(a, s): v for (a, s, _), v in spans.items()}
        for r in raw_roles.itertuples(index=False):
            hit = spans.get((r.article_id, r.start, r.end)) or _within(by_start, r)
            if hit:
                rows.append({"entity_id": hit[0], "name": hit[1], "article_id": r.article_id,
                             "role": r.role, "source": r.source, "start": r.role_start,
                             "end": r.role_end})
    roles = pd.DataFrame(rows, columns=ROLE_COLUMNS)
    return roles.drop_duplicates(["entity_id", "article_id", "start"]).reset_index(drop=True)


def _within(by_start: Mapping, r) -> tuple[str, str] | None:
    """A cleaned mention that starts inside the raw span the role was found for."""
    for offset in range(r.end - r.start):
        hit = by_start.get((r.article_id, r.start + offset))
        if hit:
            return hit
    return None


def _geocode(m: pd.DataFrame, overrides: Overrides) -> tuple[pd.DataFrame, dict]:
    """Geocode each place entity with the countries its articles mention as context."""
    place_m = m[m["kind"] == "place"]
    article_countries = {
        aid: places.place_countries(group["name"])
        for aid, group in place_m.groupby("article_id")
    }
    rows, geo = [], {}
    for entity_id, group in place_m.groupby("entity_id"):
        name = group["name"].iloc[0]
        pinned = overrides.coordinates.get(_fold(name))
        if pinned:
            geo[entity_id] = pinned
            rows.append(_place_row(entity_id, name, "pinned", pinned[0], pinned[1], pinned[2],
                                   None, True, "override"))
            continue
        context = Counter(c for aid in group["article_id"].unique()
                          for c in article_countries.get(aid, ()))
        query = overrides.place.get(_fold(name), name)
        found = places.geocode(query, context_countries=[c for c, _ in context.most_common()])
        geo[entity_id] = (found.country_name, found.lat, found.lon)
        for i, cand in enumerate(found.candidates):
            rows.append(_place_row(entity_id, cand.name, cand.kind, cand.country, cand.lat,
                                   cand.lon, cand.population, i == 0, found.basis))
    return pd.DataFrame(rows, columns=PLACE_COLUMNS), geo


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


def summarize_entities(
    mentions: pd.DataFrame,
    *,
    roles: pd.DataFrame | None = None,
    geo: Mapping[str, tuple] | None = None,
) -> pd.DataFrame:
    """One row per entity: name, kind, aliases (surface forms), role, place, counts."""
    grouped = mentions.groupby("entity_id")
    entities = pd.DataFrame({
        "name": grouped["name"].first(),
        "kind": grouped["kind"].first(),
        "aliases": grouped["text"].agg(lambda s: sorted(set(s))),
        "mentions": grouped.size(),
        "articles": grouped["article_id"].nunique(),
    }).reset_index()
    role_map = {}
    if roles is not None and not roles.empty:
        role_map = roles.groupby("entity_id")["role"].agg(best_role).to_dict()
    geo = geo or {}
    entities["role"] = entities["entity_id"].map(role_map)
    entities["country"] = entities["entity_id"].map(lambda e: geo.get(e, (None,))[0])
    entities["lat"] = entities["entity_id"].map(lambda e: _coord(geo, e, 1))
    entities["lon"] = entities["entity_id"].map(lambda e: _coord(geo, e, 2))
    entities = entities.sort_values(["mentions", "name"], ascending=[False, True])
    return entities[ENTITY_COLUMNS].reset_index(drop=True)


def _coord(geo: Mapping[str, tuple], entity_id: str, index: int) -> float:
    value = geo.get(entity_id)
    return float(value[index]) if value and value[index] is not None else float("nan")
