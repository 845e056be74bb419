"""Corpus-level resolution, streamed through DuckDB so that memory stays flat as a corpus grows.

The rules are those of ``entities`` (names, kinds, person links, places) and ``quotes``
(speakers); this module runs them over a whole store in passes. Python holds one batch of
articles at a time, and only the short context windows the rules read (``BEFORE`` and
``AFTER`` characters around a mention), never whole sentences. Everything corpus-wide is a
DuckDB table built with joins and aggregates, which spills to disk beyond the connection's
memory limit: the names the body confirms, the surnames of full names, the index of full
person names, the votes that decide each entity's kind and name, the countries that give a
place its context.

1. prepare each mention: cleaned span, name, kind by its words, context windows;
2. confirm heading mentions against the body names of the whole corpus;
3. correct kinds: known surnames, coordination ("X and Y"), what follows and precedes;
4. link one-word names to the corpus' full person names, key every mention;
5. vote each key's kind and name, apply the analyst's overrides (-> entity ids);
6. write mentions, roles, places, entities and quotes (temporary ``res_*`` tables, which
   ``Store.replace_resolved`` swaps in in one transaction).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache

import duckdb
import pandas as pd

from newsdesk import entities, places
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

#: Articles whose mentions Python holds at once.
BATCH_ARTICLES = 500
#: Rows fetched at once from a corpus-wide table (names, keys, entities).
FETCH_ROWS = 20_000
#: Characters of a mention's sentence read before and after it: all the rules need.
BEFORE = 60
AFTER = 100
#: The resolved tables, each as the temporary table this module fills.
OUTPUTS = {"mentions": "res_mentions", "entities": "res_entities", "roles": "res_roles",
           "places": "res_places", "quotes": "res_quotes"}

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
_KINDED_COLUMNS = [
    "article_id", "start", "end", "text", "label", "sent_start", "in_title", "title",
    "title_start", "subj", "after_the", "norm", "folded", "ntok", "tkey", "kind",
]
_KEYED_COLUMNS = [
    "seq", "article_id", "start", "end", "text", "label", "sent_start", "in_title", "title",
    "title_start", "subj", "norm", "ntok", "canon", "kind", "key",
]
_PRIORITY_SQL = "CASE kind " + " ".join(
    f"WHEN '{k}' THEN {p}" for k, p in _KIND_PRIORITY.items()) + " ELSE 9 END"


def resolve_tables(con: duckdb.DuckDBPyConnection, *,
                   overrides: Overrides = NO_OVERRIDES) -> None:
    """Resolve the raw tables of the articles with status 'ok' into the ``res_*`` temporary
    tables of ``con`` (see ``OUTPUTS``): a connection holding raw_mentions, raw_roles,
    raw_quotes and articles (article_id, status)."""
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
    from newsdesk.store import PER_ARTICLE_COLUMNS, SCHEMA

    con = duckdb.connect()
    try:
        con.execute(SCHEMA)
        frames = {"raw_mentions": _complete_raw(raw), "raw_roles": raw_roles,
                  "raw_quotes": raw_quotes}
        for table, frame in frames.items():
            if frame is not None and not frame.empty:
                cols = [c for c in PER_ARTICLE_COLUMNS[table] if c in frame.columns]
                _insert(con, table, frame[cols])
        ids = pd.DataFrame({"article_id": sorted(set(raw["article_id"])) if len(raw) else []})
        ids["status"] = "ok"
        _insert(con, "articles", ids)
        resolve_tables(con, overrides=overrides)
        copy_resolved(con)
        tables = {name: con.execute(f"SELECT {_select(name)} FROM {name}").df()
                  for name in OUTPUTS}
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


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("_res_incoming", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _res_incoming")
    finally:
        con.unregister("_res_incoming")


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
        self.correct_kinds()
        self.link_persons()
        self.name_entities()
        self.write_mentions()
        self.write_roles()
        self.write_places()
        self.write_entities()
        self.write_quotes()
        for table in ("res_prep", "res_head", "res_confirmed", "res_surnames", "res_kinded",
                      "res_person", "res_ptokens", "res_keyed", "res_keykind", "res_entkey",
                      "res_entity_names", "res_country", "res_geo", "res_bestrole"):
            con.execute(f"DROP TABLE IF EXISTS {table}")

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

    def _stream(self, sql: str) -> Iterator[list[tuple]]:
        """The rows of an ordered query, ``FETCH_ROWS`` at a time (kept aside in a table
        first: the loop writes to the same connection, whose temporary tables only it
        sees)."""
        con = self.con
        con.execute(f"CREATE OR REPLACE TEMP TABLE res_page AS {sql}")
        total = con.execute("SELECT count(*) FROM res_page").fetchone()[0]
        for low in range(0, total, FETCH_ROWS):
            yield con.execute("SELECT * FROM res_page WHERE rowid >= ? AND rowid < ? "
                              "ORDER BY rowid", [low, low + FETCH_ROWS]).fetchall()
        con.execute("DROP TABLE res_page")

    def _lookup(self, sql: str, values: list[str]) -> list[tuple]:
        """Rows of ``sql`` for a list parameter (``?``) of values: one batch's names."""
        return self.con.execute(sql, [values]).fetchall() if values else []

    # -- 1. prepare ------------------------------------------------------------------------
    def prepare(self) -> None:
        _create(self.con, "res_prep", _STAGE_COLUMNS)
        _create(self.con, "res_head", _STAGE_COLUMNS)
        columns = ('r.article_id, r.start, r."end", r.text, r.label, r.sentence, '
                   "r.sent_start, r.in_title, r.in_heading, r.subj")
        for raw in self._batches("raw_mentions", columns):
            prepared = entities.prepare_mentions(raw)
            rows = [self._stage_row(m) for m in prepared.itertuples(index=False)]
            staged = pd.DataFrame(rows, columns=_STAGE_COLUMNS)
            _insert(self.con, "res_prep", staged[~staged["in_heading"]])
            _insert(self.con, "res_head", staged[staged["in_heading"]])

    def _stage_row(self, m) -> tuple:
        at = max(0, m.start - m.sent_start)
        end = max(at, m.end - m.sent_start)
        before = m.sentence[max(0, at - BEFORE) : at]
        after = m.sentence[end : end + AFTER]
        wide = (before, after) if m.in_heading else ("", "")
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

    # -- 2. headings -----------------------------------------------------------------------
    def confirm_headings(self) -> None:
        """Heading mentions: kept when the body of the corpus confirms them (first label
        seen wins), else replaced by the confirmed names inside them."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE res_confirmed AS SELECT folded, "
                    "first(label ORDER BY article_id, start) AS label FROM res_prep "
                    "GROUP BY folded")
        columns = ", ".join(f'"{c}"' for c in _STAGE_COLUMNS)
        for rows in self._stream(f"SELECT {columns} FROM res_head ORDER BY article_id, start"):
            heads = pd.DataFrame(rows, columns=_STAGE_COLUMNS)
            wanted = sorted({c for t in heads["text"] for c in entities.heading_candidates(t)})
            confirmed = dict(self._lookup(
                "SELECT folded, label FROM res_confirmed WHERE folded IN (SELECT unnest(?))",
                wanted))
            kept = [self._part(m, part) for m in heads.itertuples(index=False)
                    for part in entities.confirm_heading(m, confirmed)]
            _insert(con, "res_prep", pd.DataFrame(kept, columns=_STAGE_COLUMNS))

    def _part(self, m, part: dict) -> tuple:
        """A confirmed heading mention or a part of one, its windows shifted to fit."""
        if part["start"] == m.start and part["end"] == m.end and part["label"] == m.label:
            return tuple(part[c] for c in _STAGE_COLUMNS)
        before = (m.wide_before + m.text[: part["start"] - m.start])[-BEFORE:]
        after = (m.text[part["end"] - m.start :] + m.wide_after)[:AFTER]
        fixed = [part[c] for c in _STAGE_COLUMNS[:11]]
        return (*fixed, before, after, *self._context(before, after),
                *self._features(part["text"], part["label"]))

    # -- 3. kinds --------------------------------------------------------------------------
    def correct_kinds(self) -> None:
        """Kinds by the corpus' surnames, then by context; role words and drops removed."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE res_surnames AS SELECT DISTINCT last_key "
                    "FROM res_prep WHERE NOT ignored AND label = 'PERSON' AND ntok > 1")
        _create(con, "res_kinded", _KINDED_COLUMNS)
        kinds = ("r.*, CASE WHEN r.tkey IN (SELECT last_key FROM res_surnames) "
                 "THEN r.kind_surname ELSE r.kind0 END AS kind")
        for m in self._batches("res_prep", kinds, where="NOT r.ignored AND NOT r.role_only"):
            if m.empty:
                continue
            neighbours = entities.coordinated(m)
            m["kind"] = [entities.context_kind(row, neighbours)
                         for row in m.itertuples(index=False)]
            _insert(con, "res_kinded", m.loc[m["kind"] != "drop", _KINDED_COLUMNS])
        con.execute("DROP TABLE res_prep")

    # -- 4. persons and keys ---------------------------------------------------------------
    def link_persons(self) -> None:
        con = self.con
        _create(con, "res_person", ["key", "surname", "first"])
        names = ("SELECT DISTINCT norm FROM res_kinded WHERE kind = 'person' AND ntok > 1 "
                 "ORDER BY norm")
        for rows in self._stream(names):
            index = pd.DataFrame([entities.person_index_row(n) for (n,) in rows],
                                 columns=["key", "surname", "first"])
            _insert(con, "res_person", index)
        con.execute("CREATE OR REPLACE TEMP TABLE res_ptokens AS SELECT DISTINCT tkey "
                    "FROM res_kinded WHERE label = 'PERSON' AND ntok = 1")
        _create(con, "res_keyed", _KEYED_COLUMNS)
        seq = 0
        for m in self._batches("res_kinded"):
            if m.empty:
                continue
            linker = self._linker(m)
            m["key"] = [entities.entity_key(row, linker, self.overrides)
                        for row in m.itertuples(index=False)]
            m.loc[m["key"].str.startswith("person:"), "kind"] = "person"
            m["canon"] = [_canonical(n) for n in m["norm"]]
            m["seq"] = range(seq, seq + len(m))
            seq += len(m)
            _insert(con, "res_keyed", m[_KEYED_COLUMNS])
        con.execute("DROP TABLE res_kinded")

    def _linker(self, m: pd.DataFrame) -> PersonLinker:
        tokens = sorted(set(m.loc[m["ntok"] == 1, "tkey"]))
        surname: dict[str, set[str]] = defaultdict(set)
        first: dict[str, set[str]] = defaultdict(set)
        for key, last, head in self._lookup(
                "SELECT DISTINCT key, surname, first FROM res_person "
                "WHERE surname IN (SELECT unnest($1)) OR first IN (SELECT unnest($1))",
                tokens):
            surname[last].add(key)
            first[head].add(key)
        person_tokens = {t for (t,) in self._lookup(
            "SELECT tkey FROM res_ptokens WHERE tkey IN (SELECT unnest(?))", tokens)}
        return PersonLinker(m, surname=surname, first=first, person_tokens=person_tokens,
                            overrides=self.overrides)

    # -- 5. entities -----------------------------------------------------------------------
    def name_entities(self) -> None:
        """Each key's kind (the majority; ties to person, organization, place, ...) and
        name (persons: the most frequent of the longest forms; places: the most frequent
        canonical name, ties to the first seen; others: the most frequent), overridden."""
        con = self.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE res_keykind AS SELECT key, "
            "arg_min(kind, -n * 10 + prio) AS kind FROM (SELECT key, kind, count(*) AS n, "
            f"{_PRIORITY_SQL} AS prio FROM res_keyed GROUP BY key, kind) GROUP BY key"
        )
        _create(con, "res_entkey", ["key", "kind", "name", "entity_id"])
        votes = """
            WITH c AS (
                SELECT r.key, k.kind, CASE WHEN k.kind = 'place' THEN r.canon ELSE r.norm
                    END AS nm, max(r.ntok) AS ntok, count(*) AS n, min(r.seq) AS first
                FROM res_keyed r JOIN res_keykind k USING (key) GROUP BY ALL),
            t AS (SELECT *, max(ntok) OVER (PARTITION BY key) AS longest FROM c)
            SELECT key, kind, nm FROM t QUALIFY row_number() OVER (PARTITION BY key ORDER BY
                (kind = 'person' AND ntok < longest), n DESC,
                CASE WHEN kind = 'place' THEN first ELSE 0 END, nm) = 1
            ORDER BY key"""
        for rows in self._stream(votes):
            done = [(key, *entities.finish_entity(key, kind, name, self.overrides))
                    for key, kind, name in rows]
            _insert(con, "res_entkey", pd.DataFrame(done, columns=["key", "kind", "name",
                                                                   "entity_id"]))

    # -- 6. outputs ------------------------------------------------------------------------
    def write_mentions(self) -> None:
        self.con.execute("""
            CREATE OR REPLACE TEMP TABLE res_mentions AS
            SELECT k.article_id, e.entity_id, e.name, e.kind, k.text, k.start, k."end",
                k.in_title, k.label, k.sent_start, k.subj, k.title, k.title_start, k.seq
            FROM res_keyed k JOIN res_entkey e USING (key)
            ORDER BY k.article_id, k.start""")
        self.con.execute("DROP TABLE res_keyed")

    def write_roles(self) -> None:
        """Titles cut from person spans, and the parser's roles on the person mention with
        the same span (else the first one starting inside it); one per entity, article and
        place in the text."""
        self.con.execute("""
            CREATE OR REPLACE TEMP TABLE res_roles AS
            WITH persons AS (SELECT * FROM res_mentions WHERE kind = 'person'),
            raw AS (SELECT r.*, row_number() OVER (ORDER BY r.article_id, r.start,
                        r.role_start) AS rid
                    FROM raw_roles r JOIN res_ok USING (article_id)),
            found AS (
                SELECT p.entity_id, p.name, r.article_id, r.role, r.source,
                    r.role_start AS start, r.role_end AS "end", 1 AS prio, r.rid AS pos
                FROM raw r JOIN persons p ON p.article_id = r.article_id
                    AND p.start >= r.start AND p.start < r."end"
                QUALIFY row_number() OVER (PARTITION BY r.rid ORDER BY
                    (p.start = r.start AND p."end" = r."end") DESC, p.start, p.seq DESC) = 1),
            titles AS (
                SELECT entity_id, name, article_id, title AS role, 'title' AS source,
                    title_start AS start, title_start + length(title) AS "end", 0 AS prio,
                    seq AS pos
                FROM persons WHERE title != '')
            SELECT * FROM (SELECT * FROM titles UNION ALL SELECT * FROM found)
            QUALIFY row_number() OVER (PARTITION BY entity_id, article_id, start
                                       ORDER BY prio, pos) = 1
            ORDER BY entity_id, article_id, start""")

    def write_places(self) -> None:
        """Geocode every place entity with the countries its articles name as context."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE res_entity_names AS SELECT entity_id, "
                    "first(name ORDER BY article_id, start) AS name, "
                    "first(kind ORDER BY article_id, start) AS kind FROM res_mentions "
                    "GROUP BY entity_id")
        _create(con, "res_country", ["name", "code"])
        for rows in self._stream("SELECT DISTINCT name FROM res_mentions WHERE kind = 'place' "
                                 "ORDER BY name"):
            _insert(con, "res_country", pd.DataFrame(
                [(n, entities.country_code(n)) for (n,) in rows], columns=["name", "code"]))
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
            GROUP BY e.entity_id, e.name ORDER BY e.entity_id"""
        for rows in self._stream(contexts):
            candidates, geo = [], []
            for entity_id, name, context in rows:
                found, (country, lat, lon) = entities.geocode_entity(
                    entity_id, name, list(context), self.overrides)
                candidates += found
                geo.append((entity_id, country, lat, lon))
            _insert(con, "res_places", pd.DataFrame(candidates, columns=PLACE_COLUMNS))
            _insert(con, "res_geo", pd.DataFrame(geo, columns=["entity_id", "country", "lat",
                                                               "lon"]))

    def write_entities(self) -> None:
        """One row per entity: name, kind, aliases (surface forms), role, place, counts."""
        con = self.con
        _create(con, "res_bestrole", ["entity_id", "role"])
        for rows in self._stream("SELECT entity_id, list(role ORDER BY prio, pos) FROM "
                                 "res_roles GROUP BY entity_id ORDER BY entity_id"):
            _insert(con, "res_bestrole", pd.DataFrame(
                [(e, entities.best_role(roles)) for e, roles in rows],
                columns=["entity_id", "role"]))
        columns = ", ".join(f'"{c}"' for c in ENTITY_COLUMNS)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE res_entities AS SELECT {columns} FROM (
                SELECT m.entity_id, n.name, n.kind,
                    list_sort(list(DISTINCT m.text)) AS aliases, b.role, g.country,
                    g.lat, g.lon, count(*)::INTEGER AS mentions,
                    count(DISTINCT m.article_id)::INTEGER AS articles
                FROM res_mentions m JOIN res_entity_names n USING (entity_id)
                LEFT JOIN res_bestrole b USING (entity_id)
                LEFT JOIN res_geo g USING (entity_id)
                GROUP BY ALL)
            ORDER BY mentions DESC, name""")

    def write_quotes(self) -> None:
        """Speakers resolved against the resolved mentions of their own article."""
        con = self.con
        _create(con, "res_quotes", QUOTE_COLUMNS, {
            "start": "INTEGER", "end": "INTEGER", "anonymous": "BOOLEAN"})
        for raw, mentions in zip(self._batches("raw_quotes"), self._batches("res_mentions"),
                                 strict=True):
            if not raw.empty:
                _insert(con, "res_quotes", resolve_quotes(raw, mentions))


@lru_cache(maxsize=1 << 16)
def _canonical(name: str) -> str:
    return places.canonical_place_name(name) or name


def _select(name: str) -> str:
    """The column list of a resolved table as the store holds it (helper columns left out)."""
    columns = {"mentions": MENTION_COLUMNS, "entities": ENTITY_COLUMNS, "roles": ROLE_COLUMNS,
               "places": PLACE_COLUMNS, "quotes": QUOTE_COLUMNS}[name]
    return ", ".join(f'"{c}"' for c in columns)


def copy_resolved(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the store's resolved tables by the ``res_*`` tables (inside the caller's
    transaction); each mention gets its sentence from the raw mentions, a batch of articles
    at a time."""
    for name, table in OUTPUTS.items():
        con.execute(f"DELETE FROM {name}")
        if name != "mentions":
            con.execute(f"INSERT INTO {name} BY NAME SELECT {_select(name)} FROM {table}")
    bounds = con.execute("SELECT min(article_id), max(article_id) FROM res_ok "
                         "GROUP BY batch ORDER BY batch").fetchall()
    columns = ", ".join(f'r."{c}"' if c != "sentence" else "s.sentence"
                        for c in MENTION_COLUMNS)
    for low, high in bounds:
        con.execute(f"""
            INSERT INTO mentions BY NAME SELECT {columns} FROM res_mentions r
            LEFT JOIN (SELECT article_id, sent_start, any_value(sentence) AS sentence
                       FROM raw_mentions WHERE article_id BETWEEN $1 AND $2 GROUP BY ALL) s
                USING (article_id, sent_start)
            WHERE r.article_id BETWEEN $1 AND $2 ORDER BY r.article_id, r.start""",
            [low, high])


def drop_resolved(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the ``res_*`` tables (what ``resolve_tables`` left for the caller to copy)."""
    for table in (*OUTPUTS.values(), "res_ok"):
        con.execute(f"DROP TABLE IF EXISTS {table}")

