"""The overview's summary and the quality checks, over hand-built DataFrames."""

from __future__ import annotations

import pandas as pd
import pytest

from newsdesk import markup
from newsdesk.analysis import (
    QUALITY_CHECKS,
    ambiguous_names,
    articles_by_month,
    articles_by_source,
    articles_list,
    corpus_summary,
    label_disagreements,
    profile_links,
    profile_order,
    quality_checks,
    quality_counts,
    quality_table,
    unsettled_quotes,
)

ARTICLES = pd.DataFrame({
    "article_id": ["a", "b", "c", "d", "e", "f", "g", "h"],
    "path": [f"in/{x}.txt" for x in "abcdefgh"],
    "title": ["A <b>", "B", "C", "D", "E", "F", "G", "H"],
    "source": ["Wire", None, "Daily", "Wire", "", "Wire", "Wire", None],
    "published": ["2025-02-10", "2025-04", "2025", None, "2025-04-02", "2025-02-10", None,
                  None],
    "published_precision": ["day", "month", "year", None, "day", "day", None, None],
    "date_basis": ["metadata", "manifest", "text", "unknown", "metadata", "metadata", "unknown",
                   "unknown"],
    "words": [400, 250, 1000, 10, 300, 400, 0, 0],
    "status": ["ok", "ok", "ok", "ok", "ok", "near_duplicate", "empty", "not_english"],
    "problems": [[], [], [], [], [], ["near_duplicate: 92% of ... 'a'"], ["no article text"],
                 ["language: German detected"]],
})


def test_quality_profile_order_dated_first_then_id_and_links():
    assert profile_order(ARTICLES) == ["c", "a", "b", "e", "d"]  # as the dates sort
    assert profile_links(ARTICLES, profiles=2) == {"c": "articles/c.html",
                                                   "a": "articles/a.html"}
    assert profile_links(ARTICLES) == {}


def test_quality_articles_by_month_every_month_then_years_then_undated():
    table = articles_by_month(ARTICLES)
    assert list(table.index) == ["2025-02", "2025-03", "2025-04", "2025", "undated"]
    assert table["articles"].tolist() == [1, 0, 2, 1, 1]  # the copy f is not counted


def test_quality_articles_by_source_unknown_and_others():
    assert articles_by_source(ARTICLES)["articles"].to_dict() == {
        "(unknown)": 2, "Wire": 2, "Daily": 1}
    small = articles_by_source(ARTICLES, n=1)
    assert small["articles"].to_dict() == {"(unknown)": 2, "2 other sources": 3}


def test_quality_corpus_summary_counts():
    entities = pd.DataFrame({"kind": ["person", "organization", "place", "group"]})
    facts = corpus_summary(ARTICLES, entities, pd.DataFrame({"quote": ["x", "y"]}))
    assert facts == {"articles counted": 5, "articles read": 8, "not counted": 3, "dated": 4,
                     "undated": 1, "from": "2025", "to": "2025-04-02", "sources": 2,
                     "actors": 2, "places": 1, "quotes": 2}


def test_quality_articles_by_month_markup_groups_links_and_escapes():
    listed = articles_list(ARTICLES)
    full = markup.articles_by_month(listed, links={"a": "articles/a.html"})
    assert full.index("April 2025: 2 articles") < full.index("February 2025: 1 article") < (
        full.index("2025 (month not known)")) < full.index("Undated: 1 article")
    assert "id='m-2025-04'" in full and "id='m-undated'" in full
    assert '<a href="articles/a.html">A &lt;b&gt;</a>' in full and "<b>" not in full
    short = markup.articles_by_month(listed, per_month=1, full_list="articles.html")
    assert short.count("<details>") == 4
    assert "<a href='articles.html#m-2025-04'>… and 1 more in the full list</a>" in short


@pytest.mark.parametrize(("names", "ambiguous"), [
    (["Clinton", "Hillary Clinton", "Bill Clinton", "Putin", "Vladimir Putin"], ["Clinton"]),
    (["Putin", "Vladimir Putin"], []),  # one full name: resolution links it
    (["clinton", "Hillary Clinton", "Bill Clinton"], ["clinton"]),
    (["Clinton (ambiguous)", "Hillary Clinton", "Bill Clinton"], ["Clinton (ambiguous)"]),
])
def test_quality_ambiguous_names_one_word_person_of_two_full_names(names, ambiguous):
    entities = pd.DataFrame({"entity_id": names, "name": names, "kind": "person",
                             "mentions": range(len(names), 0, -1), "articles": 1})
    found = ambiguous_names(entities)
    assert found["name"].tolist() == ambiguous
    if ambiguous:
        assert found.iloc[0]["could be"] == "Bill Clinton; Hillary Clinton"


