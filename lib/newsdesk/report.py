"""Render the store into an HTML report: papermill runs the notebooks, nbconvert exports them.

A run is written into a hidden staging folder and renamed into place when complete, so the
last good report is never half-overwritten. Each page keeps its executed notebook beside its
HTML (for debugging a failure); images are embedded, so the folder works when copied or zipped.
"""

from __future__ import annotations

import html
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from newsdesk.config import DEFAULT_DB, NOTEBOOKS_DIR, REPORTS_DIR
from newsdesk.store import Store

TEMPLATES_DIR = Path(__file__).parent / "templates"
RUN_FORMAT = "%Y-%m-%d_%H%M%S"


@dataclass(frozen=True)
class Page:
    """One page of a report: a notebook executed with parameters into ``<name>.html``."""

    name: str  # path below the run folder, without suffix: "overview", "articles/<id>"
    notebook: str  # file in notebooks/
    title: str
    parameters: dict = field(default_factory=dict)
    section: str = "Corpus"


@dataclass
class ReportResult:
    run_dir: Path
    pages: list[Page]
    failures: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.failures


class ReportError(RuntimeError):
    """The report cannot be produced at all (no store, unwritable output folder ...)."""


def plan_pages(db: Path, *, profiles: str | int = "all") -> list[Page]:
    """The pages of a report over the store ``db``: corpus pages, then one per article."""
    params = {"db": str(db)}
    pages = [
        Page("overview", "corpus_overview.ipynb", "Corpus overview", params),
        Page("mentions_over_time", "mentions_over_time.ipynb", "Mentions over time", params),
    ]
    with Store(db, read_only=True) as store:
        articles = store.query(
            "SELECT article_id, title, published FROM articles WHERE status = 'ok' "
            "ORDER BY published NULLS LAST, article_id"
        )
    limit = _profile_limit(profiles, len(articles))
    for row in articles.head(limit).itertuples(index=False):
        pages.append(
            Page(f"articles/{row.article_id}", "article_profile.ipynb",
                 row.title or row.article_id, {**params, "article_id": row.article_id},
                 section="Articles")
        )
    return pages


def _profile_limit(profiles: str | int, available: int) -> int:
    if profiles == "all":
        return available
    if profiles == "none":
        return 0
    try:
        n = int(profiles)
    except ValueError:
        raise ReportError(f"--profiles must be all, none or a number, not {profiles!r}") from None
    if n < 0:
        raise ReportError(f"--profiles must not be negative ({n})")
    return min(n, available)


def build_report(
    *,
    db: str | Path = DEFAULT_DB,
    out: str | Path = REPORTS_DIR,
    profiles: str | int = "all",
    with_code: bool = False,
    single_file: bool = False,
    keep: int | None = None,
    progress: bool = True,
    run_name: str | None = None,
) -> ReportResult:
    """Execute and export every page into ``out/<run>/``, then write the index pages."""
    db = Path(db).resolve()
    out = Path(out)
    if not db.exists():
        raise ReportError(f"{db}: no store; run `newsdesk ingest PATH --db {db}` first")
    pages = plan_pages(db, profiles=profiles)
    run = run_name or datetime.now().strftime(RUN_FORMAT)
    try:
        staging = out / f".{run}.partial"
        if staging.exists():
            shutil.rmtree(staging)
        (staging / "articles").mkdir(parents=True)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the report here ({exc.strerror})") from exc
    failures: dict[str, str] = {}
    for page in tqdm(pages, desc="report", unit="page", disable=not progress):
        error = render_page(page, staging, with_code=with_code)
        if error:
            failures[page.name] = error
            tqdm.write(f"newsdesk: page {page.name} failed: {error}", file=sys.stderr)
    (staging / "index.html").write_text(run_index_html(run, pages, failures), encoding="utf-8")
    if single_file:
        write_single_file(staging, pages, run)
    final = out / run
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    if keep:
        prune_runs(out, keep=keep)
    (out / "index.html").write_text(runs_index_html(out), encoding="utf-8")
    return ReportResult(final, pages, failures)


