"""The newsdesk command: help texts, export formats, error exits."""

from __future__ import annotations

import csv
import io
import json

import pytest

from newsdesk import cli
from newsdesk.store import Store

CONTRACT = {
    "articles": ["article_id", "path", "title", "source", "url", "published",
                 "published_precision", "date_basis", "words", "status", "problems", "author"],
    "entities": ["entity_id", "name", "kind", "aliases", "role", "country", "lat", "lon",
                 "mentions", "articles"],
    "mentions": ["article_id", "entity_id", "name", "kind", "text", "start", "end",
                 "sentence"],
    "quotes": ["article_id", "speaker", "speaker_entity_id", "quote", "cue", "kind", "start",
               "end"],
    "texts": ["article_id", "title", "text", "body", "removed"],
}


def run(argv: list[str]) -> int:
    """cli.main's status, whether it returns it or argparse exits with it."""
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code


# -- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--help"], ["usage: newsdesk", "collect", "ingest", "report", "export", "lab",
                      "--version"]),
        (["collect", "--help"], ["usage: newsdesk collect", "SOURCE", "--into", "--since",
                                 "--max-per-feed", "--delay", "--timeout", "--max-bytes",
                                 "--user-agent", "--quiet"]),
        (["ingest", "--help"], ["usage: newsdesk ingest", "path", "--db", "--manifest",
                                "--workers", "--engine", "--batch-size", "--quiet"]),
        (["report", "--help"], ["usage: newsdesk report", "--db", "--out", "--profiles",
                                "--with-code", "--single-file", "--keep", "--keep-notebooks",
                                "--quiet", "--collect"]),
        (["export", "--help"], ["usage: newsdesk export", "articles", "entities", "mentions",
                                "quotes", "quality", "--db", "--format", "csv", "json",
                                "parquet", "--out"]),
        (["lab", "--help"], ["usage: newsdesk lab", "JupyterLab"]),
    ],
)
def test_cli_help_exits_zero_and_lists_options(capsys, argv, expected):
    assert run(argv) == 0
    out = capsys.readouterr().out
    for word in expected:
        assert word in out, word


def test_cli_version(capsys):
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip().startswith("newsdesk ")


@pytest.mark.parametrize("argv", [[], ["bogus"], ["export"], ["export", "nope"],
                                  ["export", "articles", "--format", "xml"]])
def test_cli_usage_errors_exit_2(capsys, argv):
    assert run(argv) == 2
    assert "usage: newsdesk" in capsys.readouterr().err


# -- export ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("table", list(CONTRACT))
def test_cli_export_json_records(capsys, sample_db, table):
    assert run(["export", table, "--db", str(sample_db), "--format", "json"]) == 0
    captured = capsys.readouterr()
    records = json.loads(captured.out)
    assert isinstance(records, list)
    assert records and all(isinstance(r, dict) for r in records)
    for record in records:
        assert set(CONTRACT[table]) <= set(record), set(CONTRACT[table]) - set(record)
    if table == "articles":
        assert list(records[0]) == CONTRACT["articles"]
        assert len(records) == 5
        assert all(isinstance(r["problems"], list) for r in records)
    if table == "entities":
        assert all(isinstance(r["aliases"], list) and r["aliases"] for r in records)
        assert sum(r["mentions"] for r in records) > 0
    if table == "quotes":
        assert {r["kind"] for r in records} == {"direct", "indirect"}
        assert all(isinstance(r["start"], int) and r["end"] > r["start"] for r in records)


