"""Aggregations for the notebooks: pure functions over the store's DataFrames."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

ACTOR_KINDS = ("person", "organization")
ALL_KINDS = ("person", "organization", "place", "group")
#: What charts show unless told otherwise: actors and places. Groups (nationalities,
#: parties: "Republican", "American") are one switch away: add "group" to ``kinds``.
CHART_KINDS = ("person", "organization", "place")
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


def entities_table(entities: pd.DataFrame, *, n: int = 0) -> pd.DataFrame:
    """The entities table for reading: aliases joined, empty cells for unknowns; the ``n``
    most-mentioned only when ``n`` > 0."""
    if n > 0:
        entities = entities.sort_values(["mentions", "name"], ascending=[False, True]).head(n)
    frame = entities.assign(aliases=entities["aliases"].map(
        lambda a: ", ".join(a) if a is not None and len(a) else ""))
    return _blank(frame.set_index("name"))


def top_entities(
    entities: pd.DataFrame,
    *,
    kinds: Sequence[str] = CHART_KINDS,
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
    # datetime64 even when no article is dated, so date arithmetic works on empty selections
    frame["date"] = pd.to_datetime(frame["article_id"].map(dates))
    return frame


def _first_day(value: object) -> pd.Timestamp | None:
    if not isinstance(value, str) or not value:
        return None
    return pd.Timestamp(value + "-01" * (2 - value.count("-")))


MEASURES = ("mentions", "articles", "share")


def select_mentions(
    mentions: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    kinds: Sequence[str] = CHART_KINDS,
    entities: Sequence[str] = (),
    top_n: int = 8,
    start: str = "",
    end: str = "",
) -> pd.DataFrame:
    """The dated mentions a time chart is built from: of ``entities`` (names or ids), else of
    the ``top_n`` most-mentioned entities of ``kinds``, in articles published between
    ``start`` and ``end`` (ISO dates, inclusive; empty: open). Each row keeps its article and
    sentence, so every plotted number traces back to its words."""
    frame = dated_mentions(mentions, articles).dropna(subset=["date"])
    frame = frame[frame["kind"].isin(kinds)]
    if start:
        frame = frame[frame["date"] >= pd.Timestamp(start)]
    if end:
        frame = frame[frame["date"] <= pd.Timestamp(end)]
    if entities:
        return frame[frame["name"].isin(entities) | frame["entity_id"].isin(entities)]
    keep = frame["entity_id"].value_counts().head(top_n).index
    return frame[frame["entity_id"].isin(keep)]


def mentions_over_time(
    mentions: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    kinds: Sequence[str] = CHART_KINDS,
    top_n: int = 8,
    freq: str = "month",
    entities: Sequence[str] = (),
    start: str = "",
    end: str = "",
    measure: str = "mentions",
) -> pd.DataFrame:
    """Per period (rows) and entity (columns): ``mentions``, ``articles`` mentioning the
    entity, or the ``share`` of the period's dated articles that mention it.

    Entities are chosen as in ``select_mentions``. Undated articles are left out (see
    ``undated``); a month-precision date counts in its month's first day, week or month.
    """
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    frame = select_mentions(mentions, articles, kinds=kinds, entities=entities, top_n=top_n,
                            start=start, end=end)
    if measure != "mentions":  # an article counts once per entity name
        frame = frame.drop_duplicates(["article_id", "name"])
    counts = counts_over_time(frame, freq=freq)
    if measure == "share" and not counts.empty:
        per_period = _articles_per_period(articles, freq=freq).reindex(counts.index,
                                                                        fill_value=0)
        # A period without dated articles has no share: NaN, drawn as a gap.
        counts = counts.div(per_period.where(per_period > 0), axis=0)
        counts = counts[counts.sum().sort_values(ascending=False).index]
    return counts


def counts_over_time(frame: pd.DataFrame, *, freq: str = "month", weight: str = ""
                     ) -> pd.DataFrame:
    """Per period (rows: every period from the first to the last) and name (columns, the
    largest total first): how many rows of ``frame`` (with a date and a name) fall in it,
    or the sum of their ``weight`` column (rows counted in advance)."""
    if frame.empty:
        return pd.DataFrame()
    grouped = frame.assign(period=period_start(frame["date"], freq=freq)).groupby(
        ["period", "name"])
    counts = (grouped[weight].sum() if weight else grouped.size()).unstack("name",
                                                                           fill_value=0)
    periods = pd.date_range(counts.index.min(), counts.index.max(), freq=FREQS[freq],
                            name="period")
    counts = counts.reindex(periods, fill_value=0)
    return counts[counts.sum().sort_values(ascending=False).index]


def _articles_per_period(articles: pd.DataFrame, *, freq: str) -> pd.Series:
    """Dated articles counted in the charts per period (duplicates and unread ones are not)."""
    if "status" in articles.columns:
        articles = articles[articles["status"] == "ok"]
    dates = articles["published"].map(_first_day).dropna()
    return period_start(pd.Series(dates.values), freq=freq).value_counts()


def first_last_seen(selected: pd.DataFrame) -> pd.DataFrame:
    """Per entity of a selection: first and last publication date it appears on, articles."""
    if selected.empty:
        return pd.DataFrame(columns=["kind", "first seen", "last seen", "articles", "mentions"])
    grouped = selected.groupby("name")
    table = pd.DataFrame({
        "kind": grouped["kind"].first(),
        "first seen": grouped["date"].min().dt.date,
        "last seen": grouped["date"].max().dt.date,
        "articles": grouped["article_id"].nunique(),
        "mentions": grouped.size(),
    })
    return table.sort_values(["first seen", "name"])


def drilldown(selected: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Every mention behind a chart: date, entity, article and the sentence it is in."""
    titles = articles.set_index("article_id")["title"]
    frame = selected.sort_values(["date", "article_id", "start"])
    table = pd.DataFrame({
        "date": frame["date"].dt.date,
        "entity": frame["name"],
        "article": frame["article_id"].map(titles).fillna(frame["article_id"]),
        "as written": frame["text"],
        "sentence": frame["sentence"],
    })
    return _blank(table.reset_index(drop=True))


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
        "speaker": [_speaker_label(s, a, k) for s, a, k in zip(
            frame["speaker"], frame["anonymous"], frame.get("speaker_kind", frame["anonymous"]),
            strict=True)],
        "quote": frame["quote"],
        "cue": frame["cue"],
        "kind": frame["kind"].map(KIND_LABELS),
    })
    return _blank(table.reset_index(drop=True))


