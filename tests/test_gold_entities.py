"""Entities measured against our hand-made gold annotation of the sample (tests/gold/).

Prints precision and recall per kind for the raw spaCy output and for newsdesk, and asserts
the promises: no entity from page furniture, no actor split, every person found.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
import yaml

from newsdesk.entities import normalize_name
from newsdesk.nlp import LABEL_KINDS
from newsdesk.store import Store

pytestmark = pytest.mark.slow
GOLD = yaml.safe_load((Path(__file__).parent / "gold" / "entities.yml").read_text("utf-8"))
SCORED = {"person": "persons", "organization": "organizations", "place": "places"}


def _scores(predicted: dict[tuple[str, str], set[str]]) -> dict[str, tuple[float, float]]:
    """Micro precision and recall per kind over (article, kind) sets of names."""
    out = {}
    for kind, key in SCORED.items():
        tp = fp = fn = 0
        for article_id, gold in GOLD.items():
            truth = set(gold[key])
            found = predicted.get((article_id, kind), set())
            tp += len(truth & found)
            fp += len(found - truth)
            fn += len(truth - found)
        out[kind] = (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)
    return out


def _by_article(frame: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    sets: dict[tuple[str, str], set[str]] = defaultdict(set)
    for article_id, kind, name in zip(frame["article_id"], frame["kind"], frame["name"],
                                      strict=True):
        sets[(article_id, kind)].add(name)
    return sets


@pytest.fixture(scope="module")
def tables(sample_db):
    with Store(sample_db, read_only=True) as store:
        return {name: store.query(f"SELECT * FROM {name}") for name in
                ("raw_mentions", "mentions", "entities", "removed", "articles")}


def _bare_spacy(nlp, sample_texts) -> pd.DataFrame:
    """The baseline: the bare model on each file's whole text, names as spaCy spans them."""
    rows = [
        (article_id, LABEL_KINDS[ent.label_], normalize_name(ent.text))
        for article_id, text in sample_texts.items()
        for ent in nlp(text).ents
        if ent.label_ in LABEL_KINDS
    ]
    return pd.DataFrame(rows, columns=["article_id", "kind", "name"])


def test_gold_entities_precision_recall_before_and_after(tables, nlp, sample_texts, capsys):
    before = _scores(_by_article(_bare_spacy(nlp, sample_texts)))
    after = _scores(_by_article(tables["mentions"]))
    with capsys.disabled():
        print("\nkind          raw spaCy P/R     newsdesk P/R")
        for kind in SCORED:
            (bp, br), (ap, ar) = before[kind], after[kind]
            print(f"{kind:<13} {bp:5.2f} / {br:4.2f}      {ap:5.2f} / {ar:4.2f}")
    assert after["person"] == (1.0, 1.0), after["person"]
    assert after["organization"][0] >= 0.9 and after["organization"][1] >= 0.85
    assert after["place"][0] >= 0.9 and after["place"][1] >= 0.85
    for kind in SCORED:
        assert after[kind][0] > before[kind][0], kind


def test_gold_entities_every_person_found_once_per_article(tables):
    mentions = tables["mentions"]
    for article_id, gold in GOLD.items():
        persons = mentions[(mentions["article_id"] == article_id)
                           & (mentions["kind"] == "person")]
        assert sorted(set(persons["name"])) == sorted(gold["persons"]), article_id
        assert persons.groupby("name")["entity_id"].nunique().max() == 1


def test_gold_entities_no_actor_split_across_entities(tables):
    entities = tables["entities"]
    people = entities[entities["kind"] == "person"]
    gold_people = {p for gold in GOLD.values() for p in gold["persons"]}
    assert set(people["name"]) == gold_people
    surnames = [name.split()[-1] for name in people["name"]]
    assert len(surnames) == len(set(surnames)), "a person appears as two entities"


def test_gold_entities_furniture_removed_and_nothing_counted_from_it(tables):
    removed = tables["removed"]
    for article_id, gold in GOLD.items():
        lines = set(removed[removed["article_id"] == article_id]["text"])
        expected = set(gold.get("furniture") or []) | set(gold.get("furniture_fragments") or [])
        assert lines == expected, article_id
    mentions, cut = tables["mentions"], removed
    for r in cut.itertuples(index=False):
        inside = mentions[(mentions["article_id"] == r.article_id)
                          & (mentions["start"] < r.end) & (mentions["end"] > r.start)]
        assert inside.empty, (r.text, inside["text"].tolist())


def test_gold_entities_titles_found(tables):
    articles = tables["articles"].set_index("article_id")
    for article_id, gold in GOLD.items():
        if gold["title"]:
            assert articles.loc[article_id, "title"] == gold["title"]
            assert articles.loc[article_id, "title_basis"] == "heading"
        else:
            assert articles.loc[article_id, "title_basis"] == "lead"


def test_gold_entities_offsets_trace_to_text(tables):
    texts = tables["articles"].set_index("article_id")["text"]
    for m in tables["mentions"].itertuples(index=False):
        assert texts[m.article_id][m.start : m.end] == m.text
