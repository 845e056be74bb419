"""Aggregations over hand-built DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from newsdesk.analysis import (
    ALL_KINDS,
    CHART_KINDS,
    articles_overview,
    date_label,
    entity_mentions,
    mentions_over_time,
    profile_facts,
    reading_minutes,
    top_entities,
    undated,
)


def make_entities() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("person/putin", "Putin", "person", 9, 4),
            ("place/moscow", "Moscow", "place", 12, 5),
            ("organization/kremlin", "Kremlin", "organization", 9, 5),
            ("group/russian", "Russian", "group", 3, 2),
            ("person/witkoff", "Witkoff", "person", 9, 4),
            ("other/x", "X Report", "other", 20, 1),
        ],
        columns=["entity_id", "name", "kind", "mentions", "articles"],
    )


def make_articles() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "article_id": ["a", "b", "c", "d", "e"],
            "title": ["A", "B", "C", "D", "E"],
            "source": ["Wire", None, "Daily", "Wire", "Daily"],
            "published": ["2025-02-10", "2025-02", "2025-03-05", None, "2025-03-06"],
            "published_precision": ["day", "month", "day", None, "day"],
            "date_basis": ["metadata", "manifest", "manifest", "unknown", "metadata"],
            "words": [400, 250, 1000, 10, 300],
            "status": ["ok", "ok", "ok", "ok", "ok"],
            "problems": [[], ["odd"], [], ["no date", "short"], []],
        }
    )


def make_mentions() -> pd.DataFrame:
    rows = [
        ("a", "person/putin", "Putin", "person"),
        ("a", "person/putin", "Putin", "person"),
        ("a", "place/moscow", "Moscow", "place"),
        ("b", "person/putin", "Putin", "person"),
        ("b", "organization/kremlin", "Kremlin", "organization"),
        ("c", "person/putin", "Putin", "person"),
        ("c", "place/moscow", "Moscow", "place"),
        ("d", "person/putin", "Putin", "person"),  # undated
        ("d", "person/nobody", "Nobody", "person"),  # undated only
        ("e", "organization/kremlin", "Kremlin", "organization"),
    ]
    return pd.DataFrame(rows, columns=["article_id", "entity_id", "name", "kind"])


# -- top_entities ----------------------------------------------------------------------------


def test_analysis_top_entities_orders_by_mentions_articles_name():
    top = top_entities(make_entities(), kinds=ALL_KINDS)
    assert list(top.columns) == ["name", "kind", "mentions", "articles"]
    assert list(top["name"]) == ["Moscow", "Kremlin", "Putin", "Witkoff", "Russian"]
    assert top.index.name == "rank"
    assert list(top.index) == [1, 2, 3, 4, 5]


def test_analysis_charts_leave_groups_out_by_default():
    assert "Russian" not in set(top_entities(make_entities())["name"])
    assert "Russian" in set(top_entities(make_entities(), kinds=CHART_KINDS + ("group",))["name"])


@pytest.mark.parametrize(
    ("kinds", "names"),
    [
        (("person",), ["Putin", "Witkoff"]),
        (("person", "organization", "group"), ["Kremlin", "Putin", "Witkoff", "Russian"]),
        (("place",), ["Moscow"]),
        (("other",), ["X Report"]),
        (("nothing",), []),
    ],
)
def test_analysis_top_entities_filters_kinds(kinds, names):
    assert list(top_entities(make_entities(), kinds=kinds)["name"]) == names


def test_analysis_top_entities_limits_n():
    assert list(top_entities(make_entities(), n=2)["name"]) == ["Moscow", "Kremlin"]


# -- mentions_over_time ----------------------------------------------------------------------


def test_analysis_mentions_over_time_by_month_places_month_precision():
    counts = mentions_over_time(make_mentions(), make_articles(), freq="month")
    assert list(counts.index) == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-01")]
    # b is published "2025-02" (month precision): its mentions count in February.
    assert counts.loc["2025-02-01"].to_dict() == {"Putin": 3, "Moscow": 1, "Kremlin": 1}
    assert counts.loc["2025-03-01"].to_dict() == {"Putin": 1, "Moscow": 1, "Kremlin": 1}
    assert counts.columns[0] == "Putin"  # most mentions first (4, then 2 and 2)
    assert sorted(counts.columns[1:]) == ["Kremlin", "Moscow"]


def test_analysis_mentions_over_time_excludes_undated():
    counts = mentions_over_time(make_mentions(), make_articles())
    assert "Nobody" not in counts.columns
    assert int(counts["Putin"].sum()) == 4  # the undated article's mention is left out


def test_analysis_mentions_over_time_by_day():
    counts = mentions_over_time(make_mentions(), make_articles(), freq="day")
    assert counts.index[0] == pd.Timestamp("2025-02-01")  # month precision: first day
    assert counts.index[-1] == pd.Timestamp("2025-03-06")
    assert len(counts) == 34  # a row for every day in between
    assert counts.loc["2025-02-01"].to_dict() == {"Putin": 1, "Moscow": 0, "Kremlin": 1}
    assert counts.loc["2025-02-10"].to_dict() == {"Putin": 2, "Moscow": 1, "Kremlin": 0}
    assert counts.loc["2025-02-20"].sum() == 0
    assert counts.loc["2025-03-06"].to_dict() == {"Putin": 0, "Moscow": 0, "Kremlin": 1}


def test_analysis_mentions_over_time_empty_periods_are_zero():
    articles = pd.DataFrame({"article_id": ["feb", "apr"],
                             "published": ["2025-02-10", "2025-04-20"]})
    mentions = pd.DataFrame({"article_id": ["feb", "apr"], "entity_id": ["p/x"] * 2,
                             "name": ["X"] * 2, "kind": ["person"] * 2})
    counts = mentions_over_time(mentions, articles, freq="month")
    assert list(counts.index) == [pd.Timestamp(d) for d in
                                  ("2025-02-01", "2025-03-01", "2025-04-01")]
    assert counts["X"].tolist() == [1, 0, 1]


def test_analysis_mentions_over_time_by_week():
    counts = mentions_over_time(make_mentions(), make_articles(), freq="week")
    assert int(counts.to_numpy().sum()) == 8
    assert counts.index.is_monotonic_increasing
    assert all(ts.day_of_week == 0 for ts in counts.index)  # weeks are anchored on Mondays
    # c (Wed 5 March) and e (Thu 6 March) fall into the same week.
    nonzero = counts[counts.sum(axis=1) > 0]
    assert nonzero.iloc[-1].to_dict() == {"Putin": 1, "Moscow": 1, "Kremlin": 1}


def test_analysis_mentions_over_time_week_starts_monday():
    articles = pd.DataFrame({"article_id": ["mon", "tue", "sun"],
                             "published": ["2025-03-31", "2025-04-01", "2025-04-06"]})
    mentions = pd.DataFrame({"article_id": ["mon", "tue", "sun"], "entity_id": ["p/x"] * 3,
                             "name": ["X"] * 3, "kind": ["person"] * 3})
    counts = mentions_over_time(mentions, articles, freq="week")
    assert list(counts.index) == [pd.Timestamp("2025-03-31")]
    assert counts["X"].tolist() == [3]


def test_analysis_mentions_over_time_entities_and_top_n():
    mentions, articles = make_mentions(), make_articles()
    picked = mentions_over_time(mentions, articles, entities=["Moscow", "organization/kremlin"])
    assert sorted(picked.columns) == ["Kremlin", "Moscow"]
    top1 = mentions_over_time(mentions, articles, top_n=1)
    assert list(top1.columns) == ["Putin"]
    places = mentions_over_time(mentions, articles, kinds=("place",))
    assert list(places.columns) == ["Moscow"]


def test_analysis_mentions_over_time_nothing_dated_is_empty():
    articles = make_articles().assign(published=None)
    assert mentions_over_time(make_mentions(), articles).empty


@pytest.mark.parametrize("freq", ["year", "M", "", "Month"])
def test_analysis_mentions_over_time_bad_freq(freq):
    with pytest.raises(ValueError, match="freq must be one of day, week, month"):
        mentions_over_time(make_mentions(), make_articles(), freq=freq)


# -- undated / overview / facts --------------------------------------------------------------


def test_analysis_undated_lists_missing_and_empty_dates():
    articles = make_articles()
    articles.loc[articles["article_id"] == "e", "published"] = ""
    result = undated(articles)
    assert result.index.name == "article_id"
    assert list(result.columns) == ["title", "source"]
    assert result.to_dict("index") == {
        "d": {"title": "D", "source": "Wire"},
        "e": {"title": "E", "source": "Daily"},
    }


def test_analysis_undated_none_when_all_dated():
    assert undated(make_articles().dropna(subset=["published"])).empty


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (("2025-02", "month", "manifest"), "2025-02 (month, manifest)"),
        (("2025-04-02", "day", "metadata"), "2025-04-02 (day, metadata)"),
        ((None, None, "unknown"), "undated"),
        (("", None, None), "undated"),
        ((np.nan, None, None), "undated"),
    ],
)
def test_analysis_date_label(args, label):
    assert date_label(*args) == label


def test_analysis_articles_overview():
    overview = articles_overview(make_articles())
    assert overview.index.name == "article_id"
    assert list(overview.columns) == ["date", "title", "source", "words", "status", "problems"]
    assert list(overview.index) == ["b", "a", "c", "e", "d"]  # by date, undated last
    rows = overview
    assert rows.loc["b", "date"] == "2025-02 (month, manifest)"
    assert rows.loc["d", "date"] == "undated"
    assert rows.loc["d", "problems"] == "no date; short"
    assert rows.loc["a", "problems"] == ""


def test_analysis_entity_mentions_counts_per_entity():
    counts = entity_mentions(make_mentions()[lambda f: f["article_id"].isin(["a", "b"])])
    assert counts.index.name == "name"
    assert list(counts.index) == ["Putin", "Kremlin", "Moscow"]
    assert counts["kind"].tolist() == ["person", "organization", "place"]
    assert counts["mentions"].tolist() == [3, 1, 1]
    people = entity_mentions(make_mentions(), kinds=("person",))
    assert list(people.index) == ["Putin", "Nobody"]


@pytest.mark.parametrize(("words", "minutes"), [(0, 1), (100, 1), (460, 2), (1000, 4)])
def test_analysis_reading_minutes(words, minutes):
    assert reading_minutes(words) == minutes


def test_analysis_profile_facts_full():
    facts = profile_facts({
        "article_id": "b", "title": "Talks", "source": "Wire", "published": "2025-02",
        "published_precision": "month", "date_basis": "manifest", "note": "Estimated.",
        "words": 460, "problems": np.array(["odd", "short"]),
    })
    assert facts == {
        "Headline": "Talks",
        "Source": "Wire",
        "Published": "2025-02 (month, manifest)",
        "Date note": "Estimated.",
        "Words": "460 (about 2 min to read)",
        "Article id": "b",
        "Problems": "odd; short",
    }
    assert list(facts) == ["Headline", "Source", "Published", "Date note", "Words",
                           "Article id", "Problems"]


def test_analysis_profile_facts_missing_values():
    facts = profile_facts({"article_id": "x", "title": None, "source": "", "published": None,
                           "words": None, "problems": []})
    assert facts == {
        "Headline": "(none)",
        "Source": "unknown",
        "Published": "undated",
        "Words": "0 (about 1 min to read)",
        "Article id": "x",
    }