def _speaker_label(speaker: object, anonymous: object, kind: object = None) -> str:
    if not isinstance(speaker, str) or not speaker:
        return "(unattributed)"
    if kind == "unresolved":  # a pronoun the text leaves in doubt
        return f"{speaker} (not resolved)"
    return f"{speaker} (anonymous)" if bool(anonymous) else speaker


def who_said_what(quotes: pd.DataFrame, articles: pd.DataFrame, *, top_n: int = 0,
                  per_speaker: int = 0) -> pd.DataFrame:
    """Each named speaker's quotes across articles, in date order; speakers with the most
    quotes first (``top_n`` of them when > 0), each with the latest ``per_speaker`` quotes
    when > 0. Anonymous sources are left to the profiles."""
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
    if per_speaker:
        frame = frame.groupby("speaker_entity_id", sort=False).tail(per_speaker)
    table = pd.DataFrame({
        "speaker": frame["speaker"],
        "date": frame["published"].fillna("undated"),
        "article": frame["article"],
        "kind": frame["kind"].map(KIND_LABELS),
        "quote": frame["quote"],
    })
    return _blank(table.set_index(["speaker", "date"]))


# -- who appears with whom ----------------------------------------------------------------------
LEVELS = ("sentence", "article")


def cooccurrence(
    mentions: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    level: str = "sentence",
    kinds_a: Sequence[str] = ACTOR_KINDS,
    kinds_b: Sequence[str] | None = None,
    start: str = "",
    end: str = "",
) -> pd.DataFrame:
    """Pairs of entities named in the same sentence (or article): one row per pair with the
    number of sentences (articles) they share and one example sentence.

    ``kinds_b`` None pairs entities of ``kinds_a`` among themselves (actor-by-actor); else
    each entity of ``kinds_a`` with each of ``kinds_b`` (actor-by-place). With ``start`` or
    ``end`` only articles dated in the period count; without, every article does.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    frame = dated_mentions(mentions, articles)
    if start or end:
        frame = frame.dropna(subset=["date"])
        if start:
            frame = frame[frame["date"] >= pd.Timestamp(start)]
        if end:
            frame = frame[frame["date"] <= pd.Timestamp(end)]
    unit = ["article_id", "sent_start"] if level == "sentence" else ["article_id"]
    cols = [*unit, "entity_id", "name", "kind", "sentence"]
    same_kinds = kinds_b is None
    left = frame[frame["kind"].isin(kinds_a)][cols].drop_duplicates([*unit, "entity_id"])
    right = left if same_kinds else frame[frame["kind"].isin(kinds_b)][cols].drop_duplicates(
        [*unit, "entity_id"])
    pairs = left.merge(right, on=unit, suffixes=("_a", "_b"))
    if same_kinds:
        pairs = pairs[pairs["entity_id_a"] < pairs["entity_id_b"]]
    else:
        pairs = pairs[pairs["entity_id_a"] != pairs["entity_id_b"]]
    if pairs.empty:
        return pd.DataFrame(columns=["a", "b", "kind_a", "kind_b", "together", "example"])
    grouped = pairs.groupby(["name_a", "name_b"])
    table = pd.DataFrame({
        "kind_a": grouped["kind_a"].first(),
        "kind_b": grouped["kind_b"].first(),
        "together": grouped.size(),
        "example": grouped["sentence_a"].first(),
    }).reset_index().rename(columns={"name_a": "a", "name_b": "b"})
    return table.sort_values(["together", "a", "b"], ascending=[False, True, True]).reset_index(
        drop=True)


def top_pairs(pairs: pd.DataFrame, *, n: int = 10) -> pd.DataFrame:
    """The ``n`` pairs seen together most often, with an example sentence."""
    top = pairs.head(n)[["a", "b", "together", "example"]].reset_index(drop=True)
    top.index = pd.RangeIndex(1, len(top) + 1, name="rank")
    return top


def cooccurrence_matrix(pairs: pd.DataFrame, *, n: int = 12, symmetric: bool = True
                        ) -> pd.DataFrame:
    """A matrix of the ``n`` entities with the most co-occurrences (zeros where none)."""
    if pairs.empty:
        return pd.DataFrame()
    if symmetric:
        both = pd.concat([pairs[["a", "b", "together"]],
                          pairs.rename(columns={"a": "b", "b": "a"})[["a", "b", "together"]]])
        totals = both.groupby("a")["together"].sum().nlargest(n)
        keep = both[both["a"].isin(totals.index) & both["b"].isin(totals.index)]
        matrix = keep.pivot_table(index="a", columns="b", values="together", aggfunc="sum",
                                  fill_value=0)
        matrix = matrix.reindex(index=totals.index, columns=totals.index, fill_value=0)
    else:
        rows = pairs.groupby("a")["together"].sum().nlargest(n).index
        cols = pairs.groupby("b")["together"].sum().nlargest(n).index
        keep = pairs[pairs["a"].isin(rows) & pairs["b"].isin(cols)]
        matrix = keep.pivot_table(index="a", columns="b", values="together", aggfunc="sum",
                                  fill_value=0).reindex(index=rows, columns=cols, fill_value=0)
    matrix.index.name, matrix.columns.name = None, None
    return matrix.astype(int)


# -- dates the text mentions ---------------------------------------------------------------------
def event_timeline(timex: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Date expressions of the text resolved against their article's publication date, in
    time order, each with its sentence. Relative ones ("last week", "on Saturday") resolve
    only where the article's date is known precisely enough; the rest are left out."""
    from newsdesk.dates import Published, resolve_expression

    info = articles.set_index("article_id")
    rows = []
    for t in timex.itertuples(index=False):
        if t.label != "DATE" or t.article_id not in info.index:
            continue
        a = info.loc[t.article_id]
        anchor = Published(a["published"], a["published_precision"], a["date_basis"]) if (
            isinstance(a["published"], str) and a["published"]) else None
        resolved = resolve_expression(t.text, anchor=anchor, sentence=t.sentence)
        if resolved is None:
            continue
        rows.append({
            "from": resolved.start, "to": resolved.end, "precision": resolved.precision,
            "expression": t.text,
            "resolved": "as written" if resolved.basis == "absolute" else
            f"against {anchor.date} ({anchor.basis})",
            "article": a["title"] or t.article_id, "sentence": t.sentence,
        })
    columns = ["from", "to", "precision", "expression", "resolved", "article", "sentence"]
    table = pd.DataFrame(rows, columns=columns)
    return _blank(table.sort_values(["from", "to"]).reset_index(drop=True))


