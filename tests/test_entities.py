"""Entity resolution over hand-built raw mentions (pure DataFrames, no spaCy)."""

from __future__ import annotations

import pandas as pd
import pytest

from newsdesk.entities import normalize_name, person_index_row, slugify
from newsdesk.resolution import resolve

ENTITY_CONTRACT = [
    "entity_id", "name", "kind", "aliases", "role", "country", "lat", "lon", "mentions",
    "articles",
]
MENTION_CONTRACT = [
    "article_id", "entity_id", "name", "kind", "text", "start", "end", "sentence",
]
RAW_COLUMNS = ["article_id", "start", "end", "text", "label", "sentence", "sent_start",
               "sent_end", "in_title", "in_heading"]

# article id -> sentences, each with the (surface form, spaCy label) mentions it contains.
CORPUS: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {
    "a1": [
        ("Putin met officials in Moscow on Tuesday.", [("Putin", "PERSON"), ("Moscow", "GPE")]),
        ("The Kremlin said Putin’s plan was ready.",
         [("The Kremlin", "ORG"), ("Putin’s", "PERSON")]),
        ("Russian diplomats agreed.", [("Russian", "NORP")]),
    ],
    "a2": [
        ("Putin's aides flew to Moscow.", [("Putin's", "PERSON"), ("Moscow", "LOC")]),
        ("Reuters reported that the Kremlin declined to comment.",
         [("Reuters", "ORG"), ("Kremlin", "ORG")]),
        ("Putin spoke later.", [("Putin", "PERSON")]),
    ],
}


def build(corpus=CORPUS) -> tuple[pd.DataFrame, dict[str, str]]:
    """Raw mentions with exact offsets into made-up article texts, and those texts."""
    rows, texts = [], {}
    for article_id, sentences in corpus.items():
        text = ""
        for sentence, mentions in sentences:
            sent_start = len(text)
            text += sentence + " "
            pos = 0
            for surface, label in mentions:
                i = sentence.index(surface, pos)
                pos = i + len(surface)
                rows.append((article_id, sent_start + i, sent_start + pos, surface, label,
                             sentence, sent_start, sent_start + len(sentence), False, False))
        texts[article_id] = text
    return pd.DataFrame(rows, columns=RAW_COLUMNS), texts


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
    raw, _ = build()
    entities = resolve(raw).entities.set_index("entity_id")
    assert set(entities.index) == {
        "person/putin", "organization/kremlin", "place/moscow", "group/russian",
        "organization/reuters",
    }
    putin = entities.loc["person/putin"]
    assert (putin["name"], putin["kind"], putin["mentions"], putin["articles"]) == (
        "Putin", "person", 4, 2)
    kremlin = entities.loc["organization/kremlin"]  # "The Kremlin" and "Kremlin"
    assert (kremlin["name"], kremlin["mentions"], kremlin["articles"]) == ("Kremlin", 2, 2)
    moscow = entities.loc["place/moscow"]  # GPE and LOC are both places: one entity
    assert (moscow["kind"], moscow["mentions"], moscow["articles"]) == ("place", 2, 2)


@pytest.mark.parametrize(
    ("label", "kind"),
    [("PERSON", "person"), ("ORG", "organization"), ("GPE", "place"), ("LOC", "place"),
     ("NORP", "group")],
)
def test_entities_resolve_kind_from_label(label, kind):
    surface = {"PERSON": "Olga Petrova", "ORG": "Gazprom", "GPE": "Norway",
               "LOC": "Europe", "NORP": "Norwegians"}[label]
    raw, _ = build({"x": [(f"Later, {surface} was mentioned.", [(surface, label)])]})
    entities = resolve(raw).entities
    assert list(entities["kind"]) == [kind]
    assert list(entities["entity_id"]) == [f"{kind}/{slugify(entities['name'].iloc[0])}"]


def test_entities_resolve_mention_spans_exact_in_article():
    raw, texts = build()
    mentions = resolve(raw).mentions
    assert len(mentions) == len(raw)
    for m in mentions.itertuples(index=False):
        assert texts[m.article_id][m.start : m.end] == m.text, m
    # Possessives and a leading "the" are cut from the span, not just from the name.
    assert set(mentions["text"]) == {"Putin", "Moscow", "Kremlin", "Russian", "Reuters"}
    putins = mentions[mentions["entity_id"] == "person/putin"]
    assert set(putins["name"]) == {"Putin"} and len(putins) == 4


