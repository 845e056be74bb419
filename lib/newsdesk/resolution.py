"""Corpus-level resolution, streamed through DuckDB so that memory stays flat as a corpus grows.

The rules are those of ``entities`` (names, kinds, person links, places) and ``quotes``
(speakers); this module runs them over a whole store in passes. Python holds one batch of
articles at a time (``BATCH_ARTICLES``): their raw mentions with sentences, of which it keeps
only what the rules read (a few characters before a mention, flags for what precedes and
follows it). Everything corpus-wide is a DuckDB table built with joins and aggregates, which
spills to disk beyond the connection's memory limit: the names the body confirms, the
surnames of full names, the index of full person names, the votes that decide each entity's
kind and name, the countries that give a place its context.

1. prepare each body mention (cleaned span, name, kind by its words and by its context: as
   is, and in case its word is a surname of the corpus), a batch at a time;
2. confirm heading mentions against the body names of the whole corpus, and kind them;
3. link one-word names to the corpus' full person names, key every mention, count votes;
4. decide each key's kind and name by the votes, apply the analyst's overrides;
5. keep roles, places, entities and quotes in working tables (``res_*``), which
   ``copy_resolved`` swaps in with the mentions (``resolve_store``: in one
   transaction, a batch of articles at a time, sentences joined back from the raw tables).

The result is the same whatever the batch size (tests/test_resolution.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache

import duckdb
import pandas as pd

from newsdesk import entities, places
from newsdesk.config import db_memory
from newsdesk.entities import (
    _KIND_PRIORITY,
    ENTITY_COLUMNS,
    MENTION_COLUMNS,
    NO_OVERRIDES,
    PLACE_COLUMNS,
    ROLE_COLUMNS,
    Overrides,
    PersonLinker,
    Resolution,
)
from newsdesk.quotes import QUOTE_COLUMNS, resolve_quotes
from newsdesk.store import PER_ARTICLE_COLUMNS, SCHEMA, Store, StoreError, insert_frame, paged

#: Articles whose mentions Python holds at once.
BATCH_ARTICLES = 500
#: Rows fetched at once from a corpus-wide table (names, keys, entities).
FETCH_ROWS = 20_000
#: Characters of a mention's sentence read before and after it: all the rules need.
BEFORE = 60
AFTER = 100
#: The store's resolved tables, which ``copy_resolved`` replaces.
RESOLVED = ("mentions", "entities", "roles", "places", "quotes")
#: What ``copy_resolved`` reads: the working tables kept once the passes are done.
_FOR_COPY = frozenset({"res_ok", "res_keyed", "res_entkey", "res_mentions", "res_roles",
                       "res_places", "res_entities", "res_quotes"})
#: The quote columns the passes keep (``copy_resolved`` joins the texts back).
_QUOTE_KEPT = [c for c in QUOTE_COLUMNS if c not in ("quote", "sentence")] + ["sent_start"]

#: A prepared mention: where it is, what its words say (``entities.mention_features``), what
#: its context says (``entities.context_flags``), the last characters before it (for lists);
#: heading mentions keep wider windows (``wide_*``) until they are confirmed.
_STAGE_COLUMNS = [
    "article_id", "start", "end", "text", "label", "sent_start", "in_title", "in_heading",
    "title", "title_start", "subj", "wide_before", "wide_after", "before", "of_title",
    "speaks", "after_the", "norm", "folded", "ntok", "tkey", "last_key", "kind0",
    "kind_surname", "role_only", "ignored",
]
_STAGE_TYPES = {
    "start": "INTEGER", "end": "INTEGER", "sent_start": "INTEGER", "in_title": "BOOLEAN",
    "in_heading": "BOOLEAN", "title_start": "INTEGER", "ntok": "INTEGER",
    "role_only": "BOOLEAN", "ignored": "BOOLEAN", "of_title": "BOOLEAN", "speaks": "BOOLEAN",
    "after_the": "BOOLEAN",
}
#: A mention with its kind: ``kind_surname`` is its kind if its word is a surname of the
#: corpus, and ``tkey`` that word's key, set only where the two kinds differ.
_KINDED_COLUMNS = [
    "article_id", "start", "end", "text", "label", "sent_start", "in_title", "title",
    "title_start", "subj", "after_the", "tkey", "kind", "kind_surname", "gender", "pkey",
]
_KEYED_COLUMNS = [
    "seq", "article_id", "start", "end", "text", "label", "sent_start", "in_title", "title",
    "title_start", "subj", "kind", "key",
]
_PRIORITY_SQL = "CASE kind " + " ".join(
    f"WHEN '{k}' THEN {p}" for k, p in _KIND_PRIORITY.items()) + " ELSE 9 END"


def resolve_store(store: Store, *, overrides: Overrides = NO_OVERRIDES) -> None:
    """Recompute the corpus-level tables (mentions, entities, roles, places, quotes) of
    ``store`` from the raw tables of its 'ok' articles, streamed through DuckDB in bounded
    batches, and swap them in in one transaction: all new, or (on failure) all as before."""
    con = store.con
    try:
        resolve_tables(con, overrides=overrides)
        with store.transaction():
            copy_resolved(con)
    except duckdb.OutOfMemoryException as exc:
        raise StoreError(
            f"{store.path}: resolving the corpus needs more memory than DuckDB may use "
            f"here ({db_memory()}); set NEWSDESK_DB_MEMORY higher (e.g. 1GB) and run "
            "ingest again (the articles are stored; only this step is redone)"
        ) from exc
    finally:
        drop_working_tables(con)


def resolve(
    raw: pd.DataFrame,
    *,
    raw_roles: pd.DataFrame | None = None,
    overrides: Overrides = NO_OVERRIDES,
) -> Resolution:
    """Resolve raw mentions (article_id, start, end, text, label, sentence, sent_start,
    in_title, in_heading) into the mentions, entities, roles and places tables: the
    passes of ``resolve_store`` over DataFrames (an in-memory database)."""
    return resolve_frames(raw, raw_roles=raw_roles, overrides=overrides)


def resolve_tables(con: duckdb.DuckDBPyConnection, *,
                   overrides: Overrides = NO_OVERRIDES) -> None:
    """Resolve the raw tables of the articles with status 'ok' (raw_mentions, raw_roles,
    raw_quotes, articles) of ``con`` into working tables (``res_*``, temporary), which
    ``copy_resolved`` swaps in."""
    _Passes(con, overrides).run()


def resolve_frames(
    raw: pd.DataFrame,
    *,
    raw_roles: pd.DataFrame | None = None,
    raw_quotes: pd.DataFrame | None = None,
    overrides: Overrides = NO_OVERRIDES,
) -> Resolution:
    """``resolve_tables`` over DataFrames (an in-memory database): raw mentions in, the
    mentions, entities, roles and places tables out."""
    con = duckdb.connect()
    try:
        con.execute(SCHEMA)
        frames = {"raw_mentions": _complete_raw(raw), "raw_roles": raw_roles,
                  "raw_quotes": raw_quotes}
        for table, frame in frames.items():
            if frame is not None and not frame.empty:
                cols = [c for c in PER_ARTICLE_COLUMNS[table] if c in frame.columns]
                insert_frame(con, table, frame[cols])
        ids = pd.DataFrame({"article_id": sorted(set(raw["article_id"])) if len(raw) else []})
        ids["status"] = "ok"
        insert_frame(con, "articles", ids)
        resolve_tables(con, overrides=overrides)
        copy_resolved(con)
        tables = {name: con.execute(f"SELECT {_select(name)} FROM {name}").df()
                  for name in RESOLVED}
    finally:
        con.close()
    return Resolution(tables["mentions"], tables["entities"], tables["roles"],
                      tables["places"])


def _complete_raw(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw mentions with every column the passes read (sent_start derived when missing)."""
    raw = raw.copy()
    for column, default in (("in_title", False), ("in_heading", False), ("subj", "")):
        if column not in raw.columns:
            raw[column] = default
    if "sent_start" not in raw.columns:
        raw["sent_start"] = None
    raw["sent_start"] = [entities._sent_start(m) for m in raw.itertuples(index=False)]
    return raw


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
            types: dict[str, str] | None = None) -> None:
    types = {**_STAGE_TYPES, "seq": "BIGINT", **(types or {})}
    cols = ", ".join(f'"{c}" {types.get(c, "VARCHAR")}' for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({cols})")


class _Passes:
    def __init__(self, con: duckdb.DuckDBPyConnection, overrides: Overrides) -> None:
        self.con = con
        self.overrides = overrides

    def run(self) -> None:
        con = self.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE res_ok AS SELECT article_id, "
            f"(row_number() OVER (ORDER BY article_id) - 1) // {BATCH_ARTICLES} AS batch "
            "FROM articles WHERE status = 'ok'"
        )
        self.bounds = con.execute("SELECT batch, min(article_id), max(article_id) FROM res_ok "
                                  "GROUP BY batch ORDER BY batch").fetchall()
        self.prepare()
        self.confirm_headings()
        self.link_persons()
        self.name_entities()
        self.write_mentions()
        self.write_roles()
        self.write_places()
        self.write_entities()
        self.write_quotes()
        drop_working_tables(con, keep=_FOR_COPY)  # free the rest before the swap

    # -- reading ---------------------------------------------------------------------------
    def _batches(self, table: str, columns: str = "r.*", *, where: str = "",
                 order: str = "r.article_id, r.start") -> Iterator[pd.DataFrame]:
        """The rows of ``table`` (as ``r``) of the 'ok' articles, one batch of articles at a
        time (their range of ids first: DuckDB skips the row groups outside it)."""
        extra = f" AND ({where})" if where else ""
        sql = (f"SELECT {columns} FROM {table} r JOIN res_ok o USING (article_id) "
               f"WHERE r.article_id BETWEEN ? AND ? AND o.batch = ?{extra} ORDER BY {order}")
        for batch, low, high in self.bounds:
            yield self.con.execute(sql, [low, high, batch]).df()

    def _stream(self, sql: str, order: str) -> Iterator[list[tuple]]:
        return paged(self.con, sql, order, page=FETCH_ROWS)

    def _lookup(self, sql: str, values: list[str]) -> list[tuple]:
        """Rows of ``sql`` for a list parameter (``?``) of values: one batch's names."""
        return self.con.execute(sql, [values]).fetchall() if values else []

    # -- 1. prepare, and kinds -------------------------------------------------------------
    def prepare(self) -> None:
        """Body mentions prepared and given their kinds, a batch at a time; what the later
        passes need of the corpus collected beside them (names the body confirms, surnames
        of full names); heading mentions and person names of several words set aside with
        their windows (``confirm_headings``)."""
        con = self.con
        _create(con, "res_kinded", _KINDED_COLUMNS)
        _create(con, "res_head", _STAGE_COLUMNS)
        _create(con, "res_confirmed", ["folded", "label", "article_id", "start"])
        _create(con, "res_surnames", ["last_key"])
        columns = ('r.article_id, r.start, r."end", r.text, r.label, r.sentence, '
                   "r.sent_start, r.in_title, r.in_heading, r.subj")
        for raw in self._batches("raw_mentions", columns):
            prepared = entities.prepare_mentions(raw)
            staged = pd.DataFrame([self._stage_row(m) for m in prepared.itertuples(index=False)],
                                  columns=_STAGE_COLUMNS)
            heading = staged["in_heading"].astype(bool)
            body = staged[~heading]
            firsts = body.drop_duplicates("folded")  # in text order: the first label seen
            insert_frame(con, "res_confirmed", firsts[["folded", "label", "article_id", "start"]])
            compound = (~heading & (staged["label"] == "PERSON") & (staged["ntok"] > 1)
                        ).to_numpy()
            self._kinds(staged[~heading.to_numpy() & ~compound])
            insert_frame(con, "res_head", staged[heading.to_numpy() | compound])

    def _stage_row(self, m) -> tuple:
        at = max(0, m.start - m.sent_start)
        end = max(at, m.end - m.sent_start)
        before = m.sentence[max(0, at - BEFORE) : at]
        after = m.sentence[end : end + AFTER]
        wide = (before, after) if m.in_heading or (m.label == "PERSON" and " " in m.text) else (
            "", "")
        return (m.article_id, m.start, m.end, m.text, m.label, m.sent_start, m.in_title,
                m.in_heading, m.title, m.title_start, m.subj, *wide,
                *self._context(before, after), *self._features(m.text, m.label))

    @staticmethod
    def _context(before: str, after: str) -> tuple:
        return (before[-entities.GAP_CHARS :], *entities.context_flags(before, after))

    def _features(self, text: str, label: str) -> tuple:
        features = entities.mention_features(text, label)
        norm, folded = features[0], features[1]
        return (*features, folded in self.overrides.ignore or len(norm) <= 1)

    def _kinds(self, m: pd.DataFrame) -> None:
        """Kinds by context, both for the mention's own kind and for the one it has if its
        word turns out to be a surname (known at the end, so ``kind_surname`` is kept where
        it differs); role words, ignored names and drops left out."""
        if m.empty:
            return
        kept = m[~m["ignored"].astype(bool)]
        surnames = kept.loc[(kept["label"] == "PERSON") & (kept["ntok"] > 1), "last_key"]
        insert_frame(self.con, "res_surnames", pd.DataFrame({"last_key": surnames.unique()}))
        m = kept[~kept["role_only"].astype(bool)].copy()
        if m.empty:
            return
        m["kind"] = m["kind0"]
        neighbours = entities.coordinated(m)
        m["kind"] = [entities.context_kind(row, neighbours) for row in m.itertuples(index=False)]
        either = m["kind_surname"] != m["kind0"]  # the rare one-word PERSON that is a place
        other = m[either].assign(kind=m.loc[either, "kind_surname"])
        m.loc[either, "kind_surname"] = [entities.context_kind(row, neighbours)
                                         for row in other.itertuples(index=False)]
        m.loc[~either, "kind_surname"] = m.loc[~either, "kind"]
        m.loc[m["kind"] == m["kind_surname"], "tkey"] = None
        m["gender"] = [entities.honorific_gender(b, t)
                       for b, t in zip(m["before"], m["title"], strict=True)]
        m["pkey"] = [entities.full_key(n) for n in m["norm"]]
        insert_frame(self.con, "res_kinded", m.loc[m["kind"] != "drop", _KINDED_COLUMNS])

    # -- 2. headings -----------------------------------------------------------------------
    def confirm_headings(self) -> None:
        """Heading mentions: kept when the body of the corpus confirms them (first label
        seen wins), else replaced by the confirmed names inside them; person names of
        several words split where they run into another name ("Obama White House"); then
        given kinds."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE res_confirmed AS SELECT folded, "
                    "first(label ORDER BY article_id, start) AS label FROM res_confirmed "
                    "GROUP BY folded")
        for heads in self._batches("res_head"):
            wanted = sorted({c for t in heads["text"] for c in entities.heading_candidates(t)})
            confirmed = dict(self._lookup(
                "SELECT folded, label FROM res_confirmed WHERE folded IN (SELECT unnest(?))",
                wanted))
            kept = [self._part(m, part) for m in heads.itertuples(index=False)
                    for part in (entities.confirm_heading(m, confirmed) if m.in_heading
                                 else entities.split_person(m, confirmed))]
            self._kinds(pd.DataFrame(kept, columns=_STAGE_COLUMNS))
        con.execute("CREATE OR REPLACE TEMP TABLE res_surnames AS SELECT DISTINCT last_key "
                    "FROM res_surnames")

    def _part(self, m, part: dict) -> tuple:
        """A confirmed heading mention or a part of one, its windows shifted to fit."""
        if part["start"] == m.start and part["end"] == m.end and part["label"] == m.label:
            return tuple(part[c] for c in _STAGE_COLUMNS)
        before = (m.wide_before + m.text[: part["start"] - m.start])[-BEFORE:]
        after = (m.text[part["end"] - m.start :] + m.wide_after)[:AFTER]
        fixed = [part[c] for c in _STAGE_COLUMNS[:11]]
        return (*fixed, before, after, *self._context(before, after),
                *self._features(part["text"], part["label"]))

    # -- 3. persons and keys ---------------------------------------------------------------
    _KIND_SQL = ("CASE WHEN r.tkey IN (SELECT last_key FROM res_surnames) "
                 "THEN r.kind_surname ELSE r.kind END")

    def link_persons(self) -> None:
        """Each mention's key, a batch at a time, from what the corpus says of names (see
        ``_name_index`` and ``_link_votes``); the votes for each key's kind and name counted
        beside."""
        con = self.con
        self._name_index()
        self._link_votes()
        _create(con, "res_keyed", _KEYED_COLUMNS)
        _create(con, "res_votes_kind", ["key", "kind", "n"], {"n": "BIGINT"})
        _create(con, "res_votes_name", ["key", "norm", "canon", "ntok", "n", "first"],
                {"n": "BIGINT", "first": "BIGINT"})
        seq = 0
        for m in self._batches("res_kinded", self._LINK_COLUMNS):
            if m.empty:
                continue
            self._features_of(m)
            linker = self._linker(m)
            m["key"] = [entities.entity_key(row, linker, self.overrides)
                        for row in m.itertuples(index=False)]
            m.loc[[entities.is_person_key(k) for k in m["key"]], "kind"] = "person"
            m["seq"] = range(seq, seq + len(m))
            seq += len(m)
            insert_frame(con, "res_keyed", m[_KEYED_COLUMNS])
            self._vote(m)
        con.execute("DROP TABLE res_kinded")

    _LINK_COLUMNS = f"r.* EXCLUDE (tkey, kind, kind_surname), {_KIND_SQL} AS kind"

    @staticmethod
    def _features_of(m: pd.DataFrame) -> None:
        features = [entities.mention_features(t, lab)
                    for t, lab in zip(m["text"], m["label"], strict=True)]
        for i, column in enumerate(("norm", "folded", "ntok", "tkey")):
            m[column] = [f[i] for f in features]

    def _name_index(self) -> None:
        """The corpus' full person names (key, surname, first name, canonical key: a name
        with middle names is merged into its first-and-last form where the corpus has it),
        and how often each name is a person (``res_pstats``)."""
        con = self.con
        _create(con, "res_person0", ["key", "surname", "first", "short"])
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE res_pstats AS
            SELECT pkey, count(*) FILTER (WHERE {self._KIND_SQL} = 'person') AS persons,
                count(*) AS total FROM res_kinded r GROUP BY pkey""")
        names = (f"SELECT DISTINCT r.text, r.label FROM res_kinded r JOIN res_pstats p "
                 f"USING (pkey) WHERE {self._KIND_SQL} = 'person' OR (p.persons >= "
                 f"{entities.PERSON_MAJORITY} * p.total AND {self._KIND_SQL} != 'group')")
        for rows in self._stream(names, "text, label"):
            full = {entities.mention_features(t, lab)[0] for t, lab in rows}
            index = [entities.person_index_row(n) for n in sorted(full) if " " in n]
            insert_frame(con, "res_person0", pd.DataFrame(
                [r for r in index if r], columns=["key", "surname", "first", "short"]))
        con.execute("""
            CREATE OR REPLACE TEMP TABLE res_person AS
            SELECT DISTINCT p.key, p.surname, p.first, coalesce(q.key, p.key) AS canon
            FROM res_person0 p LEFT JOIN (SELECT DISTINCT key FROM res_person0) q
            ON p.short != '' AND q.key = p.short""")
        con.execute("DROP TABLE res_person0")

    def _link_votes(self) -> None:
        """Where an article leaves no doubt (one full name with that surname or first name),
        what a one-word name stands for (``res_link_votes``, a vote per article); in how
        many articles each person is named in full (``res_fame``); the gender honorifics
        give each person (``res_gender``); how often each one-word name is a person in its
        article (``res_pstats``, replacing the model's count for it)."""
        con = self.con
        _create(con, "res_link_votes", ["how", "token", "key", "n"], {"n": "BIGINT"})
        _create(con, "res_gender_votes", ["key", "gender", "n"], {"n": "BIGINT"})
        _create(con, "res_word_votes", ["pkey", "person", "n"], {"person": "BOOLEAN",
                                                                 "n": "BIGINT"})
        _create(con, "res_named", ["key", "n"], {"n": "BIGINT"})
        for m in self._batches("res_kinded", self._LINK_COLUMNS):
            if m.empty:
                continue
            self._features_of(m)
            linker = self._linker(m, votes=False)
            links, genders, words, named = [], [], [], set()
            for row in m.itertuples(index=False):
                if row.ntok == 1:
                    words.append((row.pkey, linker.person_here(row)))
                if row.ntok > 1:
                    key = linker.full_name(row)
                    if key:
                        named.add((row.article_id, key))
                        if row.gender:
                            genders.append((key, row.gender))
                    continue
                if row.kind != "person":
                    continue
                people = {k for _, k in linker.by_article[row.article_id]}
                for how, index in (("surname", linker.surname), ("first", linker.first)):
                    found = people & index[row.tkey]
                    if len(found) == 1:
                        key = next(iter(found))
                        links.append((row.article_id, how, row.tkey, key))
                        if how == "surname" and row.gender:
                            genders.append((key, row.gender))
                        break
            if links:  # one vote per article
                insert_frame(con, "res_link_votes", pd.DataFrame(
                    sorted(set(links)), columns=["article_id", "how", "token", "key"])[
                    ["how", "token", "key"]].value_counts().rename("n").reset_index())
            if genders:
                insert_frame(con, "res_gender_votes", pd.DataFrame(
                    genders, columns=["key", "gender"]).value_counts().rename(
                    "n").reset_index())
            if words:
                insert_frame(con, "res_word_votes", pd.DataFrame(
                    words, columns=["pkey", "person"]).value_counts().rename(
                    "n").reset_index())
            if named:
                insert_frame(con, "res_named", pd.DataFrame(
                    sorted(named), columns=["article_id", "key"])["key"].value_counts().rename(
                    "n").reset_index())
        con.execute("CREATE OR REPLACE TEMP TABLE res_fame AS SELECT key, sum(n)::BIGINT AS n "
                    "FROM res_named GROUP BY key")
        con.execute("DROP TABLE res_named")
        # One-word names: how often their articles resolve them as persons.
        con.execute("""
            CREATE OR REPLACE TEMP TABLE res_pstats AS
            SELECT * FROM res_pstats WHERE pkey NOT IN (SELECT pkey FROM res_word_votes)
            UNION ALL SELECT pkey, coalesce(sum(n) FILTER (WHERE person), 0) AS persons,
                sum(n) AS total
            FROM res_word_votes GROUP BY pkey""")
        con.execute("DROP TABLE res_word_votes")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE res_gender AS
            SELECT key, arg_max(gender, n) AS gender FROM (SELECT key, gender, sum(n) AS n
                FROM res_gender_votes GROUP BY ALL) GROUP BY key
            HAVING max(n) >= {entities.PERSON_MAJORITY} * sum(n)""")
        con.execute("DROP TABLE res_gender_votes")

    def _vote(self, m: pd.DataFrame) -> None:
        kinds = m.groupby(["key", "kind"]).size().rename("n").reset_index()
        insert_frame(self.con, "res_votes_kind", kinds)
        names = m.groupby(["key", "norm"]).agg(ntok=("ntok", "first"), n=("seq", "size"),
                                               first=("seq", "min")).reset_index()
        names["canon"] = [_canonical(n) for n in names["norm"]]
        insert_frame(self.con, "res_votes_name", names)

    def _linker(self, m: pd.DataFrame, *, votes: bool = True) -> PersonLinker:
        """A linker for one batch: what the corpus says of the batch's names."""
        tokens = sorted(set(m.loc[m["ntok"] == 1, "tkey"]))
        keys = sorted(set(m["pkey"]) | {"person:" + t for t in tokens})
        surname: dict[str, set[str]] = defaultdict(set)
        first: dict[str, set[str]] = defaultdict(set)
        for last, head, canon in self._lookup(
                "SELECT DISTINCT surname, first, canon FROM res_person "
                "WHERE surname IN (SELECT unnest($1)) OR first IN (SELECT unnest($1))",
                tokens):
            surname[last].add(canon)
            first[head].add(canon)
        canon = dict(self._lookup(
            "SELECT key, canon FROM res_person WHERE key IN (SELECT unnest(?))", keys))
        pstats = {k: (p, t) for k, p, t in self._lookup(
            "SELECT pkey, persons, total FROM res_pstats WHERE pkey IN (SELECT unnest(?))",
            keys)}
        candidates = sorted({k for ks in (*surname.values(), *first.values()) for k in ks}
                            | set(canon.values()))
        genders = dict(self._lookup(
            "SELECT key, gender FROM res_gender WHERE key IN (SELECT unnest(?))",
            candidates)) if votes else {}
        fame = dict(self._lookup(
            "SELECT key, n FROM res_fame WHERE key IN (SELECT unnest(?))",
            candidates)) if votes else {}
        counted: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        if votes:
            for how, token, key, n in self._lookup(
                    "SELECT how, token, key, sum(n)::BIGINT FROM res_link_votes "
                    "WHERE token IN (SELECT unnest(?)) GROUP BY ALL", tokens):
                counted[(how, token)][key] = n
        return PersonLinker(m, surname=surname, first=first, canon=canon, pstats=pstats,
                            genders=genders, votes=counted, fame=fame,
                            overrides=self.overrides)

    # -- 4. entities -----------------------------------------------------------------------
    def name_entities(self) -> None:
        """Each key's kind (the majority; ties to person, organization, place, ...) and
        name (persons: the most frequent form of two words or more, then the longest;
        places: the most frequent canonical name, ties to the first seen; others: the most
        frequent; forms with digits last), overridden."""
        con = self.con
        # A name no person was linked to ("name:" keys) is a person only if nothing else
        # is voted for it: its person votes are the model's, which the linker overruled.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE res_keykind AS SELECT key, "
            "arg_min(kind, -n * 10 + prio) AS kind FROM (SELECT key, kind, "
            "sum(n) * CASE WHEN key LIKE 'name:%' AND kind = 'person' THEN 0 ELSE 1 END AS n, "
            f"{_PRIORITY_SQL} AS prio FROM res_votes_kind GROUP BY key, kind) GROUP BY key"
        )
        _create(con, "res_entkey", ["key", "kind", "name", "entity_id"])
        votes = """
            WITH c AS (
                SELECT r.key, k.kind, CASE WHEN k.kind = 'place' THEN r.canon ELSE r.norm
                    END AS nm, max(r.ntok) AS ntok, sum(r.n) AS n, min(r.first) AS first
                FROM res_votes_name r JOIN res_keykind k USING (key) GROUP BY ALL),
            t AS (SELECT *, max(ntok) OVER (PARTITION BY key) AS longest FROM c)
            SELECT key, kind, nm FROM t QUALIFY row_number() OVER (PARTITION BY key ORDER BY
                (kind = 'person' AND ntok < least(longest, 2)),
                regexp_matches(nm, '[0-9]'), n DESC, ntok DESC,
                CASE WHEN kind = 'place' THEN first ELSE 0 END, nm) = 1"""
        for rows in self._stream(votes, "key"):
            done = [(key, *entities.finish_entity(key, kind, name, self.overrides))
                    for key, kind, name in rows]
            insert_frame(con, "res_entkey", pd.DataFrame(done, columns=["key", "kind", "name",
                                                                   "entity_id"]))

    # -- 6. outputs ------------------------------------------------------------------------
    def write_mentions(self) -> None:
        """The resolved mentions: a view of the keyed ones with their entity's id, name and
        kind (``copy_resolved`` adds their sentences)."""
        self.con.execute("""
            CREATE OR REPLACE TEMP VIEW res_mentions AS
            SELECT k.article_id, e.entity_id, e.name, e.kind, k.text, k.start, k."end",
                k.in_title, k.label, k.sent_start, k.subj, k.title, k.title_start, k.seq
            FROM res_keyed k JOIN res_entkey e USING (key)""")

    def write_roles(self) -> None:
        """Titles cut from person spans, and the parser's roles on the person mention with
        the same span (else the first one starting inside it); one per entity, article and
        place in the text. A batch of articles at a time: roles never cross articles."""
        con = self.con
        con.execute("""
            CREATE OR REPLACE TEMP TABLE res_raw_roles AS
            SELECT r.*, row_number() OVER (ORDER BY r.article_id, r.start, r.role_start)
                AS rid
            FROM raw_roles r JOIN res_ok USING (article_id)""")
        _create(con, "res_roles", [*ROLE_COLUMNS, "prio", "pos"], {
            "start": "INTEGER", "end": "INTEGER", "prio": "INTEGER", "pos": "BIGINT"})
        for _, low, high in self.bounds:
            con.execute("""
                INSERT INTO res_roles BY NAME
                WITH persons AS (SELECT * FROM res_mentions WHERE kind = 'person'
                                 AND article_id BETWEEN $1 AND $2),
                raw AS (SELECT * FROM res_raw_roles WHERE article_id BETWEEN $1 AND $2),
                found AS (
                    SELECT p.entity_id, p.name, r.article_id, r.role, r.source,
                        r.role_start AS start, r.role_end AS "end", 1 AS prio, r.rid AS pos
                    FROM raw r JOIN persons p ON p.article_id = r.article_id
                        AND p.start >= r.start AND p.start < r."end"
                    QUALIFY row_number() OVER (PARTITION BY r.rid ORDER BY
                        (p.start = r.start AND p."end" = r."end") DESC, p.start,
                        p.seq DESC) = 1),
                titles AS (
                    SELECT entity_id, name, article_id, title AS role, 'title' AS source,
                        title_start AS start, title_start + length(title) AS "end",
                        0 AS prio, seq AS pos
                    FROM persons WHERE title != '')
                SELECT * FROM (SELECT * FROM titles UNION ALL SELECT * FROM found)
                QUALIFY row_number() OVER (PARTITION BY entity_id, article_id, start
                                           ORDER BY prio, pos) = 1
                ORDER BY entity_id, article_id, start""", [low, high])
        con.execute("DROP TABLE res_raw_roles")

    def write_places(self) -> None:
        """Geocode every place entity with the countries its articles name as context."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE res_entity_names AS SELECT entity_id, "
                    "first(name ORDER BY article_id, start) AS name, "
                    "first(kind ORDER BY article_id, start) AS kind FROM res_mentions "
                    "GROUP BY entity_id")
        _create(con, "res_country", ["name", "code"])
        for rows in self._stream("SELECT DISTINCT name FROM res_mentions "
                                 "WHERE kind = 'place'", "name"):
            insert_frame(con, "res_country", pd.DataFrame(
                [(n, places.country_code(n)) for (n,) in rows], columns=["name", "code"]))
        _create(con, "res_places", PLACE_COLUMNS, {"lat": "DOUBLE", "lon": "DOUBLE",
                                                   "population": "BIGINT",
                                                   "chosen": "BOOLEAN"})
        _create(con, "res_geo", ["entity_id", "country", "lat", "lon"],
                {"lat": "DOUBLE", "lon": "DOUBLE"})
        contexts = """
            WITH pm AS (SELECT DISTINCT entity_id, article_id, name FROM res_mentions
                        WHERE kind = 'place'),
            codes AS (SELECT DISTINCT pm.article_id, c.code FROM pm JOIN res_country c
                      USING (name) WHERE c.code IS NOT NULL),
            counts AS (SELECT pm.entity_id, codes.code, count(DISTINCT pm.article_id) AS n
                       FROM pm JOIN codes USING (article_id) GROUP BY ALL)
            SELECT e.entity_id, e.name,
                coalesce(list(c.code ORDER BY c.n DESC, c.code)
                         FILTER (WHERE c.code IS NOT NULL), []) AS context
            FROM res_entity_names e JOIN (SELECT DISTINCT entity_id FROM pm) USING (entity_id)
            LEFT JOIN counts c USING (entity_id)
            GROUP BY e.entity_id, e.name"""
        for rows in self._stream(contexts, "entity_id"):
            candidates, geo = [], []
            for entity_id, name, context in rows:
                found, (country, lat, lon) = entities.geocode_entity(
                    entity_id, name, list(context), self.overrides)
                candidates += found
                geo.append((entity_id, country, lat, lon))
            insert_frame(con, "res_places", pd.DataFrame(candidates, columns=PLACE_COLUMNS))
            insert_frame(con, "res_geo", pd.DataFrame(geo, columns=["entity_id", "country", "lat",
                                                               "lon"]))

    def write_entities(self) -> None:
        """One row per entity: name, kind, aliases (surface forms), role, place, counts."""
        con = self.con
        _create(con, "res_bestrole", ["entity_id", "role"])
        for rows in self._stream("SELECT entity_id, list(role ORDER BY prio, pos) AS roles "
                                 "FROM res_roles GROUP BY entity_id", "entity_id"):
            insert_frame(con, "res_bestrole", pd.DataFrame(
                [(e, entities.best_role(roles)) for e, roles in rows],
                columns=["entity_id", "role"]))
        columns = ", ".join(f'"{c}"' for c in ENTITY_COLUMNS)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE res_entities AS
            WITH counts AS (SELECT entity_id, count(*)::INTEGER AS mentions FROM res_mentions
                            GROUP BY entity_id),
            articles AS (SELECT entity_id, count(*)::INTEGER AS articles FROM
                         (SELECT DISTINCT entity_id, article_id FROM res_mentions)
                         GROUP BY entity_id),
            aliases AS (SELECT entity_id, list(text ORDER BY text) AS aliases FROM
                        (SELECT DISTINCT entity_id, text FROM res_mentions)
                        GROUP BY entity_id)
            SELECT {columns} FROM res_entity_names JOIN counts USING (entity_id)
            JOIN articles USING (entity_id) JOIN aliases USING (entity_id)
            LEFT JOIN res_bestrole USING (entity_id) LEFT JOIN res_geo USING (entity_id)
            ORDER BY mentions DESC, name""")

    def write_quotes(self) -> None:
        """Speakers resolved against the resolved mentions of their own article (the quote
        and its sentence are joined back from the raw quotes by ``copy_resolved``)."""
        _create(self.con, "res_quotes", _QUOTE_KEPT, {
            "start": "INTEGER", "end": "INTEGER", "anonymous": "BOOLEAN",
            "sent_start": "INTEGER"})
        for raw, mentions in zip(self._batches("raw_quotes"), self._batches("res_mentions"),
                                 strict=True):
            if not raw.empty:
                insert_frame(self.con, "res_quotes", resolve_quotes(raw, mentions)[_QUOTE_KEPT])