# -- what is new ----------------------------------------------------------------------------------
def whats_new(
    entities: pd.DataFrame,
    quotes: pd.DataFrame,
    previous_entities: pd.DataFrame,
    previous_quotes: pd.DataFrame,
    *,
    n: int = 10,
) -> dict[str, pd.DataFrame]:
    """What changed since the previous report: new actors, new places, new quotes, and the
    ``n`` largest changes in mentions. Empty previous tables: everything is new."""
    old_ids = set(previous_entities["entity_id"]) if not previous_entities.empty else set()
    new = entities[~entities["entity_id"].isin(old_ids)]
    cols = ["name", "kind", "mentions", "articles"]
    quote_key = ["article_id", "start", "end"]
    old_quotes = set(map(tuple, previous_quotes[quote_key].values.tolist())) if (
        not previous_quotes.empty) else set()
    fresh = quotes[[tuple(k) not in old_quotes for k in quotes[quote_key].values.tolist()]]
    before = previous_entities.set_index("entity_id")["mentions"] if not (
        previous_entities.empty) else pd.Series(dtype=int)
    now = entities.set_index("entity_id")
    change = pd.DataFrame({
        "name": now["name"],
        "kind": now["kind"],
        "before": before.reindex(now.index).fillna(0).astype(int),
        "now": now["mentions"].astype(int),
    })
    change["change"] = change["now"] - change["before"]
    change = change[change["change"] != 0]
    change = change.reindex(change["change"].abs().sort_values(ascending=False).index).head(n)
    return {
        "new actors": new[new["kind"].isin(ACTOR_KINDS)][cols].reset_index(drop=True),
        "new places": new[new["kind"] == "place"][cols].reset_index(drop=True),
        "new quotes": fresh[["speaker", "quote", "article_id"]].reset_index(drop=True),
        "largest changes": change.set_index("name"),
    }