def test_entities_resolve_counts_and_aliases_agree_with_mentions():
    raw, _ = build()
    result = resolve(raw)
    entities = result.entities.set_index("entity_id")
    counted = result.mentions.groupby("entity_id").size()
    assert counted.to_dict() == entities["mentions"].to_dict()
    spread = result.mentions.groupby("entity_id")["article_id"].nunique()
    assert spread.to_dict() == entities["articles"].to_dict()
    for entity_id, aliases in entities["aliases"].items():
        surfaces = result.mentions.loc[result.mentions["entity_id"] == entity_id, "text"]
        assert list(aliases) == sorted(set(surfaces))


def test_entities_resolve_surname_links_to_full_name():
    corpus = {
        "a1": [("Russian President Vladimir Putin met the envoy.",
                [("Vladimir Putin", "PERSON")]),
               ("Putin said the talks were useful.", [("Putin", "PERSON")])],
        "a2": [("Putin’s spokesman declined to comment.", [("Putin’s", "PERSON")])],
    }
    raw, _ = build(corpus)
    entities = resolve(raw).entities
    assert list(entities["entity_id"]) == ["person/vladimir-putin"]
    row = entities.iloc[0]
    assert (row["name"], row["mentions"], row["articles"]) == ("Vladimir Putin", 3, 2)
    assert list(row["aliases"]) == ["Putin", "Vladimir Putin"]


def test_entities_resolve_entities_sorted_by_mentions_then_name():
    raw, _ = build()
    entities = resolve(raw).entities
    pairs = list(zip(-entities["mentions"], entities["name"], strict=True))
    assert pairs == sorted(pairs)
    assert entities.iloc[0]["entity_id"] == "person/putin"


def test_entities_resolve_ids_stable_under_row_order():
    raw, _ = build()
    first = resolve(raw).entities
    shuffled = resolve(raw.sample(frac=1, random_state=7).reset_index(drop=True)).entities
    cols = ["entity_id", "name", "kind", "mentions", "articles"]
    pd.testing.assert_frame_equal(
        first[cols].sort_values("entity_id").reset_index(drop=True),
        shuffled[cols].sort_values("entity_id").reset_index(drop=True),
    )


def test_entities_resolve_same_text_different_kinds_stay_apart():
    raw, _ = build({"a1": [("Gazprom and Rosneft signed.",
                            [("Gazprom", "ORG"), ("Rosneft", "ORG")]),
                           ("Oslo welcomed it.", [("Oslo", "GPE")])]})
    assert sorted(resolve(raw).entities["entity_id"]) == [
        "organization/gazprom", "organization/rosneft", "place/oslo"]


def test_entities_resolve_drops_one_character_names():
    raw, _ = build({"a1": [("Agent X met people in Kyiv.", [("X", "PERSON"), ("Kyiv", "GPE")])]})
    result = resolve(raw)
    assert list(result.mentions["text"]) == ["Kyiv"]
    assert list(result.entities["entity_id"]) == ["place/kyiv"]


def test_entities_resolve_contract_columns_and_defaults():
    raw, _ = build()
    result = resolve(raw)
    assert list(result.entities.columns) == ENTITY_CONTRACT
    assert list(result.mentions.columns[: len(MENTION_CONTRACT)]) == MENTION_CONTRACT
    non_places = result.entities[result.entities["kind"] != "place"]
    assert non_places["lat"].isna().all() and non_places["lon"].isna().all()


def test_entities_resolve_empty_input():
    result = resolve(pd.DataFrame(columns=RAW_COLUMNS))
    assert result.mentions.empty and result.entities.empty
    assert list(result.entities.columns) == ENTITY_CONTRACT
    assert list(result.mentions.columns[: len(MENTION_CONTRACT)]) == MENTION_CONTRACT


def test_entities_resolve_all_rows_dropped_gives_contract_frames():
    raw, _ = build({"a1": [("Agent X left.", [("X", "PERSON")])]})
    result = resolve(raw)
    assert result.mentions.empty and result.entities.empty
    assert list(result.entities.columns) == ENTITY_CONTRACT
    assert list(result.mentions.columns[: len(MENTION_CONTRACT)]) == MENTION_CONTRACT


# -- one person per name (issue: entities on a real corpus) -----------------------------------
def _names(result) -> dict[tuple[str, str], str]:
    """(article, mention text at its offset) -> the entity name it was given."""
    return {(m.article_id, m.text): m.name for m in result.mentions.itertuples()}


