"""Messy input: every bad file gets a status and a clear message naming it; nothing stops the
other articles, nothing is counted twice. Fixture files are written by the tests."""

from __future__ import annotations

import codecs
import json
import random
import re
from pathlib import Path

import pytest

from newsdesk import cli
from newsdesk.clean import clean_text
from newsdesk.corpus import (
    extract_html,
    looks_like_html,
    read_corpus,
    read_file,
    read_manifest,
    sniff_bytes,
)
from newsdesk.ingest import _record, dedupe_store, ingest
from newsdesk.quality import detect_language, is_foreign
from newsdesk.store import Store

RUSSIAN = (
    "Переговоры между США и Россией о прекращении войны на Украине продолжатся в Майами в "
    "субботу, сообщил американский чиновник. Кирилл Дмитриев, глава Российского фонда прямых "
    "инвестиций, встретится со спецпосланником Стивом Уиткоффом. Европейцев к столу "
    "переговоров не пригласили, что вызвало раздражение в Париже и Берлине. Это уже не первая "
    "встреча, и она, как ожидается, будет долгой."
)
GERMAN = (
    "Die Gespräche über die Zukunft der Ukraine werden am Samstag in Miami fortgesetzt. Wie "
    "ein Sprecher des Kremls sagte, ist noch nicht klar, wer an dem Treffen teilnehmen wird. "
    "Kirill Dmitrijew, der Chef des russischen Staatsfonds, soll sich mit dem US-Gesandten "
    "Steve Witkoff treffen. Die Europäer sind bei den Verhandlungen nicht dabei, was in Berlin "
    "und Paris für Unmut sorgt."
)
FRENCH_LATIN1 = (
    "Les négociations entre les États-Unis et la Russie reprendront à Miami samedi, a déclaré "
    "un responsable américain. Kirill Dmitriev, le chef du fonds souverain russe, doit "
    "rencontrer l'émissaire Steve Witkoff. Très peu de détails ont été révélés."
)


def _sample(sample_texts: dict[str, str], index: int) -> str:
    return sample_texts[sorted(sample_texts)[index]]


def _latin1_safe(text: str) -> str:
    table = {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "\u00a0": " ",
             "…": "..."}
    return "".join(table.get(c, c) for c in text)


# -- decoding ----------------------------------------------------------------------------------


def test_messy_cp1251_detected_and_decoded_exactly():
    decoded = sniff_bytes(RUSSIAN.encode("cp1251"))
    assert decoded.text == RUSSIAN
    assert decoded.encoding == "cp1251"
    assert decoded.problems == ("not valid UTF-8 (byte 0); decoded as Windows-1251 (Cyrillic)",)


def test_messy_latin1_detected_and_decoded_exactly():
    decoded = sniff_bytes(FRENCH_LATIN1.encode("latin-1"))
    assert decoded.text == FRENCH_LATIN1
    assert decoded.encoding == "cp1252"
    assert "decoded as Windows-1252 (Western, Latin-1)" in decoded.problems[0]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_messy_utf16_and_32_with_bom(codec):
    text = "Talks in Miami — “productive”, said Witkoff.\r\nMore tomorrow.\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    decoded = sniff_bytes(data)
    assert decoded.text == text  # the BOM is gone, the rest (CRLF included) exactly kept
    assert decoded.binary is None
    assert "with a byte-order mark; decoded" in decoded.problems[0]


def test_messy_utf16_without_bom_recognised_not_binary():
    text = "Officials met in Geneva on Tuesday and said the talks would go on.\n" * 3
    decoded = sniff_bytes(text.encode("utf-16-le"))
    assert decoded.text == text and decoded.binary is None
    assert decoded.problems == ("encoding: UTF-16-LE without a byte-order mark; decoded",)