# -- the corpus at a glance -------------------------------------------------------------------
def profile_order(articles: pd.DataFrame) -> list[str]:
    """The counted articles (status ok) in the order a report gives them profile pages: by
    publication date, undated last, then by id."""
    counted = articles[articles["status"] == "ok"]
    order = counted.sort_values(["published", "article_id"], na_position="last")
    return order["article_id"].tolist()


def profile_links(articles: pd.DataFrame, *, profiles: int = 0) -> dict[str, str]:
    """article_id -> the link (relative to the run folder) of its profile page, for the first
    ``profiles`` articles of ``profile_order`` (those a report with ``--profiles`` renders)."""
    return {aid: f"articles/{aid}.html" for aid in profile_order(articles)[:max(0, profiles)]}


def corpus_summary(articles: pd.DataFrame, entities: pd.DataFrame,
                   quotes: pd.DataFrame) -> dict[str, object]:
    """The corpus in a few numbers: articles read, counted (status ok) and dated, the
    period they cover, sources, actors, places and quotes."""
    counted = articles[articles["status"] == "ok"]
    dates = counted["published"].dropna()
    dates = dates[dates != ""]
    kinds = entities["kind"].value_counts()
    return {
        "articles counted": len(counted),
        "articles read": len(articles),
        "not counted": len(articles) - len(counted),
        "dated": len(dates),
        "undated": len(counted) - len(dates),
        "from": min(dates) if len(dates) else None,
        "to": max(dates) if len(dates) else None,
        "sources": int(counted["source"].dropna().replace("", pd.NA).nunique()),
        "actors": int(sum(kinds.get(k, 0) for k in ACTOR_KINDS)),
        "places": int(kinds.get("place", 0)),
        "quotes": len(quotes),
    }


UNDATED = "undated"
_MONTH = re.compile(r"\d{4}-\d{2}")


