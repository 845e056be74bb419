"""End to end: `newsdesk report` on the sample through the real CLI, papermill and nbconvert."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from newsdesk.report import Page, prune_runs, render_page, run_index_html

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path):
    """Run the real CLI once: ingest the sample into a fresh store and render the report."""
    root = tmp_path_factory.mktemp("e2e")
    db, out = root / "store.duckdb", root / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "report", str(sample_dir), "--db", str(db),
         "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=600,
    )
    runs = [p for p in out.iterdir() if p.is_dir()] if out.exists() else []
    return proc, out, runs


def test_report_cli_exits_zero_with_one_run(sample_report):
    proc, out, runs = sample_report
    assert proc.returncode == 0, proc.stderr
    assert len(runs) == 1
    assert "wrote 7 pages" in proc.stderr
    assert not list(out.glob(".*.partial")), "staging folder left behind"


def test_report_has_a_page_per_article_linked_from_index(sample_report, sample_dir):
    _, out, (run,) = sample_report
    article_ids = sorted(p.stem for p in sample_dir.glob("*.txt"))
    pages = sorted(p.stem for p in (run / "articles").glob("*.html"))
    assert pages == article_ids
    index = (run / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+)"', index))
    expected = {"overview.html", "mentions_over_time.html"} | {
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


def test_report_executed_notebooks_kept_without_errors(sample_report):
    _, _, (run,) = sample_report
    notebooks = list(run.rglob("*.ipynb"))
    assert len(notebooks) == 7
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