@pytest.mark.parametrize(("data", "why"), [
    (b"\x00\x01\x02\x03binary\x00\xff" * 40, "NUL bytes, the first at byte 0"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
    (bytes(range(1, 9)) * 100, "control bytes"),
])
def test_messy_binary_detected(data, why):
    decoded = sniff_bytes(data)
    assert decoded.text == ""
    assert why in decoded.binary


def test_messy_read_file_statuses(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01garbage\x00" * 30)
    (tmp_path / "big.txt").write_text("word " * 1000, encoding="utf-8")
    (tmp_path / "crlf.txt").write_bytes(b"Title\r\n\r\nBody line.\r\n")
    [binary] = read_file(tmp_path / "bin.txt")
    assert (binary.status, binary.text) == ("binary", "")
    assert binary.problems == ("binary file (NUL bytes, the first at byte 0), not text; not read",)
    [big] = read_file(tmp_path / "big.txt", max_bytes=1000)
    assert (big.status, big.text) == ("too_large", "")
    assert big.problems[0].startswith("too large: 5,000 bytes, over the limit of 1,000 bytes")
    [ok] = read_file(tmp_path / "big.txt", max_bytes=0)  # 0: no limit
    assert ok.status is None and len(ok.text) == 5000
    [crlf] = read_file(tmp_path / "crlf.txt")
    assert crlf.text == "Title\r\n\r\nBody line.\r\n"  # kept exactly: offsets count the \r
    assert "Windows (CRLF) line endings" in crlf.problems[0]


def test_messy_record_over_limit_too_large_others_read(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"id": "small", "text": "Short text."}, {"id": "huge", "text": "x" * 3000}]),
        encoding="utf-8")
    articles = {a.article_id: a for a in read_file(path, max_bytes=1000)}
    assert articles["small"].status is None and articles["small"].text == "Short text."
    assert articles["huge"].status == "too_large" and articles["huge"].text == ""


def test_messy_html_saved_as_txt_extracted(tmp_path):
    page = ("<!DOCTYPE html>\n<html><head><title>Talks in Miami</title>"
            "<style>p{}</style></head><body><p>Kirill Dmitriev met Steve Witkoff.</p>"
            "<script>var x = 1;</script><p>They spoke for hours.</p></body></html>")
    path = tmp_path / "saved.txt"
    path.write_text(page, encoding="utf-8")
    [article] = read_file(path)
    article = extract_html(article)
    assert article.text == ("Talks in Miami\n\nKirill Dmitriev met Steve Witkoff.\n\n"
                            "They spoke for hours.")
    assert article.page.title == "Talks in Miami"
    assert article.problems == ("HTML page saved as .txt: the article text is extracted from "
                                "the markup; offsets refer to that text",)
    assert not looks_like_html("Use <b>bold</b> sparingly, the editor said.")


def test_messy_invalid_json_in_folder_does_not_stop_the_rest(tmp_path):
    (tmp_path / "a.txt").write_text("Officials met.", encoding="utf-8")
    (tmp_path / "broken.json").write_text("[{", encoding="utf-8")
    articles = {a.article_id: a for a in read_corpus(tmp_path)}
    assert articles["a"].status is None
    assert articles["broken"].status == "unreadable"
    assert articles["broken"].problems[0].startswith("not JSON")


# -- manifest ----------------------------------------------------------------------------------


