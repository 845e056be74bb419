"""End to end: `newsdesk report` on the sample through the real CLI, papermill and nbconvert."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from newsdesk import report as report_module
from newsdesk.report import (
    LOCK_FILE,
    Page,
    Renderer,
    ReportError,
    build_report,
    page_keys,
    plan_pages,
    prune_runs,
    render_page,
    run_index_html,
    runs_index_html,
)

pytestmark = pytest.mark.slow


SAMPLE_PAGES = 9  # overview, articles, mentions_over_time, cooccurrence, five profiles


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path):
    """Run the real CLI once: ingest the sample into a fresh store and render the report,
    from another directory, every path relative to it (kernels run elsewhere)."""
    root = tmp_path_factory.mktemp("e2e")
    corpus = os.path.relpath(sample_dir, root)
    proc = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "report", corpus, "--db", "store.duckdb",
         "--out", "reports", "--single-file"],  # as cron runs it: no terminal, no --quiet
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, cwd=root,
    )
    out = root / "reports"
    runs = [p for p in out.iterdir() if p.is_dir()] if out.exists() else []
    return proc, out, runs


def test_report_cli_exits_zero_with_one_run(sample_report):
    proc, out, runs = sample_report
    assert proc.returncode == 0, proc.stderr
    assert len(runs) == 1
    assert f"wrote {SAMPLE_PAGES} pages" in proc.stderr
    assert not list(out.glob(".*.partial")), "staging folder left behind"
    assert (out.parent / "store.duckdb").is_file()


def test_report_has_a_page_per_article_linked_from_index(sample_report, sample_dir):
    _, out, (run,) = sample_report
    article_ids = sorted(p.stem for p in sample_dir.glob("*.txt"))
    pages = sorted(p.stem for p in (run / "articles").glob("*.html"))
    assert pages == article_ids
    index = (run / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+)"', index))
    expected = {"overview.html", "articles.html", "mentions_over_time.html"} | {
        f"articles/{aid}.html" for aid in article_ids
    }
    assert expected <= links
    for link in expected:
        assert (run / link).is_file()
    assert f'href="{run.name}/index.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_report_timeline_page_embeds_a_chart_image(sample_report):
    _, _, (run,) = sample_report
    page = (run / "mentions_over_time.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert images, "no chart image in the timeline page"
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_report_pages_have_no_code_cells_and_load_nothing_remote(sample_report):
    _, _, (run,) = sample_report
    for page in run.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "import newsdesk" not in text, page
        assert "jp-InputArea" not in text.split("</style>")[-1], page
        remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', text)
        assert not remote, (page, remote)


def test_report_keeps_no_notebook_of_pages_that_worked(sample_report):
    _, _, (run,) = sample_report
    assert not list(run.rglob("*.ipynb"))


def test_report_keep_notebooks_keeps_them_executed_without_errors(sample_db, tmp_path):
    result = build_report(db=sample_db, out=tmp_path, keep_notebooks=True, progress=False)
    notebooks = list(result.run_dir.rglob("*.ipynb"))
    assert len(notebooks) == len(result.pages) == SAMPLE_PAGES
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert outputs, f"{path} has no outputs: was it executed?"
        errors = [o for o in outputs if o.output_type == "error"]
        stderr = [o for o in outputs if o.get("name") == "stderr"]
        assert not errors, (path, errors)
        assert not stderr, (path, stderr)


def test_report_article_page_shows_its_text_escaped(sample_report, sample_texts):
    _, _, (run,) = sample_report
    aid, text = next(iter(sample_texts.items()))
    page = (run / "articles" / f"{aid}.html").read_text(encoding="utf-8")
    visible = html.unescape(re.sub(r"<[^>]+>", "", page))
    first_paragraph = text.strip().splitlines()[0]
    assert first_paragraph in visible


def test_report_failed_page_is_rendered_with_its_error(sample_db, tmp_path):
    page = Page("articles/missing", "article_profile.ipynb", "Missing",
                {"db": str(sample_db), "article_id": "no-such-article"})
    (tmp_path / "articles").mkdir()
    error = render_page(page, tmp_path)
    assert error is not None and "no-such-article" in error
    html_page = (tmp_path / "articles" / "missing.html").read_text(encoding="utf-8")
    assert "no-such-article" in html_page
    assert (tmp_path / "articles" / "missing.ipynb").is_file()
    index = run_index_html("run", [page], {page.name: error})
    assert "failed" in index and "1 of 1 pages failed" in index


def _probe_notebook(path: Path) -> Path:
    """A notebook that prints its kernel's pid and any name an article page would leave
    behind, and with ``exit_code`` set kills its kernel. Its kernel is the project notebooks'
    (pages share a warm kernel only when they name the same one)."""
    from newsdesk.kernels import KERNEL_DISPLAY_NAME, KERNEL_NAME

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": KERNEL_NAME, "language": "python", "display_name": KERNEL_DISPLAY_NAME}})
    params = nbformat.v4.new_code_cell('exit_code: int = -1')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import os\n"
        "if exit_code >= 0:\n    os._exit(exit_code)\n"
        "left = sorted({'article', 'article_id', 'db', 'mentions', 'wb', 'nd', 'HTML'} "
        "& set(globals()))\n"
        "print(f'pid={os.getpid()} left={left}')")]
    nbformat.write(nb, path)
    return path


def test_report_kernel_start_is_tried_again_when_the_kernel_dies_at_once(tmp_path,
                                                                        monkeypatch):
    """A kernel that dies before it is ready (its ports taken in between) is started again
    on fresh ports; the real kernel then runs the cell."""
    real = report_module.Kernel._start_once
    calls = []

    async def flaky(self):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        await real(self)

    monkeypatch.setattr(report_module.Kernel, "_start_once", flaky)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    kernel = report_module.Kernel(tmp_path)
    try:
        kernel.execute(nb)
    finally:
        kernel.close(now=True)
    assert len(calls) == 2
    assert nb.cells[0].outputs[0]["text"].strip() == "42"


def test_report_warm_kernel_pages_do_not_leak_and_survive_failures(sample_db, tmp_path):
    """Pages rendered one after another in one warm kernel: each shows only its own article,
    nothing of a page is left for the next, and a failing page (a cell error, a kernel that
    dies) does not stop the pages after it."""
    probe = str(_probe_notebook(tmp_path / "probe.ipynb"))  # absolute: not in notebooks/
    run_dir = tmp_path / "run"
    (run_dir / "articles").mkdir(parents=True)

    def article(aid: str) -> Page:
        return Page(f"articles/{aid}", "article_profile.ipynb", aid,
                    {"db": str(sample_db), "article_id": aid})

    a, b = "000_0d5ff83f0b58c3c9", "003_50e888d2ed398487"
    pages = [article(a), Page("probe1", probe, "probe"), article("no-such-article"),
             article(b), Page("probe2", probe, "probe"),
             Page("dies", probe, "dies", {"exit_code": 3}), Page("probe3", probe, "probe")]
    renderer = Renderer(run_dir, keep_notebooks=True)
    try:
        errors = {p.name: render_page(p, run_dir, renderer=renderer) for p in pages}
    finally:
        renderer.close()
    failed = {name for name, error in errors.items() if error}
    assert failed == {"articles/no-such-article", "dies"}, errors
    assert "no-such-article" in errors["articles/no-such-article"]
    assert "kernel died" in errors["dies"]

    def visible(name: str) -> str:
        page = (run_dir / f"{name}.html").read_text(encoding="utf-8")
        page = re.sub(r"<style[^>]*>.*?</style>", " ", page, flags=re.S)
        return html.unescape(re.sub(r"<[^>]+>", " ", page))

    def probe_says(name: str) -> tuple[str, str]:
        nb = nbformat.read(run_dir / f"{name}.ipynb", as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), counts  # a fresh session each page
        assert "injected-parameters" in nb.cells[1].metadata["tags"]
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        return re.search(r"pid=(\d+) left=(.*)", text).groups()

    page_a, page_b = visible(f"articles/{a}"), visible(f"articles/{b}")
    assert "US and Russian officials" in page_a and "Umerov" in page_a
    assert "CNN" not in page_a and "Putin's key adviser" not in page_a
    assert "Putin's key adviser" in page_b and "CNN" in page_b
    assert "Umerov" not in page_b and "US and Russian officials" not in page_b
    assert "no-such-article" in visible("articles/no-such-article")
    assert "kernel died" in visible("dies")
    (pid1, left1), (pid2, left2), (pid3, left3) = map(probe_says, ["probe1", "probe2", "probe3"])
    assert left1 == left2 == left3 == "[]"
    assert pid1 == pid2, "the failed page should not have cost the kernel"
    assert pid3 != pid2, "a kernel that died is replaced"


def test_report_runs_project_notebooks_in_this_python(tmp_path, monkeypatch):
    """The notebooks name the kernel "newsdesk"; a report runs them in the Python that runs
    the report, even where a kernelspec of that name points elsewhere (or none is
    installed)."""
    from newsdesk.kernels import KERNEL_NAME

    stale = tmp_path / "jupyter" / "kernels" / KERNEL_NAME
    stale.mkdir(parents=True)
    (stale / "kernel.json").write_text(json.dumps({
        "argv": [str(tmp_path / "no-such-python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"], "display_name": "stale", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": KERNEL_NAME, "language": "python", "display_name": "Python (newsdesk)"}})
    params = nbformat.v4.new_code_cell("x: int = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import sys; print(sys.executable)")]
    nbformat.write(nb, tmp_path / "probe.ipynb")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    renderer = Renderer(run_dir, keep_notebooks=True)
    try:
        error = render_page(Page("probe", str(tmp_path / "probe.ipynb"), "probe"), run_dir,
                            renderer=renderer)
    finally:
        renderer.close()
    assert error is None
    out = nbformat.read(run_dir / "probe.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in out.cells for o in c.get("outputs", []))
    assert Path(printed.strip()) == Path(sys.executable)


def test_report_workbook_reads_store_once_per_version(sample_db, tmp_path, monkeypatch):
    """Pages in one kernel share the tables read from the store; a store written since is
    read again, and a notebook changing its tables changes nothing for the next page."""
    import shutil

    from newsdesk.store import Store, Workbook

    db = tmp_path / "store.duckdb"
    shutil.copy(sample_db, db)
    reads = []
    original = Store.table
    monkeypatch.setattr(Store, "table", lambda self, name: reads.append(name) or original(
        self, name))
    first = Workbook(db)
    aid = first.articles["article_id"].iloc[0]
    mentions = len(first.article_mentions(aid))
    del first.mentions["sentence"]  # a notebook's own business
    first.mentions.loc[first.mentions.index[0], "name"] = "changed"
    second = Workbook(db)
    assert "sentence" in second.mentions and "changed" not in set(second.mentions["name"])
    assert len(second.article_mentions(aid)) == mentions and second.article(aid)["text"]
    assert reads.count("mentions") == 1 and reads.count("articles") == 1
    with Store(db) as store:
        store.con.execute("DELETE FROM mentions WHERE article_id = ?", [aid])
    third = Workbook(db)
    assert third.article_mentions(aid).empty and reads.count("mentions") == 2


def test_report_prune_keeps_newest_runs(tmp_path):
    names = ["2026-01-01_000000", "2026-01-02_000000", "2026-01-03_000000"]
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text("x")
    (tmp_path / "not-a-run").mkdir()
    assert prune_runs(tmp_path, keep=2) == ["2026-01-01_000000"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [*names[1:], "not-a-run"]


def test_report_cli_bad_profiles_value_exits_2(sample_db, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "report", "--db", str(sample_db), "--out",
         str(tmp_path), "--profiles", "some", "--quiet"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "--profiles" in proc.stderr
    assert json.dumps(proc.stderr).count("\\n") <= 1, "expected a one-line message"


# -- scheduled runs: log, no progress noise, failures never published ------------------------


def test_report_run_has_a_log_and_a_summary(sample_report):
    proc, out, (run,) = sample_report
    assert "\r" not in proc.stderr and "page/s" not in proc.stderr, "progress bars under cron"
    log = (run / "report.log").read_text(encoding="utf-8")
    pages = SAMPLE_PAGES
    assert "command:" in log and "ingest " in log and f"pages planned: {pages}" in log
    assert log.count(" ok in ") == pages
    assert f"finished: {pages} of {pages} pages produced, 0 failed" in log
    summary = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert summary["pages"] == pages and summary["failed"] == []
    assert f"{pages} pages" in (out / "index.html").read_text(encoding="utf-8")
    assert "report.log" in (run / "index.html").read_text(encoding="utf-8")


def test_report_single_file_is_one_document(sample_report):
    _, _, (run,) = sample_report
    text = (run / "report.html").read_text(encoding="utf-8")
    assert "<iframe" not in text and "<script" not in text
    assert "Content-Security-Policy" in text
    pages = SAMPLE_PAGES
    assert text.count('<section class="newsdesk-page"') == pages
    hrefs = re.findall(r'<a[^>]+href="([^"]*)"', text)
    assert hrefs and all(h.startswith("#") for h in hrefs)
    ids = set(re.findall(r'\sid="([^"]*)"', text)) | set(re.findall(r"\sid='([^']*)'", text))
    assert {h[1:] for h in hrefs} <= ids
    assert text.count("<img") == sum(p.read_text(encoding="utf-8").count("<img")
                                     for p in run.rglob("*.html")
                                     if p.name not in ("report.html", "index.html"))


def _fake_good_run(out: Path, name: str = "2020-01-01_000000") -> Path:
    good = out / name
    good.mkdir(parents=True)
    (good / "index.html").write_text("good", encoding="utf-8")
    (out / "index.html").write_text(runs_index_html(out), encoding="utf-8")
    return good


def _quick_render(page, run_dir, *, with_code=False, renderer=None):
    (run_dir / f"{page.name}.html").write_text(f"<html><body>{page.title}</body></html>",
                                               encoding="utf-8")
    return None


def test_report_failure_mid_run_is_set_aside_not_published(sample_db, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    good = _fake_good_run(out)
    calls = []

    def render_then_fail(page, run_dir, *, with_code=False, renderer=None):
        calls.append(page.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return _quick_render(page, run_dir)

    monkeypatch.setattr(report_module, "render_page", render_then_fail)
    with pytest.raises(OSError):
        build_report(db=sample_db, out=out, progress=False, run_name="2030-01-01_000000")
    assert not list(out.glob(".*.partial"))
    failed = out / "2030-01-01_000000.failed"
    log = (failed / "report.log").read_text(encoding="utf-8")
    assert "stopped: OSError" in log and "No space left" in log and "not published" in log
    assert (good / "index.html").read_text() == "good"
    assert not (out / "2030-01-01_000000").exists()
    for index in ((out / "index.html").read_text(), runs_index_html(out)):
        assert "2020-01-01_000000/index.html" in index and "2030" not in index


def test_report_stale_staging_is_recovered_and_runs_are_exclusive(sample_db, tmp_path,
                                                                   monkeypatch):
    import fcntl

    out = tmp_path / "reports"
    stale = out / ".2029-01-01_000000.partial"
    (stale / "articles").mkdir(parents=True)
    (stale / "index.html").write_text("half", encoding="utf-8")
    monkeypatch.setattr(report_module, "render_page", _quick_render)
    with (out / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ReportError, match="another"):
            build_report(db=sample_db, out=out, progress=False, profiles="none")
        fcntl.flock(lock, fcntl.LOCK_UN)
    result = build_report(db=sample_db, out=out, progress=False, profiles="none",
                          run_name="2030-01-01_000000", keep=5)
    assert result.ok and not stale.exists()
    recovered = out / "2029-01-01_000000.failed"
    assert "stopped without finishing" in (recovered / "report.log").read_text()
    index = (out / "index.html").read_text()
    assert "2030-01-01_000000/index.html" in index and "2029" not in index
    (out / "2028-01-01_000000.failed").mkdir()
    assert prune_runs(out, keep=1) == ["2028-01-01_000000.failed"]
    assert recovered.is_dir()


def test_report_sigterm_mid_run_exits_nonzero_and_publishes_nothing(sample_db, tmp_path):
    import signal
    import time

    out = tmp_path / "reports"
    good = _fake_good_run(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "report", "--db", str(sample_db), "--out",
         str(out), "--profiles", "1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not any(" ok in " in p.read_text() for p in out.glob(".*.partial/report.log")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 128 + signal.SIGTERM
    assert not list(out.glob(".*.partial"))
    (failed,) = out.glob("*.failed")
    assert "stopped: SystemExit" in (failed / "report.log").read_text()
    assert (good / "index.html").read_text() == "good"
    runs = [p.name for p in out.iterdir() if p.is_dir()]
    assert sorted(runs) == sorted([good.name, failed.name])
    assert failed.name.removesuffix(".failed") not in (out / "index.html").read_text()


# -- small runs: one stylesheet, lean pages ---------------------------------------------------


def test_report_pages_share_one_stylesheet_linked_relatively(sample_report):
    _, _, (run,) = sample_report
    css = (run / "style.css").read_text(encoding="utf-8")
    assert "nav.newsdesk" in css
    pages = [p for p in run.rglob("*.html") if p.name not in ("index.html", "report.html")]
    assert len(pages) == SAMPLE_PAGES
    for page in pages:
        text = page.read_text(encoding="utf-8")
        root = "../" * (len(page.relative_to(run).parts) - 1)
        links = re.findall(r"<link[^>]*>", text)
        assert links == [f'<link rel="stylesheet" href="{root}style.css">'], (page, links)
        assert "<style" not in text and "jp-" not in text, page
    for profile in (run / "articles").glob("*.html"):
        assert profile.stat().st_size < 40_000, profile


def test_report_single_file_inlines_the_stylesheet_once(sample_report):
    _, _, (run,) = sample_report
    text = (run / "report.html").read_text(encoding="utf-8")
    css = (run / "style.css").read_text(encoding="utf-8")
    assert text.count(css) == 1 and "<link" not in text
    assert (run / "report.html").stat().st_size <= 1_000_000


def test_report_overview_summary_first_articles_by_month_quality(sample_report):
    _, _, (run,) = sample_report
    page = (run / "overview.html").read_text(encoding="utf-8")
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    assert headings[:5] == ["Summary", "Top actors and places",
                            "What is new since the last report",
                            "What this run could not settle", "Articles by month"], headings
    assert "5</b>articles counted" in page
    assert "<summary>December 2025: 2 articles</summary>" in page
    assert '<a href="articles/000_0d5ff83f0b58c3c9.html">' in page
    assert "Quotes from a source the article does not name (" in page
    listing = (run / "articles.html").read_text(encoding="utf-8")
    assert re.findall(r"<h2 id=[\"'](m-[^\"']+)[\"']>", listing) == [
        "m-2025-12", "m-2025-08", "m-2025-04", "m-2025-02"]
    assert listing.count('<a href="articles/') == 5


# -- incremental reports ----------------------------------------------------------------------


def test_report_second_run_reuses_the_pages_whose_inputs_did_not_change(corpus_copy, tmp_path):
    from newsdesk.ingest import ingest

    db, out = tmp_path / "s.duckdb", tmp_path / "reports"
    ingest(corpus_copy, db=db, progress=False)
    first = build_report(db=db, out=out, progress=False, run_name="2030-01-01_000000")
    assert first.ok and first.reused == []
    second = build_report(db=db, out=out, progress=False, run_name="2030-01-02_000000")
    names = {page.name for page in second.pages}
    assert set(second.reused) == names - {"overview"}  # it says what is new since the first
    for name in second.reused:
        assert (second.run_dir / f"{name}.html").read_bytes() == (
            first.run_dir / f"{name}.html").read_bytes()
    manifest = corpus_copy / "manifest.csv"  # one article's date changes
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "2025-12-20,day", "2025-12-19,day"), encoding="utf-8")
    ingest(corpus_copy, db=db, progress=False)
    third = build_report(db=db, out=out, progress=False, run_name="2030-01-03_000000")
    changed = "articles/000_0d5ff83f0b58c3c9"
    corpus_pages = {p.name for p in third.pages if p.section == "Corpus"}
    assert set(third.reused) == names - corpus_pages - {changed}
    assert "2025-12-19" in (third.run_dir / f"{changed}.html").read_text(encoding="utf-8")
    log = (third.run_dir / "report.log").read_text(encoding="utf-8")
    assert f"reused 4 of {len(names)} pages from run 2030-01-02_000000" in log
    assert set(json.loads((third.run_dir / "pages.json").read_text())["pages"]) == names
    assert json.loads((third.run_dir / "run.json").read_text())["reused"] == 4
    # a reused page is the page a fresh render makes
    page = next(p for p in third.pages if p.name == sorted(third.reused)[0])
    fresh = tmp_path / "fresh"
    (fresh / "articles").mkdir(parents=True)
    assert render_page(page, fresh) is None
    assert (fresh / f"{page.name}.html").read_bytes() == (
        third.run_dir / f"{page.name}.html").read_bytes()


def test_report_page_keys_follow_what_each_page_shows(sample_db, tmp_path, monkeypatch):
    import shutil

    from newsdesk.store import Store

    db = tmp_path / "keys.duckdb"
    shutil.copy(sample_db, db)
    pages = plan_pages(db)
    article = next(p for p in pages if p.section == "Articles")
    renderer = Renderer(tmp_path / "run")
    (tmp_path / "run" / "articles").mkdir(parents=True)
    try:
        assert render_page(article, tmp_path / "run", renderer=renderer) is None
        before_html = (tmp_path / "run" / f"{article.name}.html").read_bytes()
        before = page_keys(db, pages)
        with Store(db) as store:  # corpus-wide counts and aliases: not on a profile
            store.con.execute("UPDATE entities SET mentions = mentions + 7, articles = "
                              "articles + 1, aliases = list_append(aliases, 'Someone')")
        after = page_keys(db, pages)
        assert render_page(article, tmp_path / "run", renderer=renderer) is None
    finally:
        renderer.close()
    assert (tmp_path / "run" / f"{article.name}.html").read_bytes() == before_html
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {p.name for p in pages if p.section == "Corpus"}
    with Store(db) as store:  # an entity's role: the profiles of the articles that name it
        entity, named_in = store.con.execute(
            "SELECT entity_id, list(DISTINCT article_id ORDER BY article_id) FROM mentions "
            "GROUP BY entity_id HAVING count(DISTINCT article_id) = 2 ORDER BY 1 LIMIT 1"
        ).fetchone()
        store.con.execute("UPDATE entities SET role = 'a new role' WHERE entity_id = ?",
                          [entity])
    again = page_keys(db, pages)
    changed = {name for name in after if after[name] != again[name]}
    assert changed == {p.name for p in pages if p.section == "Corpus"} | {
        f"articles/{aid}" for aid in named_in}
    assert set(page_keys(db, pages, with_code=True).values()).isdisjoint(again.values())
    monkeypatch.setattr(report_module, "code_version", lambda: "another newsdesk")
    assert set(page_keys(db, pages).values()).isdisjoint(again.values())
