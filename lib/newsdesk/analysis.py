"""Aggregations for the notebooks: pure functions over the store's DataFrames."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

ACTOR_KINDS = ("person", "organization")
ALL_KINDS = ("person", "organization", "place", "group")
FREQS = {"day": "D", "week": "W-MON", "month": "MS"}
WORDS_PER_MINUTE = 230


def date_label(published: str | None, precision: str | None, basis: str | None) -> str:
    """'2025-02 (month, estimated from manifest)', or 'undated'."""
    if not published or pd.isna(published):
        return "undated"
    return f"{published} ({precision}, {basis})"


def articles_overview(articles: pd.DataFrame) -> pd.DataFrame:
    """The articles table as an analyst reads it: date with its basis, title, source, words."""
    frame = articles.copy()
    frame["date"] = [
        date_label(p, pr, b)
        for p, pr, b in zip(frame["published"], frame["published_precision"],
                            frame["date_basis"], strict=True)
    ]
    frame["problems"] = frame["problems"].map(lambda p: "; ".join(p) if len(p) else "")
    cols = ["article_id", "date", "title", "source", "words", "status", "problems"]
    frame = frame.sort_values(["published", "article_id"], na_position="last")[cols]
    return _blank(frame.set_index("article_id"))


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing text shown as empty cells rather than NaN/None (numbers stay as they are)."""
    text = [c for c in frame.columns if frame[c].dtype == object or str(frame[c].dtype) in
            ("string", "str")]
    return frame.assign(**{c: frame[c].fillna("") for c in text})


def entities_table(entities: pd.DataFrame) -> pd.DataFrame:
    """The entities table for reading: aliases joined, empty cells for unknowns."""
    frame = entities.assign(aliases=entities["aliases"].map(
        lambda a: ", ".join(a) if a is not None and len(a) else ""))
    return _blank(frame.set_index("name"))


def top_entities(
    entities: pd.DataFrame,
    *,
    kinds: Sequence[str] = ALL_KINDS,
    n: int = 10,
) -> pd.DataFrame:
    """The ``n`` most-mentioned entities of the given kinds."""
    selected = entities[entities["kind"].isin(kinds)]
    selected = selected.sort_values(["mentions", "articles", "name"],
                                    ascending=[False, False, True])
    top = selected.head(n)[["name", "kind", "mentions", "articles"]].reset_index(drop=True)
    top.index = pd.RangeIndex(1, len(top) + 1, name="rank")
    return top


