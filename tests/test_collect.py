"""Collecting feeds and pages over HTTP, against a real server on 127.0.0.1 (``news_site``):
what is saved, what is reported, what is never fetched, and that nothing else is contacted."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from datetime import date
from pathlib import Path

import pytest

from newsdesk import cli
from newsdesk.collect import (
    MAX_RUNS,
    STATE_NAME,
    CollectError,
    Entry,
    Settings,
    canonical_url,
    collect,
    entry_date,
    page_path,
    parse_feed,
    read_sources,
    retry_after,
    select_entries,
)
from newsdesk.corpus import read_corpus

#: Short waits so that the suite stays quick; the 429 test waits the 1 s its server asks for.
FAST = Settings(delay=0.01, timeout=0.5, max_bytes=100_000, backoff=0.01, retries=2)
FEEDS = ("/feeds/wire.rss", "/feeds/desk.atom", "/feeds/broken.rss", "/feeds/not-xml.rss")
SAVED = {  # path on the site -> (title, source, published, precision) in the manifest
    "/news/port-reopens.html": ("Port reopens after storm", "Harbour Wire", "2025-04-02", "day"),
    "/news/council-budget.html": ("Council votes on budget", "Harbour Wire", "2025-04-01",
                                  "day"),
    "/news/moved.html": ("Moved story", "Harbour Wire", "", ""),
    "/desk/ferry-strike.html": ("Ferry strike ends", "Evening Desk", "2025-03", "month"),
    "/desk/harbour-lights.html": ("", "Evening Desk", "2025-04-03", "day"),
    "/news/trawlers.html": ("Trawlers return", "Fish & Ships", "2025-03-31", "day"),
}
FAILED = {  # path on the site -> what is reported
    "/feeds/broken.rss": r"feed is not well-formed XML \(not well-formed \(invalid token\), "
                         r"line 1\); 1 entry read leniently, others may be lost",
    "/feeds/not-xml.rss": r"not a feed: not well-formed XML \(syntax error, line \d+\)",
    "/private/memo.html": r"disallowed by http://127\.0\.0\.1:\d+/robots\.txt; not fetched",
    "/news/missing.html": r"HTTP 404 Not Found",
    "/news/error.html": r"HTTP 500 Internal Server Error \(3 attempts\); tried again on the "
                        r"next run",
    "/news/slow.html": r"timed out after 0\.5 s \(ReadTimeout\); tried again on the next run",
    "/loop/a": r"redirect loop: \S+/loop/a -> \S+/loop/b -> \S+/loop/a",
    "/news/huge.html": r"too large: 300,\d{3} bytes, over the limit of 100,000 bytes "
                       r"\(--max-bytes\); not saved",
    "/news/huge-stream.html": r"too large: more than the limit of 100,000 bytes "
                              r"\(--max-bytes\); not saved",
    "/files/report.pdf": r"not an HTML page: Content-Type application/pdf; not saved",
}


def run(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code


def _manifest(folder: Path) -> list[dict[str, str]]:
    with open(folder / "manifest.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _collect_all(site, into: Path, settings: Settings = FAST):
    return collect([site.url(p) for p in FEEDS], into, settings=settings)


# -- URLs, names, dates (pure) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://News.Example/a/b.html?id=7&utm_source=rss&UTM_Medium=x#top",
         "https://news.example/a/b.html?id=7"),
        ("http://news.example:80", "http://news.example/"),
        ("https://news.example:8443/x?b=2&a=1", "https://news.example:8443/x?b=2&a=1"),
        ("http://news.example/x?utm_campaign=a", "http://news.example/x"),
        ("https://user:secret@news.example/x", "https://news.example/x"),
    ],
)
def test_collect_canonical_url_drops_fragment_and_utm(url, expected):
    assert canonical_url(url) == expected


HOSTILE = [
    "http://news.example/../../etc/passwd",
    "http://news.example/%2e%2e/%2e%2e/secret",
    "http://news.example/a/" + "very-long-" * 100 + ".html",
    "http://news.example/",
    "http://news.example/index.html",
    "http://news.example/story?id=1",
    "http://news.example/story?id=2",
    "http://xn--nws-fla.example:8080/Ünïcode Story/",
    "http://..:81/x",
    "http://news.example/a\\..\\..\\b",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_collect_page_path_is_safe_and_bounded(url):
    path = page_path(url)
    assert len(path.parts) == 2
    host, name = path.parts
    assert re.fullmatch(r"[a-z0-9][a-z0-9.\-]*(_\d+)?", host), host
    assert re.fullmatch(r"[a-z0-9][a-z0-9\-]{0,59}-[0-9a-f]{10}\.html", name), name
    assert ".." not in name and not host.startswith(".")


def test_collect_page_path_is_unique_per_url_and_stable():
    paths = [page_path(u) for u in HOSTILE]
    assert len(set(paths)) == len(HOSTILE)
    assert page_path("http://News.example/story?id=1#x&utm_source=a") == page_path(HOSTILE[5])
    assert str(page_path("https://news.example/2025/04/02/port-reopens.html")).startswith(
        "news.example/port-reopens-")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wed, 02 Apr 2025 23:30:00 -0500", ("2025-04-02", "day")),  # UTC would be 04-03
        ("2025-04-03T01:15:00+02:00", ("2025-04-03", "day")),
        ("2025-04-03T01:15:00Z", ("2025-04-03", "day")),
        ("2025-03", ("2025-03", "month")),
        ("2025", ("2025", "year")),
        ("2025-13", None),
        ("sometime last spring", None),
        (None, None),
    ],
)
def test_collect_entry_date_keeps_the_publishers_date_and_precision(raw, expected):
    assert entry_date(raw) == expected


def test_collect_entry_date_falls_back_to_feedparsers_date():
    assert entry_date("Mittwoch", time.gmtime(1743638400)) == ("2025-04-03", "day")


ENTRIES = [Entry("http://a/1", published="2025-04-02", published_precision="day"),
           Entry("http://a/2"),
           Entry("http://a/3", published="2025-03", published_precision="month"),
           Entry("http://a/4", published="2025-03-30", published_precision="day"),
           Entry("http://a/5", published="2024", published_precision="year")]


@pytest.mark.parametrize(
    ("since", "max_per_feed", "expected"),
    [
        (None, None, ["1", "2", "3", "4", "5"]),
        (date(2025, 3, 31), None, ["1", "2", "3"]),  # undated kept; 2025-03 may be the 31st
        (date(2025, 4, 1), None, ["1", "2"]),
        (None, 2, ["1", "2"]),
        (date(2025, 3, 31), 0, []),
    ],
)
def test_collect_select_entries_since_and_max_per_feed(since, max_per_feed, expected):
    chosen = select_entries(ENTRIES, since=since, max_per_feed=max_per_feed)
    assert [e.url.rsplit("/", 1)[1] for e in chosen] == expected


def test_collect_retry_after_seconds_or_http_date():
    now = date(2025, 4, 2)
    from datetime import UTC, datetime

    moment = datetime(now.year, now.month, now.day, 12, tzinfo=UTC)
    assert retry_after("7") == 7.0
    assert retry_after("Wed, 02 Apr 2025 12:00:30 GMT", now=moment) == 30.0
    assert retry_after("Wed, 02 Apr 2025 11:00:00 GMT", now=moment) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


@pytest.mark.parametrize(
    ("feed", "title", "entry_title"),
    [
        (b"<rss version='2.0'><channel><title>A &amp;amp; B</title><item><title>Fish &amp;amp; "
         b"&lt;b&gt;chips&lt;/b&gt;</title><link>/a</link></item></channel></rss>",
         "A & B", "Fish & chips"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'><title type='text'>Q&amp;amp;A</title>"
         b"<entry><title type='html'>Fish &amp;amp; &lt;i&gt;chips&lt;/i&gt;</title>"
         b"<link href='/a'/></entry></feed>", "Q&amp;A", "Fish & chips"),
    ],
)
def test_collect_parse_feed_titles_are_plain_text(feed, title, entry_title):
    parsed = parse_feed(feed, url="http://news.example/feed")
    assert parsed.title == title
    assert [(e.url, e.title, e.source) for e in parsed.entries] == [
        ("http://news.example/a", entry_title, title)]


def test_collect_read_sources_files_comments_and_bad_lines(tmp_path):
    listing = tmp_path / "feeds.txt"
    listing.write_text("# morning feeds\nhttps://a.example/feed.xml  # the wire\n\n"
                       "https://a.example/feed.xml\nnot a url\nftp://b.example/x\n"
                       "  https://b.example/story.html#part2\n", encoding="utf-8")
    urls, problems = read_sources(["https://c.example/x", str(listing)])
    assert urls == ["https://c.example/x", "https://a.example/feed.xml",
                    "https://b.example/story.html"]
    assert problems == [(f"{listing} line 5", "not an http(s) URL: 'not a url'"),
                        (f"{listing} line 6", "not an http(s) URL: 'ftp://b.example/x'")]


@pytest.mark.parametrize(
    ("source", "message"),
    [("ftp://a.example/feed", "not an http or https URL"),
     ("no-such-feeds.txt", "no such file, and not an http(s) URL")],
)
def test_collect_read_sources_unusable_argument_raises(source, message):
    with pytest.raises(CollectError, match=re.escape(message)):
        read_sources([source])


# -- against the news site ---------------------------------------------------------------------


def test_collect_feeds_save_pages_and_manifest_rows(news_site, tmp_path, loopback_only):
    into = tmp_path / "inbox"
    result = _collect_all(news_site, into)
    rows = {row["url"]: row for row in _manifest(into)}
    assert set(rows) == {news_site.url(p) for p in SAVED}  # canonical: no utm_, no fragment
    for path, (title, source, published, precision) in SAVED.items():
        row = rows[news_site.url(path)]
        assert (row["title"], row["source"], row["published"],
                row["published_precision"]) == (title, source, published, precision)
        assert row["file"] == str(page_path(news_site.url(path)))
        saved = (into / row["file"]).read_bytes()
        assert saved == news_site.routes[path][2]  # the bytes as served
    assert sorted(result.saved) == sorted(r["file"] for r in rows.values())
    assert result.feeds == 4 and result.unlinked == 1
    assert news_site.count("/news/council-budget.html") == 1  # in two feeds, fetched once
    assert {h for h in loopback_only.connected} == {"127.0.0.1"}
    assert loopback_only.denied == []


def test_collect_reports_each_failure_and_goes_on(news_site, tmp_path, capsys):
    result = _collect_all(news_site, tmp_path / "inbox")
    err = capsys.readouterr().err
    assert {url: problem for url, problem in result.failures}.keys() == {
        news_site.url(p) for p in FAILED}
    for url, problem in result.failures:
        expected = FAILED[url.removeprefix(news_site.url(""))]
        assert re.fullmatch(expected, problem), (url, problem)
        assert f"newsdesk: {url}: {problem}\n" in err
    assert len(result.saved) == len(SAVED)
    assert news_site.count("/news/error.html") == FAST.retries + 1


def test_collect_never_fetches_a_path_robots_disallows(news_site, tmp_path):
    result = collect([news_site.url("/feeds/wire.rss"), news_site.url("/private/memo.html")],
                     tmp_path / "inbox", settings=FAST)
    assert not any(p.startswith("/private/") for p in news_site.paths())
    assert [u for u, _ in result.failures].count(news_site.url("/private/memo.html")) == 1
    assert news_site.paths()[0] == "/robots.txt" and news_site.count("/robots.txt") == 1


def test_collect_second_run_fetches_nothing_new(news_site, tmp_path):
    into = tmp_path / "inbox"
    _collect_all(news_site, into)
    manifest_before = (into / "manifest.csv").read_bytes()
    files_before = sorted(into.rglob("*.html"))
    first = len(news_site.requests)
    again = _collect_all(news_site, into)
    second = news_site.requests[first:]
    paths = [r.path.split("?")[0] for r in second]
    # feeds are read again (the Atom one conditionally: 304); of the pages, only those that
    # failed for a passing reason are tried again
    assert paths == ["/robots.txt", *FEEDS, *["/news/error.html"] * 3, "/news/slow.html"]
    desk = next(r for r in second if r.path == "/feeds/desk.atom")
    assert desk.headers["if-none-match"] == '"desk-v1"'
    assert again.saved == [] and again.unchanged == 1
    # entries seen before: the wire's 3 saved and 6 given up, the broken feed's one (the
    # Atom feed, unchanged, lists none)
    assert again.skipped == 3 + 6 + 1
    assert (into / "manifest.csv").read_bytes() == manifest_before
    assert sorted(into.rglob("*.html")) == files_before


def test_collect_gives_up_on_a_passing_failure_after_max_runs(news_site, tmp_path):
    settings = Settings(delay=0.01, timeout=0.5, backoff=0.01, retries=0)
    feed = news_site.url("/feeds/flaky.rss")
    problems = [collect([feed], tmp_path, settings=settings).failures for _ in range(MAX_RUNS)]
    assert [p[0][1] for p in problems] == (
        ["HTTP 500 Internal Server Error (1 attempts); tried again on the next run"]
        * (MAX_RUNS - 1)
        + [f"HTTP 500 Internal Server Error (1 attempts); given up after {MAX_RUNS} runs"])
    last = collect([feed], tmp_path, settings=settings)
    assert last.failures == [] and last.skipped == 1
    assert news_site.count("/news/error.html") == MAX_RUNS


def test_collect_honours_retry_after_on_429(news_site, tmp_path):
    result = collect([news_site.url("/news/busy.html")], tmp_path, settings=FAST)
    first, second = [r.at for r in news_site.requests if r.path == "/news/busy.html"]
    assert second - first >= 1.0
    assert result.failures == [] and len(result.saved) == 1


def test_collect_does_not_wait_for_a_long_retry_after(news_site, tmp_path):
    started = time.monotonic()
    result = collect([news_site.url("/news/later.html")], tmp_path, settings=FAST)
    assert time.monotonic() - started < 10
    assert result.failures == [(news_site.url("/news/later.html"), (
        "HTTP 429 Too Many Requests; the server asks to wait 3600 s (Retry-After), over "
        "120 s"))]
    assert news_site.count("/news/later.html") == 1


def test_collect_backs_off_exponentially_on_5xx(news_site, tmp_path):
    settings = Settings(delay=0.0, timeout=0.5, backoff=0.1, retries=2)
    collect([news_site.url("/news/error.html")], tmp_path, settings=settings)
    times = [r.at for r in news_site.requests if r.path == "/news/error.html"]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 3
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2


def test_collect_spaces_requests_to_one_host(news_site, tmp_path):
    settings = Settings(delay=0.2, timeout=2.0)
    collect([news_site.url("/feeds/desk.atom")], tmp_path, settings=settings)
    times = [r.at for r in news_site.requests]
    assert len(times) == 5  # robots.txt, the feed, three pages
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.2


def test_collect_url_list_file_and_article_urls(news_site, tmp_path, capsys):
    listing = tmp_path / "sources.txt"
    listing.write_text(f"# what we follow\n{news_site.url('/news/trawlers.html')}\n"
                       f"{news_site.url('/feeds/desk.atom')}  # the evening desk\n"
                       "mailto:desk@example.org\n", encoding="utf-8")
    into = tmp_path / "inbox"
    result = collect([str(listing)], into, settings=FAST)
    rows = {row["url"]: row for row in _manifest(into)}
    assert len(rows) == 4
    trawlers = rows[news_site.url("/news/trawlers.html")]
    assert (trawlers["title"], trawlers["source"], trawlers["published"]) == (
        "", "127.0.0.1", "")
    assert result.failures == [(f"{listing} line 4",
                                "not an http(s) URL: 'mailto:desk@example.org'")]
    assert f"newsdesk: {listing} line 4: not an http(s) URL" in capsys.readouterr().err
    again = collect([str(listing)], into, settings=FAST)
    assert news_site.count("/news/trawlers.html") == 1
    assert (again.skipped, again.unchanged, again.saved) == (1, 1, [])


def test_collect_redirect_is_saved_under_its_target(news_site, tmp_path):
    collect([news_site.url("/old/moved.html")], tmp_path, settings=FAST)
    [row] = _manifest(tmp_path)
    assert row["url"] == news_site.url("/news/moved.html")
    state = json.loads((tmp_path / STATE_NAME).read_text())["urls"]
    assert state[news_site.url("/old/moved.html")]["file"] == row["file"]
    assert state[news_site.url("/news/moved.html")]["status"] == "saved"
    result = collect([news_site.url("/news/moved.html")], tmp_path, settings=FAST)
    assert result.skipped == 1 and news_site.count("/news/moved.html") == 1


@pytest.mark.parametrize(
    ("path", "feeds", "saved", "problem"),
    [
        ("/news/plain.html", 0, 1, None),  # served as text/plain, but an HTML page
        ("/feeds/as-html.rss", 1, 1, None),  # served as text/html, but a feed
        ("/files/blob", 0, 0, "not an HTML page or an RSS or Atom feed: Content-Type "
                              "application/octet-stream and the content is neither; not saved"),
        ("/news/image.png", 0, 0, "not an HTML page or an RSS or Atom feed: Content-Type "
                                  "image/png; not saved"),
    ],
)
def test_collect_content_type_is_checked_then_the_bytes(news_site, tmp_path, path, feeds,
                                                        saved, problem):
    result = collect([news_site.url(path)], tmp_path, settings=FAST)
    assert (result.feeds, len(result.saved)) == (feeds, saved)
    assert len(list(tmp_path.rglob("*.html"))) == saved
    assert result.failures == ([(news_site.url(path), problem)] if problem else [])


@pytest.mark.parametrize(
    ("robots", "fetched", "problem"),
    [
        ((404, {}, b""), True, None),  # no robots.txt: everything allowed
        ((403, {}, b""), False, r"disallowed by \S+/robots\.txt; not fetched"),
        ((503, {}, b""), False, r"\S+/robots\.txt cannot be read \(HTTP 503 Service "
                                r"Unavailable \(3 attempts\)\); nothing fetched from this host"),
        ((200, {}, b"User-agent: newsdesk\nDisallow: /news/\n\nUser-agent: *\nAllow: /\n"),
         False, r"disallowed by .*"),  # rules for newsdesk by name
        ((200, {}, b"User-agent: otherbot\nDisallow: /\n"), True, None),
    ],
)
def test_collect_robots_txt_answers(news_site, tmp_path, robots, fetched, problem):
    news_site.routes["/robots.txt"] = robots
    result = collect([news_site.url("/news/trawlers.html")], tmp_path, settings=FAST)
    assert (news_site.count("/news/trawlers.html") == 1) is fetched
    if problem:
        [(url, reported)] = result.failures
        assert re.fullmatch(problem, reported), reported
    else:
        assert result.failures == [] and len(result.saved) == 1


def test_collect_obeys_a_longer_crawl_delay(news_site, tmp_path):
    news_site.routes["/robots.txt"] = (200, {}, b"User-agent: *\nCrawl-delay: 1\n")
    collect([news_site.url("/news/trawlers.html")], tmp_path, settings=FAST)
    robots, page = news_site.requests
    assert page.path == "/news/trawlers.html" and page.at - robots.at >= 1.0


def test_collect_keeps_other_manifest_rows_and_columns(news_site, tmp_path):
    (tmp_path / "local.txt").write_text("A local note about the harbour.\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text(
        "file,published,desk,note\nlocal.txt,2025-01-02,ports,typed in\n", encoding="utf-8")
    collect([news_site.url("/desk/ferry-strike.html")], tmp_path, settings=FAST)
    rows = _manifest(tmp_path)
    assert list(rows[0]) == ["file", "published", "desk", "note", "url", "title", "source",
                             "published_precision"]
    assert rows[0] == {"file": "local.txt", "published": "2025-01-02", "desk": "ports",
                       "note": "typed in", "url": "", "title": "", "source": "",
                       "published_precision": ""}
    assert rows[1]["url"] == news_site.url("/desk/ferry-strike.html")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"file,title\nlocal.txt,One,extra value\n",
      r"manifest.csv line 2: more values than columns"),
     (b"PK\x03\x04 a spreadsheet saved over it", r"manifest.csv: not text \(a ZIP archive")],
)
def test_collect_manifest_it_cannot_rewrite_is_left_alone(news_site, tmp_path, content,
                                                          message):
    (tmp_path / "manifest.csv").write_bytes(content)
    with pytest.raises(CollectError, match=message):
        collect([news_site.url("/desk/ferry-strike.html")], tmp_path, settings=FAST)
    assert (tmp_path / "manifest.csv").read_bytes() == content
    assert news_site.requests == []


def test_collect_folder_reads_as_a_corpus_with_the_feeds_metadata(news_site, tmp_path):
    _collect_all(news_site, tmp_path)
    articles = {a.url: a for a in read_corpus(tmp_path)}
    port = articles[news_site.url("/news/port-reopens.html")]
    assert (port.title, port.source, port.published, port.date_basis) == (
        "Port reopens after storm", "Harbour Wire", "2025-04-02", "manifest")
    assert "northern quay" in port.text and port.problems[-1].startswith("HTML")
    lights = articles[news_site.url("/desk/harbour-lights.html")]
    assert lights.title == "Harbour lights on"  # the feed has none: the page's own
    assert all(a.status is None for a in articles.values())


def test_collect_state_is_written_atomically_and_a_bad_one_stops(news_site, tmp_path):
    collect([news_site.url("/desk/ferry-strike.html")], tmp_path, settings=FAST)
    assert json.loads((tmp_path / STATE_NAME).read_text())["version"] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    (tmp_path / STATE_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(CollectError, match=rf"{STATE_NAME}: cannot be read .*fix or remove"):
        collect([news_site.url("/desk/ferry-strike.html")], tmp_path, settings=FAST)


def test_collect_one_run_at_a_time_per_folder(news_site, tmp_path):
    with open(tmp_path / ".collect.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242")
        held.flush()
        with pytest.raises(CollectError, match="another newsdesk collect .*process 4242"):
            collect([news_site.url("/desk/ferry-strike.html")], tmp_path, settings=FAST)
    assert news_site.requests == []


def test_collect_guard_refuses_every_other_host(loopback_only, tmp_path):
    result = collect(["http://192.0.2.7/story.html", "http://news.invalid/feed.xml"],
                     tmp_path, settings=FAST)
    assert loopback_only.denied == ["192.0.2.7", "news.invalid"]
    assert loopback_only.connected == []
    assert [u for u, _ in result.failures] == ["http://192.0.2.7/story.html",
                                               "http://news.invalid/feed.xml"]
    assert all("robots.txt cannot be read" in p for _, p in result.failures)


# -- the command -------------------------------------------------------------------------------


def _fast_args(into: Path) -> list[str]:
    return ["--into", str(into), "--delay", "0.01", "--timeout", "0.5", "--max-bytes",
            "100000"]


def test_collect_cli_exit_status(news_site, tmp_path, capsys):
    ok = ["collect", news_site.url("/feeds/desk.atom"), *_fast_args(tmp_path / "a")]
    assert run(ok) == 0
    err = capsys.readouterr().err
    assert err.endswith(f"newsdesk: collected 3 new page(s) into {tmp_path / 'a'} from 1 "
                        "feed(s) (0 unchanged); 0 seen on an earlier run; 0 failed\n")
    assert run(ok) == 0  # the same again: a 304
    assert "(1 unchanged)" in capsys.readouterr().err
    some_failed = ["collect", news_site.url("/news/missing.html"),
                   news_site.url("/news/trawlers.html"), *_fast_args(tmp_path / "b")]
    assert run(some_failed) == 1
    err = capsys.readouterr().err
    assert f"newsdesk: {news_site.url('/news/missing.html')}: HTTP 404 Not Found\n" in err
    assert len(_manifest(tmp_path / "b")) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["collect", "no-such-list.txt", "--into", "x"], "no such file"),
        (["collect", "ftp://a.example/feed", "--into", "x"], "not an http or https URL"),
        (["collect", "http://a.example/feed"], "--into"),
        (["collect", "http://a.example/feed", "--into", "x", "--since", "April"],
         "not a date"),
        (["collect", "http://a.example/feed", "--into", "x", "--delay", "-1"],
         "not a number of seconds"),
        (["collect", "http://a.example/feed", "--into", "x", "--max-per-feed", "-3"],
         "not a whole number"),
        (["report", "--collect", "http://a.example/feed"], "--collect needs PATH"),
    ],
)
def test_collect_cli_unusable_arguments_exit_2(tmp_path, monkeypatch, loopback_only, capsys,
                                               argv, message):
    monkeypatch.chdir(tmp_path)
    assert run(argv) == 2
    assert message in capsys.readouterr().err
    assert loopback_only.connected == [] and loopback_only.denied == []


def test_collect_cli_bad_state_exits_2_naming_the_file(tmp_path, capsys, loopback_only):
    (tmp_path / STATE_NAME).write_text("[]", encoding="utf-8")
    assert run(["collect", "http://a.example/x", "--into", str(tmp_path)]) == 2
    assert f"newsdesk: error: {tmp_path / STATE_NAME}: not a newsdesk collect state" in (
        capsys.readouterr().err)


def _on_a_terminal(argv: list[str]) -> str:
    """What the command prints when its output is a terminal (a pseudo-terminal here)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=follower,
                               stderr=follower, close_fds=True)
    os.close(follower)
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        try:
            chunk = os.read(leader, 4096) if ready else b""
        except OSError:  # the other end closed
            chunk = b""
        if not chunk:
            break
        out += chunk
    process.wait(timeout=30)
    os.close(leader)
    return out.decode("utf-8", "replace")


