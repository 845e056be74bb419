"""End-to-end ingest with the real pipeline into a real DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsdesk.ingest import ingest
from newsdesk.store import Store

pytestmark = pytest.mark.slow

SAMPLE_IDS = [
    "000_0d5ff83f0b58c3c9", "001_0ee90b599d5ec9b8", "002_abb2e1d81dd64829",
    "003_50e888d2ed398487", "004_ad318e8e7e6b0658",
]


def articles_of(db: Path):
    with Store(db, read_only=True) as store:
        return store.table("articles").set_index("article_id")


def test_ingest_sample_all_ok(sample_db):
    articles = articles_of(sample_db)
    assert list(articles.index) == SAMPLE_IDS
    assert set(articles["status"]) == {"ok"}
    assert (articles["words"] > 300).all()
    assert all(len(p) == 0 for p in articles["problems"])
    with Store(sample_db, read_only=True) as store:
        runs = store.query("SELECT articles_seen, parsed, cached, failed FROM runs")
        per_article = store.query(
            "SELECT a.article_id, count(m.start) AS n FROM articles a "
            "LEFT JOIN mentions m USING (article_id) GROUP BY 1"
        )
    assert runs.to_dict("records") == [
        {"articles_seen": 5, "parsed": 5, "cached": 0, "failed": 0}]
    assert (per_article["n"] > 5).all()


def test_ingest_mention_offsets_match_stored_text(sample_db):
    with Store(sample_db, read_only=True) as store:
        rows = store.query(
            'SELECT m.article_id, m.start, m."end", m.text, m.sentence, a.text AS article '
            "FROM mentions m JOIN articles a USING (article_id)"
        )
        raw_count = store.query("SELECT count(*) AS n FROM raw_mentions")["n"].iloc[0]
        bad_sentences = store.query(
            'SELECT count(*) AS n FROM sentences s JOIN articles a USING (article_id) '
            'WHERE s.start < 0 OR s."end" > length(a.text) OR s.start >= s."end"'
        )["n"].iloc[0]
    assert len(rows) > 50
    assert len(rows) <= raw_count
    assert bad_sentences == 0
    for row in rows.itertuples():
        assert row.article[row.start : row.end] == row.text, row
        assert row.text in row.sentence


def test_ingest_removed_spans_match_stored_text(sample_db):
    with Store(sample_db, read_only=True) as store:
        rows = store.query(
            'SELECT r.article_id, r.start, r."end", r.text, r.reason, a.text AS article '
            "FROM removed r JOIN articles a USING (article_id)"
        )
    assert set(rows["article_id"]) == {SAMPLE_IDS[1], SAMPLE_IDS[2], SAMPLE_IDS[3],
                                       SAMPLE_IDS[4]}
    for row in rows.itertuples():
        assert row.article[row.start : row.end] == row.text, row


def test_ingest_dates_from_manifest_and_header(sample_db):
    articles = articles_of(sample_db)
    dates = articles[["published", "published_precision", "date_basis"]]
    assert dates.loc["000_0d5ff83f0b58c3c9"].tolist() == ["2025-12-20", "day", "manifest"]
    assert dates.loc["001_0ee90b599d5ec9b8"].tolist() == ["2025-12-24", "day", "manifest"]
    assert dates.loc["002_abb2e1d81dd64829"].tolist() == ["2025-02", "month", "manifest"]
    assert dates.loc["003_50e888d2ed398487"].tolist() == ["2025-04-02", "day", "metadata"]
    assert dates.loc["004_ad318e8e7e6b0658"].tolist() == ["2025-08-06", "day", "manifest"]
    assert articles.loc["003_50e888d2ed398487", "source"] == "BOTA ALFA PRESS"
    assert articles.loc["001_0ee90b599d5ec9b8", "source"] == "The Asia Business Daily"
    assert articles.loc["002_abb2e1d81dd64829", "title"] == (
        "Kremlin Assembles Negotiation Team For US Talks On Ukraine")


def test_ingest_entities_counts_agree_with_mentions(sample_db):
    with Store(sample_db, read_only=True) as store:
        entities = store.table("entities").set_index("entity_id")
        mentions = store.table("mentions")
    counted = mentions.groupby("entity_id").size()
    assert counted.to_dict() == entities["mentions"].to_dict()
    spread = mentions.groupby("entity_id")["article_id"].nunique()
    assert spread.to_dict() == entities["articles"].to_dict()
    putin = entities[entities["aliases"].map(lambda a: "Putin" in list(a))]
    assert len(putin) == 1
    assert putin.iloc[0]["kind"] == "person"
    assert putin.iloc[0]["articles"] == 5


def test_ingest_second_run_uses_cache(corpus_copy, tmp_path):
    db = tmp_path / "cache.duckdb"
    first = ingest(corpus_copy, db=db, progress=False)
    assert (first.seen, first.parsed, first.cached, first.failed) == (5, 5, 0, 0)
    with Store(db, read_only=True) as store:
        before = store.query("SELECT article_id, ingested_at FROM articles ORDER BY 1")
        entities_before = store.table("entities")
    second = ingest(corpus_copy, db=db, progress=False)
    assert (second.seen, second.parsed, second.cached, second.failed) == (5, 0, 5, 0)
    with Store(db, read_only=True) as store:
        after = store.query("SELECT article_id, ingested_at FROM articles ORDER BY 1")
        runs = store.query("SELECT parsed, cached FROM runs ORDER BY started")
        entities_after = store.table("entities")
    assert before.equals(after)
    assert entities_before[["entity_id", "mentions"]].equals(
        entities_after[["entity_id", "mentions"]])
    assert runs.values.tolist() == [[5, 0], [0, 5]]


def test_ingest_edited_article_reparsed_alone(corpus_copy, tmp_path):
    db = tmp_path / "edit.duckdb"
    ingest(corpus_copy, db=db, progress=False)
    target = corpus_copy / "004_ad318e8e7e6b0658.txt"
    addition = "Angela Merkel later commented on the talks in Brussels."
    target.write_text(addition + "\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    summary = ingest(corpus_copy, db=db, progress=False)
    assert (summary.parsed, summary.cached) == (1, 4)
    with Store(db, read_only=True) as store:
        rows = store.query(
            "SELECT article_id, text FROM articles WHERE text LIKE 'Angela Merkel%'")
        merkel = store.query(
            "SELECT article_id, start FROM mentions WHERE text = 'Angela Merkel'")
    assert list(rows["article_id"]) == ["004_ad318e8e7e6b0658"]
    assert merkel.values.tolist() == [["004_ad318e8e7e6b0658", 0]]


def test_ingest_empty_file_recorded_others_go_in(corpus_copy, tmp_path):
    (corpus_copy / "005_empty.txt").write_text("", encoding="utf-8")
    (corpus_copy / "006_blank.txt").write_text("\n \n\t\n", encoding="utf-8")
    db = tmp_path / "empty.duckdb"
    summary = ingest(corpus_copy, db=db, progress=False)
    assert (summary.seen, summary.parsed, summary.failed) == (7, 5, 2)
    articles = articles_of(db)
    assert articles.loc["005_empty", "status"] == "empty"
    assert articles.loc["006_blank", "status"] == "empty"
    assert articles.loc["005_empty", "words"] == 0
    assert (articles.loc[SAMPLE_IDS, "status"] == "ok").all()
    with Store(db, read_only=True) as store:
        mention_ids = set(store.table("mentions")["article_id"])
    assert mention_ids == set(SAMPLE_IDS)


def test_ingest_manifest_edit_updates_cached_article_without_parsing(corpus_copy, tmp_path):
    db = tmp_path / "manifest.duckdb"
    ingest(corpus_copy, db=db, progress=False)
    manifest = corpus_copy / "manifest.csv"
    text = manifest.read_text(encoding="utf-8")
    assert "2025-12-20,day" in text
    manifest.write_text(text.replace("2025-12-20,day", "2025-12-19,day"), encoding="utf-8")
    summary = ingest(corpus_copy, db=db, progress=False)
    assert (summary.parsed, summary.cached) == (0, 5)
    assert articles_of(db).loc["000_0d5ff83f0b58c3c9", "published"] == "2025-12-19"


@pytest.mark.parametrize("group", [1, 256])
def test_ingest_repeated_id_skipped_across_lookup_groups(tmp_path, monkeypatch, capsys, group):
    """An id seen before in the same run is skipped with a warning, whether or not it falls
    in the same group of articles whose cache keys are looked up at once."""
    from newsdesk import ingest as ingest_module

    monkeypatch.setattr(ingest_module, "LOOKUP_ARTICLES", group)
    folder = tmp_path / "feeds"
    folder.mkdir()
    text = "Officials met in Geneva on Monday to discuss the grain corridor and shipping."
    (folder / "a.jsonl").write_text(
        "\n".join(json.dumps({"id": i, "text": f"{text} Part {i}."}) for i in ("x1", "x2"))
        + "\n", encoding="utf-8")
    (folder / "b.jsonl").write_text(json.dumps({"id": "x1", "text": "Another text."}) + "\n",
                                    encoding="utf-8")
    summary = ingest(folder, db=tmp_path / "ids.duckdb", progress=False)
    assert (summary.seen, summary.parsed, summary.failed) == (3, 2, 1)
    assert dict(summary.statuses) == {"ok": 2}
    assert "article id 'x1' seen before; skipped" in capsys.readouterr().err
    assert list(articles_of(tmp_path / "ids.duckdb").index) == ["x1", "x2"]


REPEATED = ["Download the Harbour Wire app for alerts from Lisbon and Porto.",
            "This report was written by Tomas Lindqvist and edited by Clara Mendes."]
STORIES = [
    ("Port strike ends", "Dockers in Rotterdam ended their strike on Monday after the union "
     "and the port authority agreed on new shift rules, said Pieter de Vries, a spokesman."),
    ("Ferry line opens", "A new ferry line between Tallinn and Helsinki opened on Tuesday, "
     "and the operator said Kaja Tamm would run it from a new office in the harbour."),
    ("Canal tolls rise", "The Panama Canal Authority raised its tolls on Wednesday, citing "
     "low water, and administrator Ricaurte Vasquez said ships would wait longer."),
    ("Cranes delivered", "Four new cranes arrived in Gdansk on Thursday, and the terminal's "
     "manager Anna Nowak said they would double the number of containers moved."),
]


def _wire_corpus(folder: Path, sources: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    rows = ["file,source"]
    for i, ((title, lead), source) in enumerate(zip(STORIES, sources, strict=True)):
        body = [lead, REPEATED[0], "Officials expect traffic to recover within weeks, and "
                f"shipping lines said the schedules of story {i} would be back to normal.",
                REPEATED[1]]
        (folder / f"s{i}.txt").write_text(title + "\n\n" + "\n\n".join(body) + "\n",
                                          encoding="utf-8")
        rows.append(f"s{i}.txt,{source}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_ingest_line_repeated_across_a_source_is_furniture_without_parsing(tmp_path):
    folder, db = tmp_path / "wire", tmp_path / "wire.duckdb"
    _wire_corpus(folder, ["Harbour Wire"] * 4)
    ingest(folder, db=db, progress=False)
    with Store(db, read_only=True) as store:
        removed = store.query("SELECT article_id, text, reason FROM removed")
        names = set(store.table("mentions")["text"])
        aside = set(store.query("SELECT text FROM aside_mentions")["text"])
        texts = store.table("texts").set_index("article_id")
    assert len(removed) == 8 and set(removed["text"]) == set(REPEATED)
    assert set(removed["reason"]) == {"repeated: the same line in 4 articles of Harbour Wire"}
    assert {"Tomas Lindqvist", "Clara Mendes"} <= aside
    assert not {"Tomas Lindqvist", "Clara Mendes"} & names
    assert {"Pieter de Vries", "Anna Nowak"} <= names
    assert all(REPEATED[1] not in body and "Officials expect" in body
               for body in texts["body"])
    # Two of the four move to another source: the lines are in two articles of each, no
    # longer furniture; their mentions come back without parsing anything again.
    _wire_corpus(folder, ["Harbour Wire", "Harbour Wire", "Other Wire", "Other Wire"])
    summary = ingest(folder, db=db, progress=False)
    assert summary.parsed == 0
    with Store(db, read_only=True) as store:
        removed = store.query("SELECT * FROM removed")
        mentions = store.table("mentions")
        aside = store.query("SELECT * FROM aside_mentions")
    assert removed.empty and aside.empty
    assert (mentions["text"] == "Tomas Lindqvist").sum() == 4


def test_ingest_repeated_lines_need_a_known_source(tmp_path):
    folder, db = tmp_path / "wire", tmp_path / "wire.duckdb"
    _wire_corpus(folder, [""] * 4)
    ingest(folder, db=db, progress=False)
    with Store(db, read_only=True) as store:
        assert store.query("SELECT * FROM removed").empty


def test_ingest_html_page_extracted_once_and_again_for_a_new_extractor(tmp_path, monkeypatch,
                                                                         news_page):
    from newsdesk import corpus
    from newsdesk import ingest as ingest_module

    folder, db = tmp_path / "pages", tmp_path / "pages.duckdb"
    folder.mkdir()
    (folder / "port.html").write_text(news_page, encoding="utf-8")
    assert ingest(folder, db=db, progress=False).parsed == 1
    with Store(db, read_only=True) as store:
        row = store.query("SELECT * FROM articles").iloc[0]
        texts = store.table("texts")
        mentions = set(store.table("mentions")["text"])
    assert (row["title"], row["title_basis"]) == ("Port reopens after the storm", "heading")
    assert (row["source"], row["url"]) == ("The Courier",
                                           "https://courier.example/news/port-reopens")
    assert (row["published"], row["published_precision"], row["date_basis"]) == (
        "2024-03-05", "day", "metadata")
    assert row["text"].startswith("Port reopens after the storm\n\nThe port of Valencia")
    assert texts.iloc[0]["body"] == row["text"] and list(texts.iloc[0]["removed"]) == []
    assert "Valencia" in mentions and "Kevin Durant" not in mentions
    calls = []
    extract = ingest_module.extract_html
    monkeypatch.setattr(ingest_module, "extract_html", lambda a: calls.append(a) or extract(a))
    assert ingest(folder, db=db, progress=False).cached == 1 and calls == []  # not extracted
    monkeypatch.undo()
    monkeypatch.setattr(corpus, "HTML_EXTRACTION_VERSION", "next")
    corpus.html_extractor.cache_clear()
    try:
        monkeypatch.setattr(ingest_module, "extract_html",
                            lambda a: calls.append(a) or extract(a))
        assert ingest(folder, db=db, progress=False).parsed == 1 and len(calls) == 1
    finally:
        corpus.html_extractor.cache_clear()


# -- the corpus-level steps skipped when nothing they read changed ----------------------------


def _resolved_state(db: Path) -> tuple:
    with Store(db, read_only=True) as store:
        key = store.meta("corpus_key")
        mentions = store.con.execute('SELECT article_id, start, "end", entity_id FROM mentions '
                                     "ORDER BY ALL").fetchall()
    return key, mentions


def test_ingest_unchanged_corpus_skips_corpus_steps(corpus_copy, tmp_path, monkeypatch):
    from newsdesk import ingest as ingest_module

    db = tmp_path / "same.duckdb"
    assert ingest(corpus_copy, db=db, progress=False).resolved
    key, mentions = _resolved_state(db)
    assert key and mentions
    calls = []
    for name in ("dedupe_store", "resolve_store"):
        original = getattr(ingest_module, name)
        monkeypatch.setattr(ingest_module, name,
                            lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    again = ingest(corpus_copy, db=db, progress=False)
    assert not again.resolved and calls == []
    assert "corpus unchanged, entities not recomputed" in str(again)
    assert _resolved_state(db) == (key, mentions)


@pytest.mark.parametrize("change", ["article", "manifest", "aliases", "code", "status"])
def test_ingest_corpus_steps_redone_when_an_input_changed(corpus_copy, tmp_path, monkeypatch,
                                                          change):
    from newsdesk import ingest as ingest_module

    aliases = tmp_path / "aliases.yml"
    monkeypatch.setenv("NEWSDESK_ALIASES", str(aliases))
    db = tmp_path / "changed.duckdb"
    ingest(corpus_copy, db=db, progress=False)
    key, mentions = _resolved_state(db)
    if change == "article":
        (corpus_copy / "005_new.txt").write_text(
            "Angela Merkel met Emmanuel Macron in Berlin on Monday to discuss the budget.\n",
            encoding="utf-8")
    elif change == "manifest":
        manifest = corpus_copy / "manifest.csv"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace(
            "2025-12-20,day", "2025-12-19,day"), encoding="utf-8")
    elif change == "aliases":
        aliases.write_text("rename:\n  Steve Witkoff: Steven Witkoff\n", encoding="utf-8")
    elif change == "code":
        monkeypatch.setattr(ingest_module, "code_version", lambda: "another version")
    else:  # the stored status of an article changed (screened again, say)
        with Store(db) as store:
            store.con.execute("UPDATE articles SET status = 'empty' WHERE article_id = ?",
                              [SAMPLE_IDS[0]])
    summary = ingest(corpus_copy, db=db, progress=False)
    assert summary.resolved, change
    new_key, new_mentions = _resolved_state(db)
    assert new_key != key
    if change == "aliases":
        with Store(db, read_only=True) as store:
            assert "Steven Witkoff" in set(store.table("entities")["name"])
    if change == "article":
        assert {m[0] for m in new_mentions} - {m[0] for m in mentions} == {"005_new"}
    assert not ingest(corpus_copy, db=db, progress=False).resolved  # and now it is settled


def test_ingest_key_written_only_with_the_tables(corpus_copy, tmp_path, monkeypatch):
    """A resolution that fails leaves the key (and the tables) as they were, so the next
    run redoes it."""
    from newsdesk import resolution

    db = tmp_path / "crash.duckdb"
    ingest(corpus_copy, db=db, progress=False)
    key, mentions = _resolved_state(db)
    (corpus_copy / "005_new.txt").write_text(
        "Angela Merkel met Emmanuel Macron in Berlin on Monday to discuss the budget.\n",
        encoding="utf-8")

    def crash(con):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(resolution, "copy_resolved", crash)
    with pytest.raises(Exception, match="disk is full|No space"):
        ingest(corpus_copy, db=db, progress=False)
    assert _resolved_state(db) == (key, mentions)
    monkeypatch.undo()
    assert ingest(corpus_copy, db=db, progress=False).resolved
    assert _resolved_state(db)[0] not in (None, key)