@pytest.mark.slow
@pytest.mark.parametrize("table", list(CONTRACT))
def test_cli_export_csv_header(capsys, sample_db, table):
    assert run(["export", table, "--db", str(sample_db), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    header = rows[0]
    assert header[: len(CONTRACT[table])] == CONTRACT[table]
    with Store(sample_db, read_only=True) as store:
        expected_rows = len(store.table(table))
    assert len(rows) - 1 == expected_rows
    assert expected_rows == {"articles": 5}.get(table, expected_rows)
    if table in ("entities", "mentions", "quotes"):
        assert expected_rows > 5
    assert all(len(r) == len(header) for r in rows)


@pytest.mark.slow
def test_cli_export_csv_lists_as_json(capsys, sample_db):
    assert run(["export", "entities", "--db", str(sample_db)]) == 0  # csv is the default
    reader = csv.DictReader(io.StringIO(capsys.readouterr().out))
    for row in reader:
        aliases = json.loads(row["aliases"])
        assert isinstance(aliases, list) and aliases


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_cli_export_to_out_file(capsys, sample_db, tmp_path, fmt):
    out = tmp_path / f"articles.{fmt}"
    assert run(["export", "articles", "--db", str(sample_db), "--format", fmt,
                "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"wrote 5 articles rows to {out}" in captured.err
    content = out.read_text(encoding="utf-8")
    if fmt == "json":
        assert [r["article_id"] for r in json.loads(content)][0] == "000_0d5ff83f0b58c3c9"
    else:
        assert content.splitlines()[0] == ",".join(CONTRACT["articles"])
        assert len(content.splitlines()) == 6


@pytest.mark.slow
def test_cli_export_parquet_needs_out(capsys, sample_db):
    assert run(["export", "articles", "--db", str(sample_db), "--format", "parquet"]) == 2
    assert "--format parquet needs --out" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_export_parquet_to_file(capsys, sample_db, tmp_path):
    import duckdb

    out = tmp_path / "entities.parquet"
    assert run(["export", "entities", "--db", str(sample_db), "--format", "parquet",
                "--out", str(out)]) == 0
    capsys.readouterr()
    columns = [d[0] for d in duckdb.sql(f"SELECT * FROM '{out}'").description]
    assert columns == CONTRACT["entities"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_cli_export_texts_body_is_text_less_removed_spans(capsys, sample_db, tmp_path, fmt):
    import duckdb

    out = tmp_path / f"texts.{fmt}"
    assert run(["export", "texts", "--db", str(sample_db), "--format", fmt,
                "--out", str(out)]) == 0
    capsys.readouterr()
    if fmt == "json":
        records = json.loads(out.read_text(encoding="utf-8"))
    elif fmt == "csv":
        with out.open(encoding="utf-8", newline="") as handle:
            records = [{**r, "removed": json.loads(r["removed"])} for r in csv.DictReader(handle)]
    else:
        records = [dict(zip(CONTRACT["texts"], row, strict=True)) for row in duckdb.sql(
            f"SELECT article_id, title, text, body, removed FROM '{out}'").fetchall()]
    assert len(records) == 5
    with Store(sample_db, read_only=True) as store:
        removed = store.query('SELECT article_id, start, "end", reason FROM removed')
    for record in records:
        text, spans = record["text"], record["removed"]
        assert [(s["start"], s["end"], s["reason"]) for s in spans] == sorted(
            (int(a), int(b), r) for aid, a, b, r in removed.itertuples(index=False)
            if aid == record["article_id"])
        body, at = "", 0
        for span in spans:
            body += text[at : span["start"]]
            at = span["end"]
        assert record["body"] == body + text[at:]
    by_id = {r["article_id"]: r for r in records}
    sample = by_id["004_ad318e8e7e6b0658"]
    assert "You may also like" in sample["text"] and "You may also like" not in sample["body"]
    assert "Witkoff took an early morning stroll" in sample["body"]


@pytest.mark.parametrize("table", ["articles", "quotes"])
def test_cli_export_missing_db_exits_2(capsys, tmp_path, table):
    missing = tmp_path / "no-store.duckdb"
    assert run(["export", table, "--db", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("newsdesk: error: ")
    assert str(missing) in captured.err
    assert not missing.exists()


# -- ingest ----------------------------------------------------------------------------------


def test_cli_ingest_missing_path_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSDESK_MODEL", raising=False)
    missing = tmp_path / "no-articles-here"
    db = tmp_path / "store.duckdb"
    assert run(["ingest", str(missing), "--db", str(db), "-q"]) == 2
    err = capsys.readouterr().err
    assert err == f"newsdesk: error: {missing}: no such file or folder\n"
    assert not db.exists()


def test_cli_ingest_uninstalled_model_exits_2(capsys, tmp_path, monkeypatch, sample_dir):
    monkeypatch.setenv("NEWSDESK_MODEL", "no_such_model_xyz")
    db = tmp_path / "store.duckdb"
    assert run(["ingest", str(sample_dir), "--db", str(db), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("\n")  # one line
    assert err.startswith("newsdesk: error: ")
    assert "no_such_model_xyz" in err
    assert "pip install" in err
    assert "Traceback" not in err
    assert not db.exists()


def test_cli_ingest_scheduler_needs_dask_engine(capsys, tmp_path, sample_dir):
    db = tmp_path / "store.duckdb"
    argv = ["ingest", str(sample_dir), "--db", str(db), "--scheduler", "tcp://127.0.0.1:1"]
    assert run(argv) == 2
    assert "--scheduler needs --engine dask" in capsys.readouterr().err
    assert not db.exists()


@pytest.mark.slow
def test_cli_ingest_ok_then_empty_file_exits_1(capsys, tmp_path, corpus_copy, monkeypatch):
    monkeypatch.delenv("NEWSDESK_MODEL", raising=False)
    db = tmp_path / "store.duckdb"
    assert run(["ingest", str(corpus_copy), "--db", str(db), "-q"]) == 0
    assert "5 articles: 5 parsed" in capsys.readouterr().err
    (corpus_copy / "zz_empty.txt").write_text("", encoding="utf-8")
    assert run(["ingest", str(corpus_copy), "--db", str(db), "-q"]) == 1
    err = capsys.readouterr().err
    assert "6 articles: 0 parsed, 5 unchanged (cached), 1 with problems" in err
    assert "zz_empty.txt: no article text" in err


@pytest.mark.slow
def test_cli_paths_are_relative_to_the_current_directory(tmp_path, sample_dir, monkeypatch):
    work = tmp_path / "work"
    (work / "in").mkdir(parents=True)
    (work / "meta").mkdir()
    for aid in ("000_0d5ff83f0b58c3c9", "003_50e888d2ed398487"):
        (work / "in" / f"{aid}.txt").write_bytes((sample_dir / f"{aid}.txt").read_bytes())
    (work / "meta" / "m.csv").write_text(
        "file,published,published_precision\n000_0d5ff83f0b58c3c9.txt,2024-01-05,day\n",
        encoding="utf-8")
    monkeypatch.chdir(work)
    assert run(["ingest", "in", "--db", "data/s.duckdb", "--manifest", "meta/m.csv",
                "-q"]) == 0
    assert (work / "data" / "s.duckdb").is_file()
    assert run(["export", "articles", "--db", "data/s.duckdb", "--out", "a.csv"]) == 0
    with (work / "a.csv").open(encoding="utf-8") as fh:
        published = {r["article_id"]: r["published"] for r in csv.DictReader(fh)}
    assert published == {"000_0d5ff83f0b58c3c9": "2024-01-05",
                         "003_50e888d2ed398487": "2025-04-02"}
    assert run(["export", "quality", "--db", "data/s.duckdb", "--format", "parquet",
                "--out", "q.parquet"]) == 0
    assert (work / "q.parquet").stat().st_size > 0


@pytest.mark.slow
def test_cli_export_quality_lists_what_could_not_be_settled(capsys, sample_db):
    assert run(["export", "quality", "--db", str(sample_db), "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records and set(records[0]) == {"check", "article_id", "subject", "detail", "count"}
    checks = {r["check"] for r in records}
    assert {"quote_anonymous", "furniture"} <= checks
    furniture = [r for r in records if r["check"] == "furniture"]
    assert all(r["article_id"] and r["count"] >= 1 for r in furniture)