def test_quality_ambiguous_names_marked_by_resolution_even_without_full_names():
    entities = pd.DataFrame({"entity_id": ["1", "2"], "kind": "person",
                             "name": ["Bush (ambiguous)", "Laura Bush"],
                             "mentions": [3, 1], "articles": 1})
    assert ambiguous_names(entities).to_dict("records") == [
        {"name": "Bush (ambiguous)", "mentions": 3, "articles": 1, "could be": "Laura Bush"}]


def test_quality_ambiguous_names_only_persons():
    entities = pd.DataFrame({"entity_id": ["1", "2", "3"], "kind": "place",
                             "name": ["Washington", "George Washington", "Denzel Washington"],
                             "mentions": 1, "articles": 1})
    assert ambiguous_names(entities).empty


def test_quality_label_disagreements_by_kind_not_by_label():
    counts = pd.DataFrame([
        ("person/trump", "Trump", "person", "PERSON", 9), ("person/trump", "Trump", "person",
                                                             "ORG", 3),
        ("place/kyiv", "Kyiv", "place", "GPE", 5), ("place/kyiv", "Kyiv", "place", "LOC", 2),
        ("org/nato", "NATO", "organization", "ORG", 4),
    ], columns=["entity_id", "name", "kind", "label", "mentions"])
    found = label_disagreements(counts)
    assert found.to_dict("records") == [
        {"name": "Trump", "kind": "person", "labels": "PERSON 9, ORG 3", "mentions": 12}]


def test_quality_unsettled_quotes_three_kinds():
    quotes = pd.DataFrame({
        "article_id": ["a"] * 5, "start": range(5),
        "speaker": ["Putin", None, "a Kremlin source", "he", "analysts"],
        "speaker_kind": ["person", "unknown", "description", "unresolved", "description"],
        "anonymous": [False, False, True, True, True],
        "quote": ["q0", "q1", "q2", "q3", "q4"]})
    found = unsettled_quotes(quotes)
    assert {k: v["quote"].tolist() for k, v in found.items()} == {
        "quote_no_speaker": ["q1"], "quote_anonymous": ["q2", "q4"],
        "quote_unresolved": ["q3"]}


def test_quality_checks_table_and_export_rows():
    copies = pd.DataFrame({"article_id": ["f"], "title": ["F"], "status": ["near_duplicate"],
                           "duplicate_of": ["a"], "problems": [ARTICLES["problems"][5]]})
    entities = pd.DataFrame({"entity_id": ["c", "h", "b"], "kind": "person",
                             "name": ["Clinton", "Hillary Clinton", "Bill Clinton"],
                             "mentions": [4, 2, 1], "articles": 1})
    furniture = pd.DataFrame({"article_id": ["a", "a", "f"], "reason": ["cue", "copyright",
                                                                       "cue"],
                              "lines": [3, 1, 2]})
    quotes = pd.DataFrame(columns=["article_id", "start", "speaker", "speaker_kind",
                                   "anonymous", "quote"])
    checks = quality_checks(articles=ARTICLES, copies=copies, quotes=quotes, entities=entities,
                            label_counts=pd.DataFrame(columns=["entity_id", "name", "kind",
                                                               "label", "mentions"]),
                            furniture=furniture)
    assert list(checks) == list(QUALITY_CHECKS)
    assert quality_counts(checks)["count"].to_dict() == {
        "undated": 1, "quote_no_speaker": 0, "quote_anonymous": 0, "quote_unresolved": 0,
        "ambiguous_name": 1, "label_disagreement": 0, "duplicate": 0, "near_duplicate": 1,
        "not_read": 2, "furniture": 1}
    rows = quality_table(checks)
    assert list(rows.columns) == ["check", "article_id", "subject", "detail", "count"]
    as_tuples = {tuple(None if pd.isna(v) else v for v in r) for r in rows.itertuples(
        index=False)}
    assert as_tuples == {
        ("undated", "d", "D", "no publication date", None),
        ("ambiguous_name", None, "Clinton", "could be: Bill Clinton; Hillary Clinton", 4),
        ("near_duplicate", "f", "a", "near_duplicate: 92% of ... 'a'", None),
        ("not_read", "g", "in/g.txt", "empty: no article text", None),
        ("not_read", "h", "in/h.txt", "not_english: language: German detected", None),
        ("furniture", "a", "A <b>", "cue (3); copyright (1)", 4),
    }
    html = markup.quality(checks, links={"a": "articles/a.html"})
    assert html.count("<details>") == 5 and "A &lt;b&gt;" in html
    assert '<a href="articles/a.html">a</a>' in html