def test_entities_surname_goes_to_the_namesake_its_article_names_most():
    corpus = {
        "a1": [("Hillary Clinton spoke in Iowa.", [("Hillary Clinton", "PERSON")]),
               ("Her husband Bill Clinton listened.", [("Bill Clinton", "PERSON")]),
               ("Later Clinton said she would win.", [("Clinton", "PERSON")]),
               ("Hillary Clinton left.", [("Hillary Clinton", "PERSON")])],
    }
    result = resolve(build(corpus)[0])
    assert _names(result)[("a1", "Clinton")] == "Hillary Clinton"
    assert set(result.entities["name"]) == {"Hillary Clinton", "Bill Clinton"}


@pytest.mark.parametrize(("honorific", "expected"), [("Mrs.", "Hillary Clinton"),
                                                     ("Mr.", "Bill Clinton")])
def test_entities_honorific_gender_separates_namesakes(honorific, expected):
    corpus = {
        # each spouse alone in an article, with an honorific: the corpus learns genders
        "a1": [("Hillary Clinton spoke.", [("Hillary Clinton", "PERSON")]),
               ("Mrs. Clinton left.", [("Clinton", "PERSON")])],
        "a2": [("Bill Clinton spoke.", [("Bill Clinton", "PERSON")]),
               ("Mr. Clinton left.", [("Clinton", "PERSON")])],
        "a3": [("Hillary Clinton and Bill Clinton came.",
                [("Hillary Clinton", "PERSON"), ("Bill Clinton", "PERSON")]),
               (f"{honorific} Clinton spoke first.", [("Clinton", "PERSON")])],
    }
    assert _names(resolve(build(corpus)[0]))[("a3", "Clinton")] == expected


def test_entities_surname_alone_takes_what_the_corpus_overwhelmingly_means():
    corpus = {f"a{i}": [("Jeb Bush spoke.", [("Jeb Bush", "PERSON")]),
                        ("Bush left.", [("Bush", "PERSON")])] for i in range(4)}
    corpus["b"] = [("George W. Bush spoke.", [("George W. Bush", "PERSON")]),
                   ("Bush left.", [("Bush", "PERSON")])]
    corpus["c"] = [("Bush won the primary.", [("Bush", "PERSON")])]
    assert _names(resolve(build(corpus)[0]))[("c", "Bush")] == "Jeb Bush"


def test_entities_surname_alone_between_namesakes_is_shown_ambiguous():
    corpus = {"a": [("Jeb Bush spoke.", [("Jeb Bush", "PERSON")])],
              "b": [("George W. Bush spoke.", [("George W. Bush", "PERSON")])],
              "c": [("Bush won the primary.", [("Bush", "PERSON")])]}
    result = resolve(build(corpus)[0])
    assert _names(result)[("c", "Bush")] == "Bush (ambiguous)"
    row = result.entities.set_index("name").loc["Bush (ambiguous)"]
    assert (row["kind"], row["mentions"]) == ("person", 1)


@pytest.mark.parametrize(("full", "short"), [("Hillary Rodham Clinton", "Hillary Clinton"),
                                             ("John R. Kasich", "John Kasich"),
                                             ("Paul D. Ryan", "Paul Ryan")])
def test_entities_middle_names_and_initials_merge(full, short):
    corpus = {"a": [(f"{short} spoke.", [(short, "PERSON")]),
                    (f"{short} left.", [(short, "PERSON")])],
              "b": [(f"{full} spoke.", [(full, "PERSON")])]}
    entities = resolve(build(corpus)[0]).entities
    assert list(entities["name"]) == [short]
    assert set(entities.iloc[0]["aliases"]) == {full, short}


def test_entities_name_suffix_is_another_person():
    corpus = {"a": [("Donald Trump spoke.", [("Donald Trump", "PERSON")]),
                    ("Donald Trump Jr. spoke too.", [("Donald Trump Jr.", "PERSON")])]}
    assert len(resolve(build(corpus)[0]).entities) == 2


@pytest.mark.parametrize("label", ["GPE", "ORG"])
def test_entities_corpus_knowledge_beats_one_sentences_label(label):
    corpus = {f"a{i}": [("John Kasich spoke in Ohio.", [("John Kasich", "PERSON"),
                                                         ("Ohio", "GPE")]),
                        ("Kasich left.", [("Kasich", "PERSON")])] for i in range(2)}
    corpus["b"] = [("Kasich won the primary.", [("Kasich", label)])]
    result = resolve(build(corpus)[0])
    assert _names(result)[("b", "Kasich")] == "John Kasich"
    assert sorted(result.entities["name"]) == ["John Kasich", "Ohio"]