def test_collect_cli_progress_bar_only_on_a_terminal(news_site, tmp_path, capsys):
    command = [sys.executable, "-m", "newsdesk.cli", "collect",
               news_site.url("/feeds/desk.atom"), "--delay", "0.01", "--into"]
    on_terminal = _on_a_terminal([*command, str(tmp_path / "tty")])
    assert re.search(r"collect: 100%\|.*\| 4/4", on_terminal), on_terminal
    assert run(["collect", news_site.url("/feeds/desk.atom"), *_fast_args(tmp_path / "cron")]
               ) == 0
    err = capsys.readouterr().err
    assert "%|" not in err and "\r" not in err
    assert err.count("\n") == 1 and err.startswith("newsdesk: collected 3 new page(s)")


@pytest.mark.slow
def test_collect_report_collect_then_ingest_and_report(news_site, tmp_path, capsys):
    listing = tmp_path / "feeds.txt"
    listing.write_text(f"{news_site.url('/feeds/desk.atom')}\n"
                       f"{news_site.url('/news/trawlers.html')}\n"
                       f"{news_site.url('/news/missing.html')}\n", encoding="utf-8")
    inbox, db, out = tmp_path / "inbox", tmp_path / "store.duckdb", tmp_path / "reports"
    argv = ["report", str(inbox), "--collect", str(listing), "--db", str(db), "--out",
            str(out), "--profiles", "none", "--delay", "0.01"]
    assert run(argv) == 1  # one URL failed; everything else was collected and reported
    err = capsys.readouterr().err
    assert f"newsdesk: {news_site.url('/news/missing.html')}: HTTP 404 Not Found\n" in err
    assert "newsdesk: collected 4 new page(s)" in err and "newsdesk: wrote" in err
    from newsdesk.store import Store

    with Store(db, read_only=True) as store:
        articles = store.table("articles")
    assert sorted(articles["url"]) == sorted(
        news_site.url(p) for p in ("/desk/ferry-strike.html", "/desk/harbour-lights.html",
                                   "/news/council-budget.html", "/news/trawlers.html"))
    ferry = articles.set_index("url").loc[news_site.url("/desk/ferry-strike.html")]
    assert (ferry["title"], ferry["source"], ferry["published"], ferry["published_precision"],
            ferry["date_basis"]) == ("Ferry strike ends", "Evening Desk", "2025-03", "month",
                                     "manifest")
    [log] = out.glob("*/report.log")
    assert re.search(r"collect into .*inbox: exit status 1 in", log.read_text())
    assert re.search(r"ingest .*inbox: exit status 0 in", log.read_text())
    requests = len(news_site.requests)
    assert run(argv) == 1  # the cron line again: one 304, nothing fetched twice
    assert [r.path for r in news_site.requests[requests:]] == [
        "/robots.txt", "/feeds/desk.atom", "/news/missing.html"]  # a source is tried again
