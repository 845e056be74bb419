"""Issue 5 behaviour: publication-date precedence, relative expressions, period bucketing,
measures, co-occurrence counts, the event timeline and what is new."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from newsdesk.analysis import (
    cooccurrence,
    cooccurrence_matrix,
    event_timeline,
    mentions_over_time,
    select_mentions,
    top_pairs,
    whats_new,
)
from newsdesk.dates import (
    Published,
    inferred_from_text,
    published_from_text,
    resolve_expression,
    resolve_published,
)

DAY = Published("2025-12-24", "day", "manifest")  # a Wednesday
MONTH = Published("2025-02", "month", "manifest")


# -- publication dates ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"manifest": "2025-02", "metadata": ("2025-04-02",)}, ("2025-02", "month", "manifest")),
        ({"metadata": (None, "2025-04-02")}, ("2025-04-02", "day", "metadata")),
        ({"metadata": ("April 2, 2025",), "text": Published("2025-04-03", "day", "text")},
         ("2025-04-02", "day", "metadata")),
        ({"text": Published("2025-04-03", "day", "text"),
          "inferred": Published("2025-03", "month", "inferred")},
         ("2025-04-03", "day", "text")),
        ({"inferred": Published("2025-03", "month", "inferred")},
         ("2025-03", "month", "inferred")),
        ({}, (None, None, "unknown")),
    ],
)
def test_dates_precedence_manifest_metadata_text_inferred(kwargs, expected):
    got = resolve_published(**kwargs)
    assert (got.date, got.precision, got.basis) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["MOSCOW, April 2, 2025 - The Kremlin said on Wednesday ..."], "2025-04-02"),
        (["The talks went on.", "Published 3 March 2025, updated later."], "2025-03-03"),
        (["The invasion began on February 24, 2022, and the war goes on."], None),
    ],
)
def test_dates_published_from_text_needs_a_dateline_or_cue(lines, expected):
    got = published_from_text(lines)
    assert (got.date if got else None) == expected
    if got:
        assert (got.precision, got.basis) == ("day", "text")


def test_dates_inferred_is_a_labelled_month_estimate():
    got = inferred_from_text("Talks on March 3, 2025 followed the 4 April 2025 meeting. 2012 …")
    assert (got.date, got.precision, got.basis) == ("2025-04", "month", "inferred")
    assert inferred_from_text("In February 2022 and in 2012, nothing is dated to the day.") is None


# -- expressions in the text ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "anchor", "sentence", "expected"),
    [
        ("February 2022", None, "", (date(2022, 2, 1), date(2022, 2, 28), "month")),
        ("2012", None, "", (date(2012, 1, 1), date(2012, 12, 31), "year")),
        ("April 2, 2025", None, "", (date(2025, 4, 2), date(2025, 4, 2), "day")),
        ("December 20-21", DAY, "", (date(2025, 12, 20), date(2025, 12, 21), "day")),
        ("the 23rd", DAY, "", (date(2025, 12, 23), date(2025, 12, 23), "day")),
        ("the 28th", DAY, "", (date(2025, 11, 28), date(2025, 11, 28), "day")),
        ("in August", DAY, "", (date(2025, 8, 1), date(2025, 8, 31), "month")),
        ("mid-December", DAY, "", (date(2025, 12, 1), date(2025, 12, 31), "month")),
        ("last week", DAY, "", (date(2025, 12, 15), date(2025, 12, 21), "week")),
        ("last month", DAY, "", (date(2025, 11, 1), date(2025, 11, 30), "month")),
        ("the start of last year", DAY, "", (date(2024, 1, 1), date(2024, 12, 31), "year")),
        ("Friday", DAY, "On Friday, he said", (date(2025, 12, 19), date(2025, 12, 19), "day")),
        ("Saturday", DAY, "They are due to meet on Saturday",
         (date(2025, 12, 27), date(2025, 12, 27), "day")),
        ("Wednesday", DAY, "the Kremlin said on Wednesday",
         (date(2025, 12, 24), date(2025, 12, 24), "day")),
        ("in June", MONTH, "", (date(2024, 6, 1), date(2024, 6, 30), "month")),
    ],
)
def test_dates_expression_resolved(text, anchor, sentence, expected):
    got = resolve_expression(text, anchor=anchor, sentence=sentence)
    assert (got.start, got.end, got.precision) == expected
    assert got.basis == ("absolute" if anchor is None else "relative")


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        ("last week", None),  # relative without an anchor: never guessed
        ("on Saturday", None),
        ("the 23rd", MONTH),  # a day of the month needs a day-precision anchor
        ("last week", MONTH),
        ("Friday", Published("2025", "year", "manifest")),
        ("in August", Published("2025", "year", "manifest")),
        ("two to three months", DAY),  # durations are not dates
        ("recent months", DAY),
        ("daily", DAY),
    ],
)
def test_dates_expression_unresolved_without_anchor_or_date(text, anchor):
    assert resolve_expression(text, anchor=anchor) is None


# -- bucketing and measures --------------------------------------------------------------------
def _articles() -> pd.DataFrame:
    return pd.DataFrame({
        "article_id": ["a", "b", "c", "d"],
        "title": ["A", "B", "C", "D"],
        "published": ["2025-02-10", "2025-02", "2025-03-05", None],
        "published_precision": ["day", "month", "day", None],
        "date_basis": ["metadata", "manifest", "manifest", "unknown"],
    })


def _mentions() -> pd.DataFrame:
    rows = [  # article, sentence start, entity, kind
        ("a", 0, "person/putin", "Putin", "person"),
        ("a", 0, "person/trump", "Trump", "person"),
        ("a", 0, "place/moscow", "Moscow", "place"),
        ("a", 50, "person/putin", "Putin", "person"),
        ("a", 50, "person/witkoff", "Witkoff", "person"),
        ("b", 0, "person/putin", "Putin", "person"),
        ("b", 0, "person/trump", "Trump", "person"),
        ("c", 0, "person/trump", "Trump", "person"),
        ("c", 9, "place/moscow", "Moscow", "place"),
        ("d", 0, "person/putin", "Putin", "person"),
        ("d", 0, "person/trump", "Trump", "person"),
    ]
    frame = pd.DataFrame(rows, columns=["article_id", "sent_start", "entity_id", "name", "kind"])
    return frame.assign(start=range(len(frame)), text=frame["name"],
                        sentence="sentence " + frame["sent_start"].astype(str))


@pytest.mark.parametrize(
    ("measure", "february", "march"),
    [("mentions", 3, 0), ("articles", 2, 0), ("share", 1.0, 0.0)],
)
def test_analysis_measures_count_month_precision_in_its_month(measure, february, march):
    counts = mentions_over_time(_mentions(), _articles(), entities=["Putin"], freq="month",
                                measure=measure)
    assert list(counts.index) == [pd.Timestamp("2025-02-01")]  # undated d left out
    assert counts.loc["2025-02-01", "Putin"] == february
    trump = mentions_over_time(_mentions(), _articles(), entities=["Trump"], measure=measure)
    assert trump.loc["2025-03-01", "Trump"] == {"mentions": 1, "articles": 1, "share": 1.0}[
        measure]
    assert march == 0.0


def test_analysis_period_filter_and_selection_trace_to_sentences():
    selected = select_mentions(_mentions(), _articles(), entities=["Moscow"], start="2025-03-01")
    assert list(selected["article_id"]) == ["c"]
    assert list(selected["sentence"]) == ["sentence 9"]
    assert mentions_over_time(_mentions(), _articles(), entities=["Moscow"],
                              end="2025-01-31").empty


def test_analysis_bad_measure():
    with pytest.raises(ValueError, match="measure"):
        mentions_over_time(_mentions(), _articles(), measure="volume")


# -- co-occurrence -------------------------------------------------------------------------------
def test_analysis_cooccurrence_sentence_and_article_counts():
    pairs = cooccurrence(_mentions(), _articles(), level="sentence", kinds_a=["person"])
    together = {(r.a, r.b): r.together for r in pairs.itertuples()}
    # a/0, b/0 and the undated d/0 (no period given: every article counts)
    assert together[("Putin", "Trump")] == 3
    assert together[("Putin", "Witkoff")] == 1
    assert ("Trump", "Witkoff") not in together  # different sentences of article a
    by_article = cooccurrence(_mentions(), _articles(), level="article", kinds_a=["person"])
    together = {(r.a, r.b): r.together for r in by_article.itertuples()}
    assert together[("Trump", "Witkoff")] == 1
    assert together[("Putin", "Trump")] == 3


def test_analysis_cooccurrence_period_and_cross_kinds():
    pairs = cooccurrence(_mentions(), _articles(), kinds_a=["person"], kinds_b=["place"],
                         level="article", start="2025-03-01")
    assert [(r.a, r.b, r.together) for r in pairs.itertuples()] == [("Trump", "Moscow", 1)]
    dated = cooccurrence(_mentions(), _articles(), kinds_a=["person"], start="2025-01-01")
    assert dict(zip(zip(dated["a"], dated["b"], strict=True), dated["together"],
                    strict=True))[("Putin", "Trump")] == 2


def test_analysis_cooccurrence_matrix_symmetric_and_top_pairs():
    pairs = cooccurrence(_mentions(), _articles(), kinds_a=["person"])
    matrix = cooccurrence_matrix(pairs, n=3)
    assert (matrix.values == matrix.values.T).all()
    assert matrix.loc["Putin", "Trump"] == 3 and matrix.loc["Putin", "Putin"] == 0
    top = top_pairs(pairs, n=1)
    assert list(top.index) == [1] and (top.iloc[0]["a"], top.iloc[0]["b"]) == ("Putin", "Trump")


# -- event timeline and what is new --------------------------------------------------------------
def test_analysis_event_timeline_resolves_against_each_article():
    timex = pd.DataFrame({
        "article_id": ["a", "b", "b", "d"],
        "start": [0, 0, 10, 0], "end": [5, 5, 15, 5],
        "text": ["last week", "last week", "February 2022", "last week"],
        "label": ["DATE"] * 4,
        "sentence": ["s1", "s2", "s3", "s4"],
    })
    table = event_timeline(timex, _articles())
    # b is month-precision and d undated: only a's "last week" and the absolute date resolve
    assert list(table["expression"]) == ["February 2022", "last week"]
    assert list(table["from"]) == [date(2022, 2, 1), date(2025, 2, 3)]
    assert list(table["sentence"]) == ["s3", "s1"]


def test_analysis_whats_new_lists_new_entities_quotes_and_changes():
    before = pd.DataFrame({"entity_id": ["person/a", "place/x"], "name": ["A", "X"],
                           "kind": ["person", "place"], "mentions": [5, 2], "articles": [1, 1]})
    now = pd.DataFrame({"entity_id": ["person/a", "place/x", "person/b", "place/y"],
                        "name": ["A", "X", "B", "Y"],
                        "kind": ["person", "place", "person", "place"],
                        "mentions": [9, 2, 3, 1], "articles": [2, 1, 1, 1]})
    old_quotes = pd.DataFrame({"article_id": ["1"], "start": [0], "end": [10],
                               "speaker": ["A"]})
    quotes = pd.DataFrame({"article_id": ["1", "2"], "start": [0, 5], "end": [10, 20],
                           "speaker": ["A", "B"], "quote": ["old", "new"]})
    changes = whats_new(now, quotes, before, old_quotes)
    assert list(changes["new actors"]["name"]) == ["B"]
    assert list(changes["new places"]["name"]) == ["Y"]
    assert list(changes["new quotes"]["quote"]) == ["new"]
    largest = changes["largest changes"]
    assert list(largest.index) == ["A", "B", "Y"]
    assert (largest.loc["A", "before"], largest.loc["A", "now"], largest.loc["A", "change"]) == (
        5, 9, 4)


def test_analysis_nothing_dated_gives_empty_tables_not_errors():
    articles = _articles().assign(published=None, published_precision=None)
    selected = select_mentions(_mentions(), articles)
    assert selected.empty
    assert mentions_over_time(_mentions(), articles).empty
    from newsdesk.analysis import drilldown, first_last_seen

    assert first_last_seen(selected).empty
    assert drilldown(selected, articles).empty