def is_month(label: object) -> bool:
    """Whether a label of ``month_of`` is a month ('2025-04'), not a year or 'undated'."""
    return isinstance(label, str) and _MONTH.fullmatch(label) is not None


def month_of(published: object, precision: object = None) -> str:
    """The month an article counts in ('2025-04'), its year when only that is known
    ('2025'), or 'undated'."""
    if not isinstance(published, str) or not published:
        return UNDATED
    return published[:4] if precision == "year" or len(published) < 7 else published[:7]


def articles_by_month(articles: pd.DataFrame) -> pd.DataFrame:
    """Counted articles per month, every month from the first to the last (none: 0), then
    those dated by year only, then the undated: columns articles, sources."""
    counted = articles[articles["status"] == "ok"]
    months = pd.Series([month_of(p, pr) for p, pr in zip(
        counted["published"], counted["published_precision"], strict=True)],
        index=counted.index, dtype=object)
    grouped = counted.assign(month=months).groupby("month")
    table = pd.DataFrame({"articles": grouped.size(),
                          "sources": grouped["source"].nunique()})
    months = sorted(m for m in table.index if is_month(m))
    if months:
        months = pd.period_range(months[0], months[-1], freq="M").strftime("%Y-%m").tolist()
    years = sorted(m for m in table.index if not is_month(m) and m != UNDATED)
    table = table.reindex([*months, *years, *([UNDATED] if UNDATED in table.index else [])],
                          fill_value=0)
    table.index.name = "month"
    return table.astype(int)


def articles_by_source(articles: pd.DataFrame, *, n: int = 15) -> pd.DataFrame:
    """Counted articles per source, the ``n`` largest, then all others together; an article
    whose source is not known counts as '(unknown)'."""
    counted = articles[articles["status"] == "ok"]
    sources = counted["source"].fillna("").replace("", "(unknown)")
    counts = sources.value_counts().rename("articles")
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    top = counts.head(n)
    if len(counts) > n:
        top = pd.concat([top, pd.Series({f"{len(counts) - n} other sources":
                                         int(counts.iloc[n:].sum())}, name="articles")])
    table = top.to_frame()
    table.index.name = "source"
    return table


def articles_list(articles: pd.DataFrame) -> pd.DataFrame:
    """Counted articles in date order with the month they count in: article_id, month,
    published (with precision and basis), title, source, words."""
    counted = articles[articles["status"] == "ok"]
    frame = counted.assign(
        month=[month_of(p, pr) for p, pr in zip(counted["published"],
                                                counted["published_precision"], strict=True)],
        date=[date_label(p, pr, b) for p, pr, b in zip(
            counted["published"], counted["published_precision"], counted["date_basis"],
            strict=True)],
    )
    frame = frame.sort_values(["published", "article_id"], na_position="last")
    return _blank(frame[["article_id", "month", "date", "title", "source", "words"]]
                  .reset_index(drop=True))


def not_counted(articles: pd.DataFrame) -> pd.DataFrame:
    """Articles read but left out of every count (copies, not in English, empty, unreadable
    ...), each with its status and problems."""
    frame = articles[articles["status"] != "ok"].sort_values("article_id")
    return _blank(pd.DataFrame({
        "article_id": frame["article_id"], "status": frame["status"], "title": frame["title"],
        "problems": frame["problems"].map(lambda p: "; ".join(p) if p is not None else ""),
    }).reset_index(drop=True))


# -- quality: what the run could not settle --------------------------------------------------
#: Each check of ``quality_checks``: what its rows are, as the overview and the export say it.
QUALITY_CHECKS: dict[str, str] = {
    "undated": "Articles with no publication date (left out of the time charts)",
    "quote_no_speaker": "Quotes with no speaker",
    "quote_anonymous": "Quotes from a source the article does not name",
    "quote_unresolved": "Quotes whose speaker is a pronoun that could not be resolved",
    "ambiguous_name": "Names kept apart as ambiguous (could be more than one person)",
    "label_disagreement": "Names the model labels as different kinds across the corpus",
    "duplicate": "Exact copies of another article (not counted)",
    "near_duplicate": "Near-duplicates: syndicated copies of another article (not counted)",
    "not_read": "Files not in English, empty or unreadable (not counted)",
    "furniture": "Articles with lines removed as page furniture",
}
#: Statuses of articles that are read as articles (the rest are listed under not_read).
READ_STATUSES = ("ok", "duplicate", "near_duplicate")


