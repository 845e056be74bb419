"""The report as a colleague sees it: headless Chromium (Debian's /usr/bin/chromium) driven
through the DevTools protocol (websocket-client; no browser download).

One real `newsdesk report --single-file` run on a corpus of sample articles plus an article
full of HTML/JS payloads. Every page, the run index, the runs index and the single file open
from file:// with no console error, no broken image, no request but file: and data:; links
between pages resolve; the payloads show as text and never run. Screenshots go to a pytest
temporary folder (printed), or to $NEWSDESK_SCREENSHOTS when set.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Chromium, Visit

SAMPLE_ARTICLES = ("000_0d5ff83f0b58c3c9", "002_abb2e1d81dd64829")
PWNED = "PWNED"
TITLE = "Putin <script>window.__pwned = 5; document.title = 'PWNED'</script> meets Witkoff"
PAYLOAD = (
    "Vladimir Putin met Steve Witkoff in Moscow on Tuesday, the Kremlin said. "
    "<script>window.__pwned = 1; document.title = 'PWNED'</script> "
    "Putin said <img src=x onerror=\"window.__pwned = 2; document.title = 'PWNED'\"> "
    "and <a href=\"javascript:window.__pwned = 3\">click here</a> and </textarea>"
    "<svg onload=\"window.__pwned = 4\"></svg> with Witkoff.\n\n"
    "Dmitry Peskov told reporters in Moscow that \"<b onmouseover=alert(1)>nothing</b>\" "
    "had been agreed.\n"
)
VISIBLE = ("<script>window.__pwned = 1", "<img src=x onerror=", 'href="javascript:')

pytestmark = pytest.mark.slow  # the `browser` fixture (conftest.py) skips without Chromium


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path):
    """The real CLI on a corpus of sample articles and one hostile article."""
    root = tmp_path_factory.mktemp("browser")
    corpus = root / "corpus"
    corpus.mkdir()
    for aid in SAMPLE_ARTICLES:
        shutil.copy(sample_dir / f"{aid}.txt", corpus)
    manifest = (sample_dir / "manifest.csv").read_text(encoding="utf-8").splitlines()
    (corpus / "manifest.csv").write_text(
        "\n".join([manifest[0], *[r for r in manifest[1:] if r.split(",")[0][:-4]
                                  in SAMPLE_ARTICLES]]) + "\n", encoding="utf-8")
    (corpus / "evil.txt").write_text(f"{TITLE}\n\n{PAYLOAD}", encoding="utf-8")
    db, out = root / "store.duckdb", root / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "report", str(corpus), "--db", str(db),
         "--out", str(out), "--single-file", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    return db, out, run


def _assert_clean(browser: Chromium, visit: Visit) -> None:
    assert not visit.errors, (visit.url, visit.errors)
    assert not visit.dialogs, (visit.url, visit.dialogs)
    remote = [u for u in visit.requests if not u.startswith(("file:", "data:"))]
    assert not remote, (visit.url, remote)
    broken = browser.eval(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src.slice(0, 80))")
    assert not broken, (visit.url, broken)
    dangling = browser.eval(
        "Array.from(document.querySelectorAll('a[href^=\"#\"]')).map(a => a.getAttribute("
        "'href')).filter(h => h.length > 1 && !document.getElementById("
        "decodeURIComponent(h.slice(1))))")
    assert not dangling, (visit.url, dangling)


def _assert_inert(browser: Chromium, visit: Visit) -> None:
    """No payload ran: no global set, title untouched, no dialog, no live element."""
    assert browser.eval("typeof window.__pwned") == "undefined", visit.url
    assert browser.eval("document.title") != PWNED, visit.url
    assert not visit.dialogs
    live = browser.eval(
        "[document.querySelectorAll('script').length, "
        "document.querySelectorAll('img[src=\"x\"], svg[onload], [onerror], [onmouseover]')"
        ".length, document.querySelectorAll('a[href^=\"javascript:\"]').length]")
    assert live == [0, 0, 0], (visit.url, live)


# -- tests -----------------------------------------------------------------------------------


def test_browser_every_page_loads_offline_without_errors(report, browser: Chromium, shots):
    _, out, run = report
    pages = sorted(run.rglob("*.html"))
    assert len(pages) >= 7  # index, report.html, corpus pages, 3 articles
    for page in [out / "index.html", *pages]:
        visit = browser.open(page.as_uri())
        _assert_clean(browser, visit)
        assert browser.eval("document.body.innerText.trim().length") > 100 or page.parent == out
        name = str(page.relative_to(out)).replace("/", "__").removesuffix(".html")
        browser.screenshot(shots / f"{name}.png")
        links = browser.eval("Array.from(document.links).map(a => a.href)")
        local = {link.split("#")[0] for link in links if link.startswith("file:")}
        for link in local:
            target = Path(urllib.request.url2pathname(link.removeprefix("file://")))
            assert target.is_file(), (page, link)
    visit = browser.open((run / "mentions_over_time.html").as_uri())
    assert browser.eval("document.images.length") >= 1


def test_browser_single_file_works_alone(report, browser: Chromium, tmp_path: Path, shots):
    _, _, run = report
    mailed = tmp_path / "mailed"
    mailed.mkdir()
    shutil.copy(run / "report.html", mailed / "report.html")  # the file alone, as attached
    visit = browser.open((mailed / "report.html").as_uri())
    _assert_clean(browser, visit)
    pages = len(list(run.rglob("*.html"))) - 2  # less index.html and report.html
    assert browser.eval("document.querySelectorAll('section.newsdesk-page').length") == pages
    hrefs = browser.eval("Array.from(document.querySelectorAll('a')).map(a => "
                         "a.getAttribute('href'))")
    assert hrefs and all(h.startswith("#") for h in hrefs), hrefs
    images = sum(p.read_text(encoding="utf-8").count("<img") for p in run.rglob("*.html")
                 if p.name not in ("report.html", "index.html"))
    assert browser.eval("document.images.length") == images > 0
    # the contents link to each page, and each page's link home back to the contents
    assert browser.eval("window.scrollY") == 0
    browser.eval("document.querySelector('a[href=\"#page-articles-evil\"]').click(); "
                 "new Promise(r => setTimeout(r, 100))")
    assert browser.eval("location.hash") == "#page-articles-evil"
    assert browser.eval("window.scrollY") > 0
    assert browser.eval("document.querySelectorAll('a[href=\"#top\"]').length") == pages
    browser.screenshot(shots / "single_file.png")


def test_browser_untrusted_text_is_shown_and_never_runs(report, browser: Chromium, shots):
    _, out, run = report
    for page in (run / "articles" / "evil.html", run / "index.html", out / "index.html",
                 run / "overview.html", run / "report.html"):
        visit = browser.open(page.as_uri())
        _assert_inert(browser, visit)
        _assert_clean(browser, visit)
    browser.open((run / "articles" / "evil.html").as_uri())
    text = browser.eval("document.body.innerText")
    for payload in VISIBLE:
        assert payload in text
    assert "</textarea>" in text
    assert "meets Witkoff" in browser.eval("document.title")
    browser.screenshot(shots / "evil_article.png")


def test_browser_explorer_shows_untrusted_text_as_text(report, browser: Chromium,
                                                        tmp_path: Path, shots):
    """What the explorer puts into its HTML widgets, loaded as a plain page (no CSP, no
    sanitizer: the escaping alone must hold)."""
    from newsdesk.explore import Explorer
    from newsdesk.store import Workbook

    db, _, _ = report
    explorer = Explorer(Workbook(db))
    explorer.article.value = "evil"
    page = tmp_path / "explorer.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>explorer</title></head>"
        f"<body>{explorer.status.value}{explorer.kwic.value}{explorer.profile.value}"
        f"<p>{html.escape(explorer.article.label)}</p></body></html>", encoding="utf-8")
    visit = browser.open(page.as_uri())
    _assert_inert(browser, visit)
    assert not visit.errors, visit.errors
    text = browser.eval("document.body.innerText")
    for payload in VISIBLE:
        assert payload in text
    browser.screenshot(shots / "explorer_evil.png")