def test_messy_manifest_rows(tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"Article {name}.", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text(
        "file,published,title,colour\n"
        "a.txt,2025-01-02,Alpha,\n"
        "gone.txt,2025-01-03,Gone,\n"      # names a missing file
        "a.txt,2025-02-02,Again,\n"        # duplicated
        "b.txt,2025-02-30,Beta,red,extra\n"  # impossible date, a value too many
        ",2025,,\n",                       # no key
        encoding="utf-8")
    manifest = read_manifest(tmp_path / "manifest.csv")
    assert "manifest.csv: unknown column(s) colour; ignored" in manifest.problems
    articles = {a.article_id: a for a in read_corpus(tmp_path)}
    assert set(articles) == {"a", "b", "c", "gone"}
    a, b, c, gone = (articles[k] for k in ("a", "b", "c", "gone"))
    assert (a.title, a.published) == ("Alpha", "2025-01-02")  # the first row wins
    assert "manifest.csv line 4: 'a.txt' listed again (first on line 2); row ignored" in (
        a.problems)
    assert "manifest.csv line 6: empty 'file'; row ignored" in a.problems
    assert b.title == "Beta" and b.published is None
    assert any("line 5: 5 values for 4 columns" in p for p in b.problems)
    assert any("line 5: published '2025-02-30' is not a date" in p for p in b.problems)
    assert c.problems == ("not listed in manifest.csv; no manifest metadata",)
    assert (gone.status, gone.text, gone.title) == ("missing", "", "Gone")
    assert gone.problems[0] == "manifest.csv line 3 lists 'gone.txt', but there is no such file"


def test_messy_manifest_binary_or_broken_not_fatal(tmp_path):
    (tmp_path / "a.txt").write_text("Officials met.", encoding="utf-8")
    (tmp_path / "manifest.csv").write_bytes(b"\x00\x01\x02" * 20)
    [article] = read_corpus(tmp_path)
    assert article.article_id == "a"
    assert any("manifest.csv" in p and "ignored" in p for p in article.problems)


# -- language and duplicates (pure functions) -------------------------------------------------


def test_messy_language_detection(sample_texts):
    for text in sample_texts.values():
        assert detect_language(text).code == "en"
        assert is_foreign(text) is None
    assert is_foreign(RUSSIAN).code == "ru"
    assert is_foreign(GERMAN).code == "de"
    assert is_foreign(FRENCH_LATIN1).code == "fr"
    chinese = ("美国和俄罗斯官员将于周六在迈阿密举行新一轮会谈，讨论结束乌克兰战争的问题。"
               "俄罗斯主权财富基金负责人将与美国特使会面。欧洲人没有被邀请参加谈判。")
    assert is_foreign(chinese).code == "und"
    names = ("Kirill Dmitriev met Steve Witkoff in Moscow. Dmitriev, Peskov, Ushakov, Lavrov "
             "and Putin were at the Kremlin with Witkoff and Kushner for talks on Ukraine.")
    assert is_foreign(names) is None  # many foreign names, still English
    assert detect_language("Zu kurz.") is None  # too little to say


@pytest.mark.parametrize("seed", range(3))
def test_messy_duplicates_deterministic_whatever_the_order(sample_texts, tmp_path, seed):
    """Copies are found in the store (MinHash bands joined in DuckDB, then checked on the
    exact shingles) the same way whatever order the articles were written in: the earliest
    article_id is the original."""
    text = _sample(sample_texts, 0)
    near = text.replace("Saturday", "Sunday", 1) + "\nShared by the wire service.\n"
    by_id = {"b": text, "a": near, "c": text, "d": _sample(sample_texts, 1)}
    records = []
    for aid, body in by_id.items():
        (tmp_path / f"{aid}.txt").write_text(body, encoding="utf-8")
        [article] = read_file(tmp_path / f"{aid}.txt")
        records.append(_record(article, clean_text(article.text), None, "fp"))
    random.Random(seed).shuffle(records)
    with Store(tmp_path / "copies.duckdb") as store:
        for record in records:
            store.write_article(record)
        dedupe_store(store)
        rows = store.query("SELECT article_id, status, coalesce(duplicate_of, '') AS of, "
                           "problems FROM articles")
    found = {r.article_id: (r.status, r.of) for r in rows.itertuples()}
    assert found == {"a": ("ok", ""), "b": ("near_duplicate", "a"), "c": ("duplicate", "b"),
                     "d": ("ok", "")}
    notes = dict(zip(rows["article_id"], rows["problems"], strict=True))
    share = int(re.match(r"near_duplicate: (\d+)%", notes["b"][-1]).group(1))
    assert share >= 80
    assert list(notes["c"]) == ["duplicate: exact copy of 'b'"]


# -- end to end with the real pipeline ---------------------------------------------------------


def _messy_corpus(folder: Path, sample_texts: dict[str, str]) -> None:
    folder.mkdir()
    t = [_sample(sample_texts, i) for i in range(5)]
    (folder / "a_ok.txt").write_text(t[0], encoding="utf-8")
    (folder / "b_empty.txt").write_bytes(b"")
    (folder / "c_binary.txt").write_bytes(b"\x00\x01\x02binary\x00\xff" * 50)
    (folder / "d_cp1251.txt").write_bytes(RUSSIAN.encode("cp1251"))
    (folder / "e_latin1.txt").write_bytes(_latin1_safe(t[1]).encode("latin-1"))
    (folder / "f_utf16.txt").write_bytes(t[2].encode("utf-16"))
    (folder / "g_crlf.txt").write_bytes(t[3].replace("\n", "\r\n").encode("utf-8"))
    (folder / "h_large.txt").write_text(t[4] * 30, encoding="utf-8")
    paragraphs = t[4].split("\n")[:8]
    (folder / "i_page.txt").write_text(
        "<!DOCTYPE html><html><head><title>Witkoff in Moscow</title></head><body>"
        + "".join(f"<p>{p}</p>" for p in paragraphs) + "<script>track();</script></body></html>",
        encoding="utf-8")
    (folder / "j_german.txt").write_text(GERMAN, encoding="utf-8")
    (folder / "k_exact.txt").write_text(t[0], encoding="utf-8")
    (folder / "l_near.txt").write_text(
        "SYNDICATED FROM THE WIRE\n\n" + t[0].replace("Saturday", "Sunday", 1)
        + "\nCopyright 2025 Wire Service. All rights reserved.\n", encoding="utf-8")
    (folder / "manifest.csv").write_text(
        "file,published,title\n"
        "a_ok.txt,2025-12-20,\n"
        "zz_gone.txt,2025-01-01,\n"
        "a_ok.txt,2025-12-21,\n"
        "g_crlf.txt,2025-13-01,\n", encoding="utf-8")


EXPECTED_STATUS = {
    "a_ok": "ok", "b_empty": "empty", "c_binary": "binary", "d_cp1251": "not_english",
    "e_latin1": "ok", "f_utf16": "ok", "g_crlf": "ok", "h_large": "too_large", "i_page": "ok",
    "j_german": "not_english", "k_exact": "duplicate", "l_near": "near_duplicate",
    "zz_gone": "missing",
}


@pytest.mark.slow
def test_messy_folder_ingested_every_case_recorded(tmp_path, sample_texts, capsys):
    folder = tmp_path / "messy"
    _messy_corpus(folder, sample_texts)
    db = tmp_path / "messy.duckdb"
    summary = ingest(folder, db=db, progress=False, max_bytes=60_000)
    err = capsys.readouterr().err
    assert (summary.seen, summary.parsed, summary.failed) == (13, 7, 4)
    assert str(summary).startswith("13 articles: 7 parsed, 0 unchanged (cached), 4 with "
                                   "problems; not counted: 1 binary, 1 duplicate, 1 empty, ")
    with Store(db, read_only=True) as store:
        articles = store.table("articles").set_index("article_id")
        dup_of = store.query("SELECT article_id, duplicate_of FROM articles "
                             "WHERE duplicate_of IS NOT NULL ORDER BY 1").values.tolist()
        texts = store.query("SELECT article_id, text FROM articles").set_index(
            "article_id")["text"]
        mentions = store.table("mentions")
        raw = store.query("SELECT DISTINCT article_id FROM raw_mentions")
        entities = store.table("entities")
    assert articles["status"].to_dict() == EXPECTED_STATUS
    assert dup_of == [["k_exact", "a_ok"], ["l_near", "a_ok"]]
    problems = {k: list(v) for k, v in articles["problems"].items()}

    def has(aid: str, fragment: str) -> bool:
        return any(fragment in p for p in problems[aid])

    assert has("b_empty", "no article text (empty file)")
    assert has("c_binary", "binary file (NUL bytes")
    assert has("d_cp1251", "decoded as Windows-1251 (Cyrillic)")
    assert has("d_cp1251", "language: Russian ('ru'")
    assert has("j_german", "language: German ('de'")
    assert has("e_latin1", "decoded as Windows-1252")
    assert has("f_utf16", "UTF-16 with a byte-order mark")
    assert has("g_crlf", "Windows (CRLF) line endings")
    assert has("g_crlf", "manifest.csv line 5: published '2025-13-01' is not a date")
    assert has("h_large", "over the limit of 60,000 bytes")
    assert has("i_page", "HTML page saved as .txt")
    assert has("k_exact", "duplicate: exact copy of 'a_ok'")
    assert has("l_near", "near_duplicate: ") and has("l_near", "'a_ok' (a syndicated copy)")
    assert has("zz_gone", "manifest.csv line 3 lists 'zz_gone.txt', but there is no such file")
    assert has("a_ok", "line 4: 'a_ok.txt' listed again")
    assert has("j_german", "not listed in manifest.csv")
    # every message names its file
    for aid, fragment in [("b_empty", "no article text (empty file); recorded with status "
                           "'empty'"), ("c_binary", "recorded with status 'binary'"),
                          ("d_cp1251", "recorded with status 'not_english'"),
                          ("h_large", "recorded with status 'too_large'"),
                          ("k_exact", "recorded with status 'duplicate', not counted"),
                          ("l_near", "recorded with status 'near_duplicate', not counted"),
                          ("zz_gone", "recorded with status 'missing'")]:
        path = folder / f"{aid}.txt"
        assert f"newsdesk: {path}: " in err and fragment in err, (aid, err)
    # decoded text kept exactly, and offsets index into it
    assert texts["d_cp1251"] == RUSSIAN
    assert texts["g_crlf"].count("\r\n") == _sample(sample_texts, 3).count("\n")
    assert texts["f_utf16"] == _sample(sample_texts, 2)
    assert "<p>" not in texts["i_page"] and "track()" not in texts["i_page"]
    for row in mentions.itertuples():
        assert texts[row.article_id][row.start : row.end] == row.text
    # only ok articles reach the resolved tables: copies are not counted twice
    ok = {k for k, v in EXPECTED_STATUS.items() if v == "ok"}
    assert set(mentions["article_id"]) == ok
    assert {"k_exact", "l_near"} <= set(raw["article_id"])  # parsed, kept, not counted
    assert not {"d_cp1251", "j_german"} & set(raw["article_id"])  # never parsed
    assert mentions.groupby("entity_id").size().to_dict() == (
        entities.set_index("entity_id")["mentions"].to_dict())

    again = ingest(folder, db=db, progress=False, max_bytes=60_000)
    assert (again.parsed, again.cached, again.failed) == (0, 13, 0)
    with Store(db, read_only=True) as store:
        assert store.table("articles").set_index("article_id")["status"].to_dict() == (
            EXPECTED_STATUS)


@pytest.mark.slow
def test_messy_duplicate_original_is_earliest_id_whatever_came_first(tmp_path, sample_texts):
    folder = tmp_path / "c"
    folder.mkdir()
    text = _sample(sample_texts, 4)
    (folder / "m_copy.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "d.duckdb"
    ingest(folder, db=db, progress=False)  # the copy alone: it is the original for now
    (folder / "b_orig.txt").write_text(text, encoding="utf-8")
    summary = ingest(folder, db=db, progress=False)
    assert (summary.parsed, summary.cached) == (1, 1)
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT article_id, status, duplicate_of FROM articles ORDER BY 1").fetchall()
        counted = set(store.table("mentions")["article_id"])
    assert rows == [("b_orig", "ok", None), ("m_copy", "duplicate", "b_orig")]
    assert counted == {"b_orig"}
    with Store(db) as store:  # a store from before signatures: they are backfilled
        store.con.execute("UPDATE articles SET minhash = NULL")
    ingest(folder, db=db, progress=False)
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM articles WHERE minhash IS NULL "
                                 "OR status <> 'ok' AND duplicate_of IS NULL").fetchall() == [(0,)]
    (folder / "b_orig.txt").write_text("Something else entirely. " * 10, encoding="utf-8")
    ingest(folder, db=db, progress=False)  # the original changed: the copy is ok again
    with Store(db, read_only=True) as store:
        rows = store.query("SELECT article_id, status, problems FROM articles ORDER BY 1")
    assert rows["status"].tolist() == ["ok", "ok"]
    assert not any(p.startswith("duplicate") for p in rows.iloc[1]["problems"])


@pytest.mark.slow
def test_messy_cli_max_bytes_and_exit_status(tmp_path, sample_dir, capsys):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "small.txt").write_text((sample_dir / "000_0d5ff83f0b58c3c9.txt").read_text(
        encoding="utf-8"), encoding="utf-8")
    (folder / "large.txt").write_text("Long text. " * 2000, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    assert cli.main(["ingest", str(folder), "--db", str(db), "-q", "--max-bytes",
                     "10000"]) == 1
    err = capsys.readouterr().err
    assert f"newsdesk: {folder / 'large.txt'}: too large: 22,000 bytes, over the limit of " \
           "10,000 bytes" in err
    assert "2 articles: 1 parsed, 0 unchanged (cached), 1 with problems; not counted: " \
           "1 too_large" in err
    assert cli.main(["ingest", str(folder), "--db", str(db), "-q"]) == 0  # default limit
    assert "1 parsed, 1 unchanged (cached)" in capsys.readouterr().err