def dated_mentions(mentions: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Mentions joined to their article's publication day (first day of its period)."""
    dates = articles.set_index("article_id")["published"].map(_first_day)
    frame = mentions.copy()
    frame["date"] = frame["article_id"].map(dates)
    return frame


def _first_day(value: object) -> pd.Timestamp | None:
    if not isinstance(value, str) or not value:
        return None
    return pd.Timestamp(value + "-01" * (2 - value.count("-")))


def mentions_over_time(
    mentions: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    kinds: Sequence[str] = ALL_KINDS,
    top_n: int = 8,
    freq: str = "month",
    entities: Sequence[str] = (),
) -> pd.DataFrame:
    """Mentions per period (rows) and entity name (columns) for dated articles.

    ``entities`` (names or ids) picks the columns; otherwise the ``top_n`` entities of
    ``kinds`` by mentions in dated articles. Undated articles are left out (see ``undated``).
    """
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")
    frame = dated_mentions(mentions, articles).dropna(subset=["date"])
    frame = frame[frame["kind"].isin(kinds)]
    if entities:
        frame = frame[frame["name"].isin(entities) | frame["entity_id"].isin(entities)]
    else:
        keep = frame["entity_id"].value_counts().head(top_n).index
        frame = frame[frame["entity_id"].isin(keep)]
    if frame.empty:
        return pd.DataFrame()
    frame = frame.assign(period=period_start(frame["date"], freq=freq))
    counts = frame.groupby(["period", "name"]).size().unstack("name", fill_value=0)
    periods = pd.date_range(counts.index.min(), counts.index.max(), freq=FREQS[freq],
                            name="period")
    counts = counts.reindex(periods, fill_value=0)
    order = counts.sum().sort_values(ascending=False).index
    return counts[order]


def period_start(dates: pd.Series, *, freq: str) -> pd.Series:
    """The first day of the day, week (Monday) or month each date falls in."""
    dates = pd.to_datetime(dates).dt.normalize()
    if freq == "day":
        return dates
    if freq == "week":
        return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")
    return dates.dt.to_period("M").dt.start_time


def undated(articles: pd.DataFrame) -> pd.DataFrame:
    """Articles without a publication date: kept out of time charts, listed instead."""
    missing = articles["published"].isna() | (articles["published"] == "")
    return _blank(articles[missing][["article_id", "title", "source"]].set_index("article_id"))


def entity_mentions(
    mentions: pd.DataFrame, *, kinds: Sequence[str] = ALL_KINDS
) -> pd.DataFrame:
    """Per entity in one article: name, kind, count, as the profile lists them."""
    frame = mentions[mentions["kind"].isin(kinds)]
    counts = frame.groupby(["name", "kind"]).size().rename("mentions").reset_index()
    counts = counts.sort_values(["mentions", "name"], ascending=[False, True])
    return counts.set_index("name")


def article_actors(
    mentions: pd.DataFrame,
    entities: pd.DataFrame,
    roles: pd.DataFrame,
    *,
    kinds: Sequence[str] = ("person", "organization", "group"),
) -> pd.DataFrame:
    """Actors of one article (``mentions`` of that article): kind, role, mentions, and the
    forms the article uses. The role is the one this article gives, else the corpus's."""
    frame = mentions[mentions["kind"].isin(kinds)]
    if frame.empty:
        return pd.DataFrame(columns=["kind", "role", "mentions", "as written"])
    grouped = frame.groupby("entity_id")
    table = pd.DataFrame({
        "name": grouped["name"].first(),
        "kind": grouped["kind"].first(),
        "mentions": grouped.size(),
        "as written": grouped["text"].agg(lambda s: ", ".join(sorted(set(s)))),
    })
    here = roles[roles["article_id"].isin(frame["article_id"].unique())]
    from newsdesk.entities import best_role

    local = here.groupby("entity_id")["role"].agg(best_role)
    corpus = entities.set_index("entity_id")["role"]
    table["role"] = local.reindex(table.index).fillna(corpus.reindex(table.index))
    table = table.sort_values(["mentions", "name"], ascending=[False, True])
    return _blank(table.set_index("name")[["kind", "role", "mentions", "as written"]])


def article_places(mentions: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """Places of one article with country and coordinates from the gazetteer."""
    frame = mentions[mentions["kind"] == "place"]
    counts = frame.groupby("entity_id").size().rename("mentions")
    info = entities.set_index("entity_id")[["name", "country", "lat", "lon"]]
    table = info.join(counts, how="inner").sort_values(["mentions", "name"],
                                                         ascending=[False, True])
    return _blank(table.set_index("name")[["country", "lat", "lon", "mentions"]])


def reading_minutes(words: int) -> int:
    return max(1, round(words / WORDS_PER_MINUTE))


def profile_facts(article: dict) -> dict[str, object]:
    """The 'at a glance' block of an article profile."""
    words = int(article.get("words") or 0)
    date = date_label(article.get("published"), article.get("published_precision"),
                      article.get("date_basis"))
    facts: dict[str, object] = {
        "Headline": article.get("title") or "(none)",
        "Source": article.get("source") or "unknown",
        "Published": date,
    }
    if article.get("note"):
        facts["Date note"] = article["note"]
    facts["Words"] = f"{words} (about {reading_minutes(words)} min to read)"
    if article.get("lead"):
        facts["Lead"] = article["lead"]
    facts["Article id"] = article.get("article_id")
    problems = article.get("problems")
    if problems is not None and len(problems):
        facts["Problems"] = "; ".join(problems)
    return facts


KIND_LABELS = {"direct": "direct", "indirect": "reported"}


def article_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    """One article's quotes in text order: speaker, quote, cue, direct or reported."""
    frame = quotes.sort_values("start")
    table = pd.DataFrame({
        "speaker": [_speaker_label(s, a) for s, a in zip(frame["speaker"], frame["anonymous"],
                                                         strict=True)],
        "quote": frame["quote"],
        "cue": frame["cue"],
        "kind": frame["kind"].map(KIND_LABELS),
    })
    return _blank(table.reset_index(drop=True))


def _speaker_label(speaker: object, anonymous: object) -> str:
    if not isinstance(speaker, str) or not speaker:
        return "(unattributed)"
    return f"{speaker} (anonymous)" if bool(anonymous) else speaker


def who_said_what(quotes: pd.DataFrame, articles: pd.DataFrame, *, top_n: int = 0
                  ) -> pd.DataFrame:
    """Each named speaker's quotes across articles, in date order; speakers with the most
    quotes first (``top_n`` of them when > 0). Anonymous sources are left to the profiles."""
    named = quotes[quotes["speaker_entity_id"].notna()]
    if named.empty:
        return pd.DataFrame(columns=["speaker", "date", "article", "kind", "quote"])
    info = articles.set_index("article_id")
    frame = named.assign(
        published=named["article_id"].map(info["published"]),
        article=named["article_id"].map(info["title"]).fillna(named["article_id"]),
        n=named.groupby("speaker_entity_id")["quote"].transform("size"),
    )
    if top_n:
        keep = frame.drop_duplicates("speaker_entity_id").nlargest(top_n, "n")
        frame = frame[frame["speaker_entity_id"].isin(keep["speaker_entity_id"])]
    frame = frame.sort_values(["n", "speaker", "published", "article_id", "start"],
                              ascending=[False, True, True, True, True], na_position="last")
    table = pd.DataFrame({
        "speaker": frame["speaker"],
        "date": frame["published"].fillna("undated"),
        "article": frame["article"],
        "kind": frame["kind"].map(KIND_LABELS),
        "quote": frame["quote"],
    })
    return _blank(table.set_index(["speaker", "date"]))
