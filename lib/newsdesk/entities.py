"""Corpus-level entity resolution: raw mentions in, canonical entities out.

Recomputed over the whole store on every run (it is cheap), so a new article can change how
old mentions are merged and counts stay consistent. Pure functions over DataFrames.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from newsdesk.nlp import LABEL_KINDS

KINDS = ("person", "organization", "place", "group", "other")
ENTITY_COLUMNS = [
    "entity_id", "name", "kind", "aliases", "role", "country", "lat", "lon", "mentions",
    "articles",
]
MENTION_COLUMNS = [
    "article_id", "entity_id", "name", "kind", "text", "start", "end", "sentence", "in_title",
    "label",
]
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


def normalize_name(text: str) -> str:
    """Surface form to name: straight apostrophes, no possessive, no leading 'the', one space."""
    name = text.replace("’", "'").replace("‘", "'")
    name = re.sub(r"\s+", " ", name).strip(" .,;:")
    name = _POSSESSIVE.sub("", name.replace("'", "’")).replace("’", "'")
    return _LEADING_THE.sub("", name).strip()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def resolve(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resolve raw mentions into (mentions, entities) following the table contract.

    ``raw`` has article_id, start, end, text, label, sentence, in_title.
    """
    if raw.empty:
        return pd.DataFrame(columns=MENTION_COLUMNS), pd.DataFrame(columns=ENTITY_COLUMNS)
    m = raw.copy()
    m["kind"] = m["label"].map(LABEL_KINDS).fillna("other")
    m["norm"] = m["text"].map(normalize_name)
    m = m[m["norm"].str.len() > 1]
    m["key"] = m["kind"] + ":" + m["norm"].str.lower()
    names = (
        m.groupby(["key", "norm"]).size().rename("n").reset_index()
        .sort_values(["key", "n", "norm"], ascending=[True, False, True])
        .drop_duplicates("key").set_index("key")["norm"]
    )
    m["name"] = m["key"].map(names)
    m["entity_id"] = m["kind"] + "/" + m["name"].map(slugify)
    return m[MENTION_COLUMNS].reset_index(drop=True), summarize_entities(m)


def summarize_entities(mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per entity: name, kind, aliases (surface forms), mention and article counts."""
    grouped = mentions.groupby("entity_id")
    entities = pd.DataFrame({
        "name": grouped["name"].first(),
        "kind": grouped["kind"].first(),
        "aliases": grouped["text"].agg(lambda s: sorted(set(s))),
        "mentions": grouped.size(),
        "articles": grouped["article_id"].nunique(),
    }).reset_index()
    for column in ("role", "country"):
        entities[column] = None
    entities["lat"] = float("nan")
    entities["lon"] = float("nan")
    entities = entities.sort_values(["mentions", "name"], ascending=[False, True])
    return entities[ENTITY_COLUMNS].reset_index(drop=True)