#: What resolution appends to the name of a one-word person it could not tell apart.
AMBIGUOUS_SUFFIX = " (ambiguous)"


def ambiguous_names(entities: pd.DataFrame) -> pd.DataFrame:
    """Names kept apart as ambiguous: a person resolution marks so ("Bush (ambiguous)"), or a
    one-word person whose name is the last word of two or more multi-word persons ("Clinton"
    beside "Hillary Clinton" and "Bill Clinton"), so that which one is meant is not known.
    The one definition of "ambiguous" here: name, mentions, articles, and the persons it
    could be."""
    persons = entities[entities["kind"] == "person"]
    marked = persons["name"].str.endswith(AMBIGUOUS_SUFFIX)
    bare = persons["name"].str.removesuffix(AMBIGUOUS_SUFFIX)
    words = bare.str.split().str.len()
    multi = persons[~marked & (words > 1)]
    candidates = multi.groupby(multi["name"].str.split().str[-1].str.casefold())["name"].agg(
        lambda names: sorted(set(names)))
    could_be = bare.str.casefold().map(candidates)
    found = persons.assign(could_be=could_be.map(lambda c: c if isinstance(c, list) else []))
    keep = (marked & (words == 1)) | ((words == 1) & found["could_be"].map(len).ge(2))
    found = found[keep.astype(bool)].sort_values(["mentions", "name"], ascending=[False, True])
    return pd.DataFrame({
        "name": found["name"], "mentions": found["mentions"], "articles": found["articles"],
        "could be": found["could_be"].map("; ".join),
    }).reset_index(drop=True)


def label_disagreements(label_counts: pd.DataFrame) -> pd.DataFrame:
    """Entities whose mentions the model labelled as more than one kind across the corpus
    (``label_counts``: entity_id, name, kind, label, mentions per spaCy label): name, the
    kind resolution chose, each label with its count, mentions."""
    from newsdesk.nlp import LABEL_KINDS

    frame = label_counts.assign(
        label_kind=label_counts["label"].map(lambda label: LABEL_KINDS.get(label, "other")))
    kinds = frame.groupby("entity_id")["label_kind"].nunique()
    frame = frame[frame["entity_id"].isin(kinds[kinds > 1].index)]
    if frame.empty:
        return pd.DataFrame(columns=["name", "kind", "labels", "mentions"])
    frame = frame.sort_values(["entity_id", "mentions", "label"], ascending=[True, False, True])
    grouped = frame.groupby("entity_id", sort=False)
    table = pd.DataFrame({
        "name": grouped["name"].first(),
        "kind": grouped["kind"].first(),
        "labels": grouped.apply(lambda g: ", ".join(
            f"{label} {n}" for label, n in zip(g["label"], g["mentions"], strict=True)),
            include_groups=False),
        "mentions": grouped["mentions"].sum(),
    })
    return table.sort_values(["mentions", "name"], ascending=[False, True]).reset_index(drop=True)