@lru_cache(maxsize=1 << 16)
def _canonical(name: str) -> str:
    return places.canonical_place_name(name) or name


def _select(name: str) -> str:
    """The column list of a resolved table as the store holds it (helper columns left out)."""
    columns = {"mentions": MENTION_COLUMNS, "entities": ENTITY_COLUMNS, "roles": ROLE_COLUMNS,
               "places": PLACE_COLUMNS, "quotes": QUOTE_COLUMNS}[name]
    return ", ".join(f'"{c}"' for c in columns)


def copy_resolved(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the store's resolved tables (``RESOLVED``) by what ``resolve_tables`` left in
    its working tables (run it inside a transaction). Mentions get their sentences, quotes
    their text and sentence, from the raw tables a batch of articles at a time."""
    for name in RESOLVED:
        con.execute(f"DELETE FROM {name}")
    for name in ("roles", "places", "entities"):
        con.execute(f"INSERT INTO {name} BY NAME SELECT {_select(name)} FROM res_{name}")
    mentions = ", ".join(f'r."{c}"' if c != "sentence" else "s.sentence"
                         for c in MENTION_COLUMNS)
    quotes = ", ".join(f'r."{c}"' if c not in ("quote", "sentence") else f"s.{c}"
                       for c in QUOTE_COLUMNS)
    for low, high in con.execute("SELECT min(article_id), max(article_id) FROM res_ok "
                                 "GROUP BY batch ORDER BY batch").fetchall():
        con.execute(f"""
            INSERT INTO mentions BY NAME SELECT {mentions} FROM res_mentions r
            LEFT JOIN (SELECT article_id, sent_start, any_value(sentence) AS sentence
                       FROM raw_mentions WHERE article_id BETWEEN $1 AND $2
                       GROUP BY ALL) s USING (article_id, sent_start)
            WHERE r.article_id BETWEEN $1 AND $2 ORDER BY r.article_id, r.start""",
            [low, high])
        con.execute(f"""
            INSERT INTO quotes BY NAME SELECT {quotes} FROM res_quotes r
            LEFT JOIN (SELECT article_id, start, "end", sent_start, any_value(quote) AS quote,
                           any_value(sentence) AS sentence
                       FROM raw_quotes WHERE article_id BETWEEN $1 AND $2
                       GROUP BY ALL) s USING (article_id, start, "end", sent_start)
            WHERE r.article_id BETWEEN $1 AND $2 ORDER BY r.article_id, r.start""",
            [low, high])


def drop_working_tables(con: duckdb.DuckDBPyConnection, *,
                        keep: frozenset[str] = frozenset()) -> None:
    """Drop the working tables and views of ``resolve_tables`` (all but ``keep``)."""
    for name, kind in con.execute(
            "SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary "
            "AND starts_with(table_name, 'res_') UNION ALL SELECT view_name, 'VIEW' "
            "FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'res_')"
            ).fetchall():
        if name not in keep:
            con.execute(f"DROP {kind} IF EXISTS {name}")
