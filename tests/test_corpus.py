"""Reading articles from files: formats, ids, manifest handling, exact text."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from newsdesk.corpus import (
    CorpusError,
    list_article_files,
    read_corpus,
    read_file,
    read_manifest,
)

BODY = "Officials met in Geneva on Tuesday.\n\nThey said talks would continue.\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _by_id(articles) -> dict:
    return {a.article_id: a for a in articles}


# -- plain files -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".md", ".TXT"])
def test_corpus_text_file_id_is_stem_and_text_unchanged(tmp_path, suffix):
    path = _write(tmp_path / f"story-01{suffix}", "# Heading\n\n" + BODY)
    [article] = read_corpus(path)
    assert article.article_id == "story-01"
    assert article.path == str(path)
    assert article.text == "# Heading\n\n" + BODY
    assert article.published is None and article.date_basis is None
    assert article.problems == ()


def test_corpus_crlf_line_endings_preserved(tmp_path):
    text = "Title Line\r\n\r\nFirst paragraph.\r\nSecond paragraph.\r\n"
    path = tmp_path / "crlf.txt"
    path.write_bytes(text.encode("utf-8"))
    [article] = read_corpus(path)
    assert article.text == text
    assert article.text.count("\r\n") == 4


def test_corpus_utf8_bom_dropped_rest_kept(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "Caf\u00e9 \u201cquoted\u201d\n".encode())
    [article] = read_corpus(path)
    assert article.text == "Caf\u00e9 \u201cquoted\u201d\n"
    assert not article.text.startswith("\ufeff")
    assert article.problems == ()


def test_corpus_invalid_utf8_decoded_as_cp1252_with_problem(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"Price: 5 \x80 today")
    [article] = read_corpus(path)
    assert article.text == "Price: 5 \u20ac today"
    assert len(article.problems) == 1
    assert "not valid UTF-8" in article.problems[0]
    assert "byte 9" in article.problems[0]


def test_corpus_content_hash_is_sha256_of_text(tmp_path):
    path = _write(tmp_path / "a.txt", BODY)
    [article] = read_corpus(path)
    assert article.content_hash == hashlib.sha256(BODY.encode("utf-8")).hexdigest()


# -- HTML ------------------------------------------------------------------------------------


def test_corpus_html_visible_text_title_and_meta(tmp_path):
    page = (
        "<html><head><title>Fallback</title>"
        '<meta property="og:title" content="Talks &amp; Deals">'
        '<meta property="og:site_name" content="Daily Planet">'
        '<meta property="og:url" content="https://example.org/a">'
        '<meta property="article:published_time" content="2025-04-02T10:00:00Z">'
        "<style>p {color: red}</style><script>var x = 1;</script></head>"
        "<body><article><p>First   paragraph.</p><p>Second paragraph.</p></article></body>"
        "</html>"
    )
    path = _write(tmp_path / "page.html", page)
    [article] = read_corpus(path)
    assert article.article_id == "page"
    assert article.text == "First paragraph.\n\nSecond paragraph."
    assert article.title == "Talks & Deals"
    assert article.source == "Daily Planet"
    assert article.url == "https://example.org/a"
    assert article.published == "2025-04-02T10:00:00Z"
    assert article.date_basis == "metadata"
    assert any("HTML" in p for p in article.problems)


# -- records ---------------------------------------------------------------------------------


def test_corpus_json_list_of_records_fields(tmp_path):
    records = [
        {"id": "r1", "title": " First ", "text": "Body one.", "source": "Wire",
         "url": "https://x.test/1", "published": "2025-03-01"},
        {"id": "r2", "body": "Body two.", "date": "2025-03"},
        {"id": "r3", "text": "", "content": "Body three."},
        "not a record",
    ]
    path = _write(tmp_path / "batch.json", json.dumps(records))
    articles = _by_id(read_corpus(path))
    assert set(articles) == {"r1", "r2", "r3"}
    r1, r2, r3 = articles["r1"], articles["r2"], articles["r3"]
    assert (r1.text, r1.title, r1.source, r1.url) == (
        "Body one.", "First", "Wire", "https://x.test/1"
    )
    assert (r1.published, r1.date_basis) == ("2025-03-01", "metadata")
    assert (r2.text, r2.published, r2.title) == ("Body two.", "2025-03", None)
    assert r3.text == "Body three."  # the first non-empty text field
    assert r3.published is None and r3.date_basis is None


def test_corpus_json_single_object(tmp_path):
    path = _write(tmp_path / "one.json", json.dumps({"id": "solo", "text": "Alone."}))
    [article] = read_corpus(path)
    assert (article.article_id, article.text) == ("solo", "Alone.")


def test_corpus_record_without_id_gets_stable_hash_id(tmp_path):
    path = _write(tmp_path / "anon.json", json.dumps([{"text": "A."}, {"id": " ", "text": "B."}]))
    first = [a.article_id for a in read_corpus(path)]
    again = [a.article_id for a in read_corpus(path)]
    expected_0 = hashlib.sha256(b"anon.json:0:A.").hexdigest()[:16]
    expected_1 = hashlib.sha256(b"anon.json:1:B.").hexdigest()[:16]
    assert first == [expected_0, expected_1]
    assert again == first


def test_corpus_jsonl_bad_line_reported_not_fatal(tmp_path):
    lines = [
        json.dumps({"id": "j1", "text": "One."}),
        "",
        "{not json",
        json.dumps({"id": "j2", "text": "Two."}),
    ]
    path = _write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    articles = list(read_corpus(path))
    assert [a.article_id for a in articles] == ["j1", "j2"]
    assert len(articles[0].problems) == 1
    assert articles[0].problems[0].startswith("line 3: not JSON")
    assert articles[1].problems == ()


def test_corpus_invalid_json_file_raises(tmp_path):
    path = _write(tmp_path / "broken.json", "[{")
    with pytest.raises(CorpusError, match="broken.json: not JSON"):
        list(read_corpus(path))


def test_corpus_csv_records(tmp_path):
    path = _write(
        tmp_path / "table.csv",
        "id,title,text,published\nc1,Alpha,Body alpha.,2025-01-05\nc2,,Body beta.,\n",
    )
    articles = list(read_corpus(path))
    assert [(a.article_id, a.title, a.text, a.published) for a in articles] == [
        ("c1", "Alpha", "Body alpha.", "2025-01-05"),
        ("c2", None, "Body beta.", None),
    ]


def test_corpus_csv_multiline_text_field_kept_exactly(tmp_path):
    path = _write(tmp_path / "multi.csv", 'id,text\nm1,"Para one.\n\nPara two."\n')
    [article] = read_corpus(path)
    assert article.text == "Para one.\n\nPara two."


def test_corpus_jsonl_line_separator_inside_string(tmp_path):
    record = json.dumps({"id": "u1", "text": "One\u2028two."}, ensure_ascii=False)
    path = _write(tmp_path / "sep.jsonl", record + "\n")
    [article] = read_corpus(path)
    assert article.text == "One\u2028two."
    assert article.problems == ()


# -- folders ---------------------------------------------------------------------------------


def test_corpus_folder_skips_readme_manifest_hidden_and_unsupported(tmp_path):
    _write(tmp_path / "b.txt", BODY)
    _write(tmp_path / "a.md", BODY)
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "c.txt", BODY)
    _write(tmp_path / "README.md", "# About this folder\n")
    _write(tmp_path / "LICENSE.txt", "MIT\n")
    _write(tmp_path / "manifest.csv", "file,published\nb.txt,2025-01-01\n")
    _write(tmp_path / "notes.docx", "x")
    (tmp_path / ".hidden").mkdir()
    _write(tmp_path / ".hidden" / "d.txt", BODY)
    _write(tmp_path / ".e.txt", BODY)
    files = list_article_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.md", "b.txt", "sub/c.txt"]
    assert [a.article_id for a in read_corpus(tmp_path)] == ["a", "b", "c"]


def test_corpus_sample_readme_not_an_article(sample_dir):
    ids = [a.article_id for a in read_corpus(sample_dir)]
    assert len(ids) == 5
    assert "README" not in ids
    assert all(len(i) == len("000_0d5ff83f0b58c3c9") for i in ids)


def test_corpus_missing_path_raises(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(CorpusError, match="no such file or folder") as info:
        list(read_corpus(missing))
    assert str(missing) in str(info.value)


def test_corpus_folder_without_articles_raises(tmp_path):
    _write(tmp_path / "README.md", "nothing\n")
    with pytest.raises(CorpusError, match="no articles found"):
        list(read_corpus(tmp_path))


def test_corpus_unsupported_single_file_raises(tmp_path):
    path = _write(tmp_path / "doc.pdf", "x")
    with pytest.raises(CorpusError, match="no articles found"):
        list(read_corpus(path))


# -- manifest --------------------------------------------------------------------------------


def test_corpus_manifest_values_win_over_file(tmp_path):
    _write(
        tmp_path / "feed.json",
        json.dumps([{"id": "r1", "title": "File title", "source": "File source",
                     "url": "https://file.test", "published": "2024-01-01", "text": "Body."}]),
    )
    _write(
        tmp_path / "manifest.csv",
        "id,title,source,published,note\nr1,Manifest title,Manifest source,2025-02,estimated\n",
    )
    [article] = read_corpus(tmp_path)
    assert article.title == "Manifest title"
    assert article.source == "Manifest source"
    assert article.url == "https://file.test"  # the manifest leaves it open
    assert article.published == "2025-02"
    assert article.published_precision == "month"
    assert article.date_basis == "manifest"
    assert article.note == "estimated"


def test_corpus_manifest_matched_by_file_name(tmp_path):
    _write(tmp_path / "a.txt", BODY)
    _write(tmp_path / "b.txt", BODY)
    _write(tmp_path / "manifest.csv", "file,published,title\na.txt,2025-03-04,Alpha\n")
    articles = _by_id(read_corpus(tmp_path))
    assert (articles["a"].published, articles["a"].published_precision) == ("2025-03-04", "day")
    assert articles["a"].title == "Alpha"
    assert articles["b"].published is None and articles["b"].title is None


def test_corpus_manifest_matched_by_path_relative_to_the_folder(tmp_path):
    for host in ("one.test", "two.test"):
        (tmp_path / host).mkdir()
        _write(tmp_path / host / f"{host[:3]}.txt", BODY)
    _write(tmp_path / "manifest.csv", "file,title\none.test/one.txt,First\n"
           "two.test/gone.txt,Missing\n")
    articles = _by_id(read_corpus(tmp_path))
    assert articles["one"].title == "First"
    assert articles["one"].problems == ()
    assert articles["two"].title is None
    assert articles["gone"].status == "missing"
    assert articles["gone"].path == str(tmp_path / "two.test" / "gone.txt")


def test_corpus_explicit_manifest_argument(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    _write(folder / "a.txt", BODY)
    other = _write(tmp_path / "meta.csv", "file,published\na.txt,2024\n")
    [article] = read_corpus(folder, manifest=other)
    assert (article.published, article.published_precision) == ("2024", "year")


@pytest.mark.parametrize(
    ("published", "precision", "expected_precision", "problem"),
    [
        ("2025-02-03", "", "day", None),
        ("2025-02", "", "month", None),
        ("2025", "", "year", None),
        ("2025-02-03", "month", "month", None),  # coarser than the date: allowed
        ("2025-02", "day", "month", "published_precision 'day' finer than '2025-02'"),
        ("2025", "month", "year", "published_precision 'month' finer than '2025'"),
        ("2025-02", "weekly", "month", "published_precision 'weekly' unknown; using 'month'"),
    ],
)
def test_corpus_manifest_precision(tmp_path, published, precision, expected_precision, problem):
    path = _write(
        tmp_path / "manifest.csv",
        f"file,published,published_precision\na.txt,{published},{precision}\n",
    )
    manifest = read_manifest(path)
    entry = manifest.entries["a.txt"]
    assert entry.published == published
    assert entry.published_precision == expected_precision
    if problem is None:
        assert manifest.problems == ()
    else:
        assert manifest.problems == (f"manifest.csv line 2: {problem}",)


@pytest.mark.parametrize("bad", ["02/03/2025", "March 2025", "2025-2-3", "soon"])
def test_corpus_manifest_malformed_date_reported_not_fatal(tmp_path, bad):
    _write(tmp_path / "a.txt", BODY)
    _write(tmp_path / "b.txt", BODY)
    _write(
        tmp_path / "manifest.csv",
        f'file,published,published_precision,note\na.txt,"{bad}",day,kept\nb.txt,2025-01-02,,\n',
    )
    articles = list(read_corpus(tmp_path))
    assert [a.article_id for a in articles] == ["a", "b"]
    a, b = articles
    assert a.published is None and a.published_precision is None and a.date_basis is None
    assert a.note == "kept"  # the rest of the row still applies
    assert len(a.problems) == 1
    assert "line 2" in a.problems[0] and bad in a.problems[0]
    assert (b.published, b.date_basis) == ("2025-01-02", "manifest")
    assert b.problems == ()


@pytest.mark.parametrize("impossible", ["2025-02-30", "2025-13"])
def test_corpus_manifest_impossible_date_reported(tmp_path, impossible):
    path = _write(tmp_path / "manifest.csv", f"file,published\na.txt,{impossible}\n")
    manifest = read_manifest(path)
    assert any(impossible in p for p in manifest.problems)
    assert manifest.entries["a.txt"].published is None


def test_corpus_manifest_duplicate_and_empty_rows_reported(tmp_path):
    path = _write(
        tmp_path / "manifest.csv",
        "file,published\na.txt,2025-01-01\n,2025-01-02\na.txt,2025-01-03\n",
    )
    manifest = read_manifest(path)
    assert manifest.entries["a.txt"].published == "2025-01-01"  # first row wins
    assert manifest.problems == (
        "manifest.csv line 3: empty 'file'; row ignored",
        "manifest.csv line 4: 'a.txt' listed again (first on line 2); row ignored",
    )


def test_corpus_manifest_without_key_column_ignored(tmp_path):
    _write(tmp_path / "a.txt", BODY)
    _write(tmp_path / "manifest.csv", "name,published\na.txt,2025-01-01\n")
    [article] = read_corpus(tmp_path)
    assert article.published is None
    assert article.problems == ("manifest.csv: no 'file' or 'id' column; manifest ignored",)


def test_corpus_manifest_problems_attached_to_the_article_their_row_names(tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        _write(tmp_path / name, BODY)
    _write(tmp_path / "manifest.csv", "file,published\na.txt,bad\nb.txt,worse\n,x\n")
    articles = list(read_corpus(tmp_path))
    assert [len(a.problems) for a in articles] == [2, 1, 1]
    assert "line 2" in articles[0].problems[0]
    assert "line 4: empty 'file'" in articles[0].problems[1]  # no article's row: the first
    assert "line 3" in articles[1].problems[0]
    assert articles[2].problems == ("not listed in manifest.csv; no manifest metadata",)


def test_corpus_manifest_header_whitespace_tolerated(tmp_path):
    path = _write(tmp_path / "manifest.csv", " file , published \n a.txt , 2025-06 \n")
    manifest = read_manifest(path)
    assert manifest.entries["a.txt"].published == "2025-06"
    assert manifest.problems == ()


def test_corpus_read_file_sample_matches_disk(sample_dir, sample_texts):
    for stem, text in sample_texts.items():
        [article] = read_file(sample_dir / f"{stem}.txt")
        assert article.text == text