def test_entities_a_brand_the_model_calls_a_person_is_not_one():
    """A one-word "person" no full name of the corpus holds, labelled something else
    elsewhere, takes that other kind ("on Twitter")."""
    corpus = {f"a{i}": [("Donald Trump posted on Twitter.", [("Donald Trump", "PERSON"),
                                                              ("Twitter", "PERSON")])]
              for i in range(4)}
    corpus["b"] = [("Twitter said it would act.", [("Twitter", "ORG")])]
    entities = resolve(build(corpus)[0]).entities.set_index("name")
    assert entities.loc["Twitter", "kind"] == "organization"
    assert entities.loc["Twitter", "mentions"] == 5
    assert entities.loc["Donald Trump", "kind"] == "person"


@pytest.mark.parametrize(("name", "indexed"), [("Twitter junkie", False),
                                               ("Charles de Gaulle", True),
                                               ("Abu Bakr al-Baghdadi", True),
                                               ("Osama bin Laden", True)])
def test_entities_person_index_takes_names_not_phrases(name, indexed):
    assert (person_index_row(name) is not None) is indexed


def test_entities_a_surname_the_model_calls_an_organization_is_the_person():
    corpus = {"a": [("Donald Trump spoke.", [("Donald Trump", "PERSON")]),
                    ("The Trump campaign answered.", [("Trump", "ORG")])]}
    entities = resolve(build(corpus)[0]).entities
    assert list(entities["name"]) == ["Donald Trump"]


@pytest.mark.parametrize(("surface", "label", "name"), [
    ("Ted Cruz 1", "PERSON", "Ted Cruz"),
    ("Cruz 42-40", "PERSON", "Cruz"),
    ("Ted Cruz—35", "PERSON", "Ted Cruz"),
    ("CLEVELAND - Donald Trump", "PERSON", "Donald Trump"),
    ("Donald Trump - and", "PERSON", "Donald Trump"),
    ("Carlos Barria / Reuters", "PERSON", "Carlos Barria"),
    ("pro-Clinton", "PERSON", "Clinton"),
    ("Channel 4", "ORG", "Channel 4"),
    ("G20", "ORG", "G20"),
])
def test_entities_spans_trimmed_of_figures_datelines_and_dashes(surface, label, name):
    raw, texts = build({"a": [(f"Then {surface} came.", [(surface, label)])]})
    result = resolve(raw)
    assert list(result.mentions["text"]) == [name]
    m = result.mentions.iloc[0]
    assert texts["a"][m["start"]:m["end"]] == name


@pytest.mark.parametrize("abbreviation", ["Sen.", "Sen", "Mrs", "Pres.", "ST", "Gov.", "Rep."])
def test_entities_title_abbreviations_are_never_places(abbreviation):
    raw, _ = build({"a": [(f"{abbreviation} Smith came from Ohio.",
                           [(abbreviation, "GPE"), ("Ohio", "GPE")])]})
    entities = resolve(raw).entities
    assert list(entities["name"]) == ["Ohio"]


def test_entities_person_name_run_into_an_organization_is_split():
    corpus = {"a": [("Obama spoke at the White House.", [("Obama", "PERSON"),
                                                         ("the White House", "ORG")]),
                    ("The Obama White House agreed.", [("Obama White House", "PERSON")])]}
    result = resolve(build(corpus)[0])
    assert sorted(result.mentions["text"]) == ["Obama", "Obama", "White House", "White House"]
    assert sorted(result.entities["name"]) == ["Obama", "White House"]


def test_entities_person_name_prefers_a_full_form_without_digits():
    corpus = {"a": [("Ted Cruz 1, Cruz 2 and Ted Cruz 3.", [("Ted Cruz 1", "PERSON")]),
                    ("Ted Cruz spoke.", [("Ted Cruz", "PERSON")]),
                    ("Cruz left.", [("Cruz", "PERSON")]),
                    ("Cruz left again.", [("Cruz", "PERSON")])]}
    assert list(resolve(build(corpus)[0]).entities["name"]) == ["Ted Cruz"]


def test_entities_hyphenated_surname_alone_links_to_the_full_name():
    corpus = {"a": [("Douglas Holtz-Eakin, an economist, spoke.",
                     [("Douglas Holtz-Eakin", "PERSON")]),
                    ("Holtz-Eakin said rates would rise.", [("Holtz-Eakin", "PERSON")])]}
    assert list(resolve(build(corpus)[0]).entities["name"]) == ["Douglas Holtz-Eakin"]