def render_page(page: Page, run_dir: Path, *, with_code: bool = False) -> str | None:
    """Execute one notebook with papermill and export it; return an error message or None.

    A failed notebook still gets its HTML page (showing the error) and keeps its executed
    .ipynb beside it.
    """
    import papermill as pm

    ipynb = run_dir / f"{page.name}.ipynb"
    error = None
    try:
        pm.execute_notebook(
            str(NOTEBOOKS_DIR / page.notebook), str(ipynb), parameters=page.parameters,
            progress_bar=False, log_output=False, cwd=str(run_dir),
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except pm.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # a kernel that died, a notebook that cannot be read ...
        error = f"{type(exc).__name__}: {exc}"
        if not ipynb.exists():
            return error
    export_html(ipynb, run_dir / f"{page.name}.html", title=page.title,
                home=_home_link(page.name), with_code=with_code)
    return error


def export_html(ipynb: Path, target: Path, *, title: str, home: str, with_code: bool) -> None:
    """nbconvert HTML (no input cells unless ``with_code``), images inline, nothing remote."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="newsdesk",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=not with_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    notebook = nbformat.read(ipynb, as_version=4)
    notebook.metadata["title"] = title
    body, _ = exporter.from_notebook_node(
        notebook, resources={"metadata": {"name": title}, "newsdesk_home": home}
    )
    target.write_text(body, encoding="utf-8")


def _home_link(name: str) -> str:
    return "../" * name.count("/") + "index.html"


def run_index_html(run: str, pages: Sequence[Page], failures: dict[str, str]) -> str:
    """The index of one run: every page linked, failures marked."""
    sections: dict[str, list[str]] = {}
    for page in pages:
        mark = ""
        if page.name in failures:
            mark = f' <strong class="failed">failed: {html.escape(failures[page.name])}</strong>'
        sections.setdefault(page.section, []).append(
            f'<li><a href="{html.escape(page.name)}.html">{html.escape(page.title)}</a>{mark}</li>'
        )
    body = "".join(
        f"<h2>{html.escape(section)}</h2><ul>{''.join(items)}</ul>"
        for section, items in sections.items()
    )
    status = (
        f"<p class='failed'>{len(failures)} of {len(pages)} pages failed.</p>" if failures
        else f"<p>{len(pages)} pages.</p>"
    )
    return _page(f"newsdesk report {run}", f"{status}{body}<p><a href='../index.html'>"
                 "all runs</a></p>")


def runs_index_html(out: Path) -> str:
    """The index of all runs in ``out``, newest first."""
    runs = sorted((p.name for p in out.iterdir() if _is_run(p)), reverse=True)
    items = "".join(
        f'<li><a href="{html.escape(r)}/index.html">{html.escape(r)}</a></li>' for r in runs
    )
    return _page("newsdesk reports", f"<ul>{items}</ul>" if runs else "<p>No runs yet.</p>")


def _is_run(path: Path) -> bool:
    if not path.is_dir() or path.name.startswith("."):
        return False
    try:
        datetime.strptime(path.name[:17], RUN_FORMAT)
    except ValueError:
        return False
    return (path / "index.html").exists()


def prune_runs(out: Path, *, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` runs; return the names removed."""
    runs = sorted((p for p in out.iterdir() if _is_run(p)), key=lambda p: p.name, reverse=True)
    removed = []
    for old in runs[keep:]:
        shutil.rmtree(old)
        removed.append(old.name)
    return removed


def write_single_file(run_dir: Path, pages: Sequence[Page], run: str) -> Path:
    """All pages of a run in one self-contained HTML file, each page an inline frame."""
    parts = []
    for page in pages:
        page_html = (run_dir / f"{page.name}.html").read_text(encoding="utf-8")
        anchor = page.name.replace("/", "-")
        parts.append(
            f'<section id="{html.escape(anchor)}"><h2>{html.escape(page.title)}</h2>'
            f'<iframe srcdoc="{html.escape(page_html, quote=True)}" '
            'style="width:100%;height:90vh;border:1px solid #ddd" sandbox></iframe></section>'
        )
    toc = "".join(
        f'<li><a href="#{html.escape(p.name.replace("/", "-"))}">{html.escape(p.title)}</a></li>'
        for p in pages
    )
    target = run_dir / "report.html"
    target.write_text(_page(f"newsdesk report {run}", f"<ul>{toc}</ul>{''.join(parts)}"),
                      encoding="utf-8")
    return target


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;"
        "max-width:60em;margin:2em auto;padding:0 1em}}.failed{{color:#b91c1c}}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