def unsettled_quotes(quotes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Quotes whose speaker is not settled: none found, a source the text does not name
    (anonymous), a pronoun that could refer to more than one person (unresolved)."""
    kind = quotes.get("speaker_kind", pd.Series(None, index=quotes.index, dtype=object))
    speaker = quotes["speaker"].fillna("")
    unresolved = kind == "unresolved"
    nobody = (speaker == "") & ~unresolved
    anonymous = quotes["anonymous"].fillna(False).astype(bool) & ~unresolved & ~nobody
    cols = ["article_id", "speaker", "quote"]
    return {name: _blank(quotes[mask].sort_values(["article_id", "start"])[cols]
                         .reset_index(drop=True))
            for name, mask in (("quote_no_speaker", nobody), ("quote_anonymous", anonymous),
                               ("quote_unresolved", unresolved))}


def quality_checks(
    *,
    articles: pd.DataFrame,
    copies: pd.DataFrame,
    quotes: pd.DataFrame,
    entities: pd.DataFrame,
    label_counts: pd.DataFrame,
    furniture: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """What this run could not settle, one table per check of ``QUALITY_CHECKS``.

    ``copies``: article_id, title, status, duplicate_of, problems of the copies;
    ``label_counts``: mentions per entity and spaCy label; ``furniture``: article_id,
    reason, lines (removed lines per article and reason). ``Workbook.quality_inputs()``
    gives all of them."""
    counted = articles[articles["status"] == "ok"]
    undated_rows = counted[counted["published"].isna() | (counted["published"] == "")]
    checks = {"undated": _blank(undated_rows[["article_id", "title", "source"]]
                                .reset_index(drop=True))}
    checks.update(unsettled_quotes(quotes))
    checks["ambiguous_name"] = ambiguous_names(entities)
    checks["label_disagreement"] = label_disagreements(label_counts)
    for status in ("duplicate", "near_duplicate"):
        rows = copies[copies["status"] == status].sort_values("article_id")
        checks[status] = _blank(pd.DataFrame({
            "article_id": rows["article_id"], "title": rows["title"],
            "copy of": rows["duplicate_of"],
            "note": rows["problems"].map(lambda p: _last_note(p, status)),
        }).reset_index(drop=True))
    unread = articles[~articles["status"].isin(READ_STATUSES)].sort_values("article_id")
    checks["not_read"] = _blank(pd.DataFrame({
        "article_id": unread["article_id"], "path": unread["path"], "status": unread["status"],
        "problem": unread["problems"].map(lambda p: "; ".join(p) if p is not None else ""),
    }).reset_index(drop=True))
    checks["furniture"] = _furniture(furniture, articles)
    return checks


def _last_note(problems: object, status: str) -> str:
    notes = [p for p in (problems if problems is not None else []) if p.startswith(status)]
    return notes[-1] if notes else ""


def _furniture(furniture: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Per counted article with removed lines: how many, and why (most frequent first)."""
    counted = articles[articles["status"] == "ok"].set_index("article_id")
    rows = furniture[furniture["article_id"].isin(counted.index)]
    if rows.empty:
        return pd.DataFrame(columns=["article_id", "title", "lines", "reasons"])
    rows = rows.sort_values(["article_id", "lines", "reason"], ascending=[True, False, True])
    grouped = rows.groupby("article_id")
    table = pd.DataFrame({
        "lines": grouped["lines"].sum(),
        "reasons": grouped.apply(lambda g: "; ".join(
            f"{reason} ({n})" for reason, n in zip(g["reason"], g["lines"], strict=True)),
            include_groups=False),
    })
    table.insert(0, "title", counted["title"].reindex(table.index))
    table = table.sort_values(["lines"], ascending=False, kind="stable")
    return _blank(table.reset_index())


def quality_counts(checks: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per check: what it is, and how many rows it has."""
    return pd.DataFrame({"check": list(checks), "what": [QUALITY_CHECKS[c] for c in checks],
                         "count": [len(t) for t in checks.values()]}).set_index("check")


def quality_table(checks: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All checks in one long table (``newsdesk export quality``): check, article_id, subject
    (a title, speaker, name, original or path), detail, count (mentions or lines; empty where
    a row is one item)."""
    rows: list[tuple] = []
    for check, table in checks.items():
        for r in table.to_dict("records"):
            rows.append((check, *_quality_row(check, r)))
    frame = pd.DataFrame(rows, columns=["check", "article_id", "subject", "detail", "count"])
    frame["count"] = frame["count"].astype("Int64")
    return frame


def _quality_row(check: str, r: dict) -> tuple:
    if check == "undated":
        return r["article_id"], r["title"], "no publication date", None
    if check.startswith("quote_"):
        return r["article_id"], r["speaker"], r["quote"], None
    if check == "ambiguous_name":
        return None, r["name"], f"could be: {r['could be']}", r["mentions"]
    if check == "label_disagreement":
        return None, r["name"], f"{r['labels']} (counted as {r['kind']})", r["mentions"]
    if check in ("duplicate", "near_duplicate"):
        return r["article_id"], r["copy of"], r["note"], None
    if check == "not_read":
        return r["article_id"], r["path"], f"{r['status']}: {r['problem']}", None
    return r["article_id"], r["title"], r["reasons"], r["lines"]
