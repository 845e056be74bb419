"""Entity resolution over raw mentions (pure DataFrames, no spaCy)."""

from __future__ import annotations

import pandas as pd
import pytest

from newsdesk.entities import normalize_name, resolve, slugify

ENTITY_CONTRACT = [
    "entity_id", "name", "kind", "aliases", "role", "country", "lat", "lon", "mentions",
    "articles",
]
MENTION_CONTRACT = [
    "article_id", "entity_id", "name", "kind", "text", "start", "end", "sentence",
]


def raw_mentions(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """(article_id, text, label) rows with made-up but consistent offsets."""
    records = []
    for i, (article_id, text, label) in enumerate(rows):
        start = 10 * i
        records.append({
            "article_id": article_id, "start": start, "end": start + len(text), "text": text,
            "label": label, "sentence": f"... {text} ...", "in_title": i == 0,
        })
    return pd.DataFrame(records)


SAMPLE_ROWS = [
    ("a1", "Vladimir Putin", "PERSON"),
    ("a1", "Putin", "PERSON"),
    ("a1", "Putin’s", "PERSON"),
    ("a2", "Putin's", "PERSON"),
    ("a2", "Putin", "PERSON"),
    ("a1", "the Kremlin", "ORG"),
    ("a2", "Kremlin", "ORG"),
    ("a2", "Kremlin", "ORG"),
    ("a1", "Moscow", "GPE"),
    ("a2", "Moscow", "LOC"),
    ("a2", "Russian", "NORP"),
    ("a2", "Reuters", "WORK_OF_ART"),
]


@pytest.mark.parametrize(
    ("surface", "name"),
    [
        ("Putin’s", "Putin"),
        ("Putin's", "Putin"),
        ("Reuters'", "Reuters"),
        ("Reuters’", "Reuters"),
        ("the Kremlin", "Kremlin"),
        ("The Kremlin", "Kremlin"),
        ("The  United\n  States", "United States"),
        ("  Steve   Witkoff ", "Steve Witkoff"),
        ("Witkoff.", "Witkoff"),
        ("O’Brien", "O'Brien"),
        ("Theodore Roosevelt", "Theodore Roosevelt"),  # "the" only as a word
    ],
)
def test_entities_normalize_name(surface, name):
    assert normalize_name(surface) == name


@pytest.mark.parametrize(("text", "slug"), [("Zelenskyy", "zelenskyy"),
                                            ("São Paulo", "sao-paulo"),
                                            ("U.S. Army", "u-s-army"),
                                            ("!!!", "x")])
def test_entities_slugify(text, slug):
    assert slugify(text) == slug


def test_entities_resolve_merges_surface_forms():
    mentions, entities = resolve(raw_mentions(SAMPLE_ROWS))
    by_id = entities.set_index("entity_id")
    assert set(by_id.index) == {
        "person/vladimir-putin", "person/putin", "organization/kremlin", "place/moscow",
        "group/russian", "other/reuters",
    }
    putin = by_id.loc["person/putin"]
    assert putin["name"] == "Putin"
    assert putin["kind"] == "person"
    assert (putin["mentions"], putin["articles"]) == (4, 2)
    assert list(putin["aliases"]) == ["Putin", "Putin's", "Putin’s"]
    kremlin = by_id.loc["organization/kremlin"]
    assert (kremlin["name"], kremlin["mentions"], kremlin["articles"]) == ("Kremlin", 3, 2)
    assert list(kremlin["aliases"]) == ["Kremlin", "the Kremlin"]
    moscow = by_id.loc["place/moscow"]  # GPE and LOC are both places: one entity
    assert (moscow["kind"], moscow["mentions"], moscow["articles"]) == ("place", 2, 2)
    assert by_id.loc["group/russian", "kind"] == "group"
    assert by_id.loc["other/reuters", "kind"] == "other"
    assert len(mentions) == len(SAMPLE_ROWS)
    assert entities["mentions"].sum() == len(mentions)


def test_entities_resolve_mentions_carry_ids_and_offsets():
    raw = raw_mentions(SAMPLE_ROWS)
    mentions, _ = resolve(raw)
    merged = mentions.merge(raw, on=["article_id", "start"], suffixes=("", "_raw"))
    assert len(merged) == len(raw)
    assert (merged["text"] == merged["text_raw"]).all()
    assert (merged["end"] == merged["end_raw"]).all()
    assert (merged["sentence"] == merged["sentence_raw"]).all()
    putin_rows = mentions[mentions["text"].isin(["Putin", "Putin's", "Putin’s"])]
    assert set(putin_rows["entity_id"]) == {"person/putin"}
    assert set(putin_rows["name"]) == {"Putin"}


def test_entities_resolve_entities_sorted_by_mentions_then_name():
    _, entities = resolve(raw_mentions(SAMPLE_ROWS))
    pairs = list(zip(-entities["mentions"], entities["name"], strict=True))
    assert pairs == sorted(pairs)
    assert entities.iloc[0]["entity_id"] == "person/putin"


def test_entities_resolve_ids_stable_under_row_order():
    raw = raw_mentions(SAMPLE_ROWS)
    _, first = resolve(raw)
    _, shuffled = resolve(raw.sample(frac=1, random_state=7).reset_index(drop=True))
    cols = ["entity_id", "name", "kind", "mentions", "articles"]
    pd.testing.assert_frame_equal(
        first[cols].sort_values("entity_id").reset_index(drop=True),
        shuffled[cols].sort_values("entity_id").reset_index(drop=True),
    )


def test_entities_resolve_name_is_most_frequent_form():
    rows = [("a1", "KREMLIN", "ORG"), ("a1", "Kremlin", "ORG"), ("a2", "the Kremlin", "ORG")]
    mentions, entities = resolve(raw_mentions(rows))
    assert list(entities["entity_id"]) == ["organization/kremlin"]
    assert entities.iloc[0]["name"] == "Kremlin"
    assert set(mentions["name"]) == {"Kremlin"}


def test_entities_resolve_same_text_different_kinds_stay_apart():
    rows = [("a1", "Washington", "GPE"), ("a1", "Washington", "PERSON")]
    _, entities = resolve(raw_mentions(rows))
    assert sorted(entities["entity_id"]) == ["person/washington", "place/washington"]


def test_entities_resolve_drops_one_character_names():
    rows = [("a1", "X", "PERSON"), ("a1", "’s", "PERSON"), ("a1", "Kyiv", "GPE")]
    mentions, entities = resolve(raw_mentions(rows))
    assert list(mentions["text"]) == ["Kyiv"]
    assert list(entities["entity_id"]) == ["place/kyiv"]


def test_entities_resolve_contract_columns_and_defaults():
    mentions, entities = resolve(raw_mentions(SAMPLE_ROWS))
    assert list(entities.columns) == ENTITY_CONTRACT
    assert list(mentions.columns[: len(MENTION_CONTRACT)]) == MENTION_CONTRACT
    assert entities["role"].isna().all() and entities["country"].isna().all()
    assert entities["lat"].isna().all() and entities["lon"].isna().all()


def test_entities_resolve_empty_input():
    empty = pd.DataFrame(
        columns=["article_id", "start", "end", "text", "label", "sentence", "in_title"]
    )
    mentions, entities = resolve(empty)
    assert mentions.empty and entities.empty
    assert list(entities.columns) == ENTITY_CONTRACT
    assert list(mentions.columns[: len(MENTION_CONTRACT)]) == MENTION_CONTRACT


def test_entities_resolve_all_rows_dropped_gives_contract_frames():
    mentions, entities = resolve(raw_mentions([("a1", "X", "PERSON")]))
    assert mentions.empty and entities.empty
    assert list(entities.columns) == ENTITY_CONTRACT
    assert list(mentions.columns[: len(MENTION_CONTRACT)]) == MENTION_CONTRACT
