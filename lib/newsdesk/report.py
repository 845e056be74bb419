"""Render the store into an HTML report: notebooks run the papermill way, nbconvert exports.

Each page's notebook gets its parameters injected as papermill injects them and is executed
cell by cell by a real Jupyter kernel (nbclient). Kernels are kept warm: a report starts
``jobs`` of them (one per CPU by default) and each renders page after page, its namespace
reset in between (imported modules stay, so a page costs its own work, not a kernel start
and imports); a kernel that dies is replaced. HTML export is in-process, one exporter each.

Only what changed is rendered again: each page has a key (what it is made of: its rows of
the store, the notebook, the code and model versions, its parameters), recorded in the run's
``pages.json``; a page whose key is the one recorded by the last run in the same reports
folder is copied from that run instead of executed.

A run is written into a hidden staging folder (``.<run>.partial``) and renamed into place when
complete, so the last good report is never half-overwritten. A run that stops half-way (an
exception, Ctrl-C, SIGTERM; or a killed process, found by the next run) is renamed
``<run>.failed`` with its ``report.log``, and is never listed. One run at a time writes into a
reports folder (a lock file). Pages share one stylesheet (``style.css``, linked relatively);
images are embedded, no script runs (a Content-Security-Policy forbids it) and nothing is
fetched, so the folder works when copied or zipped and mailed. The executed notebook of a
page is kept beside its HTML when the page failed (for debugging), or always with
``keep_notebooks``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import fcntl
import hashlib
import html
import json
import os
import platform
import posixpath
import queue
import re
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from newsdesk.config import DEFAULT_DB, NOTEBOOKS_DIR, REPORTS_DIR, code_version
from newsdesk.store import Store

TEMPLATES_DIR = Path(__file__).parent / "templates"
RUN_FORMAT = "%Y-%m-%d_%H%M%S"
FAILED_SUFFIX = ".failed"
LOCK_FILE = ".newsdesk-report.lock"
LOG_FILE = "report.log"
SUMMARY_FILE = "run.json"
#: Each page produced and its key: what the next run compares to reuse a page.
PAGES_FILE = "pages.json"
#: The stylesheet of every page of a run, in the run folder.
STYLE_FILE = "style.css"
#: Every page: no script, nothing fetched; the run's stylesheet, inline styles and data:
#: images only.
CSP = ("default-src 'none'; img-src data:; style-src 'self' 'unsafe-inline'; font-src data:; "
       "base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class Page:
    """One page of a report: a notebook executed with parameters into ``<name>.html``."""

    name: str  # path below the run folder, without suffix: "overview", "articles/<id>"
    notebook: str  # file in notebooks/
    title: str
    parameters: dict = field(default_factory=dict)
    section: str = "Corpus"
    #: What of the store it shows: "article" (its article_id's rows), "corpus" (everything),
    #: "snapshot" (the last report's snapshot: what is new since). See ``page_keys``.
    inputs: tuple[str, ...] = ("corpus",)


@dataclass
class ReportResult:
    run_dir: Path
    pages: list[Page]
    failures: dict[str, str]
    #: Pages copied from the previous run (their inputs had not changed).
    reused: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class ReportError(RuntimeError):
    """The report cannot be produced at all (no store, unwritable output folder ...)."""


def plan_pages(db: Path, *, profiles: str | int = "all") -> list[Page]:
    """The pages of a report over the store ``db``: corpus pages, then one per article (the
    first ``profiles`` in ``analysis.profile_order``)."""
    from newsdesk.analysis import profile_order

    with Store(db, read_only=True) as store:
        articles = store.query("SELECT article_id, title, published, status FROM articles")
    ordered = profile_order(articles)
    limit = _profile_limit(profiles, len(ordered))
    params = {"db": str(db)}
    linked = {**params, "profiles": limit}  # the pages that link to the profiles
    pages = [
        Page("overview", "corpus_overview.ipynb", "Corpus overview", linked,
             inputs=("corpus", "snapshot")),
        Page("articles", "articles.ipynb", "All articles", linked),
        Page("mentions_over_time", "mentions_over_time.ipynb", "Mentions over time", params),
        Page("cooccurrence", "cooccurrence.ipynb", "Who appears with whom", params),
    ]
    titles = articles.set_index("article_id")["title"]
    for aid in ordered[:limit]:
        title = titles.get(aid)
        pages.append(Page(f"articles/{aid}", "article_profile.ipynb",
                          title if isinstance(title, str) and title else aid,
                          {**params, "article_id": aid}, section="Articles",
                          inputs=("article",)))
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
    keep_notebooks: bool = False,
    progress: bool = True,
    run_name: str | None = None,
    notes: Sequence[str] = (),
    jobs: int | None = None,
) -> ReportResult:
    """Execute and export every page into ``out/<run>/``, then write the index pages.

    Pages whose key (``page_keys``) is the one the previous run in ``out`` recorded are
    copied from it; ``jobs`` kernels (default: one per CPU) render the others side by side,
    each kept warm from page to page. ``<run>/report.log`` records what ran, each page's time
    and error, and ``notes`` (what the caller did first, e.g. the ingest). Executed notebooks
    are kept for failed pages, or for all with ``keep_notebooks``. Paths are relative to the
    current directory. Raises ReportError when nothing can be produced.
    """
    started = time.monotonic()
    db = Path(db).resolve()
    out = Path(out).resolve()  # kernels run in the run folder: no path may be relative
    if not db.exists():
        raise ReportError(f"{db}: no store; run `newsdesk ingest PATH --db {db}` first")
    pages = plan_pages(db, profiles=profiles)
    if jobs is not None and jobs < 1:
        raise ReportError(f"--jobs must be at least 1 ({jobs})")
    keys = page_keys(db, pages, with_code=with_code)
    run = run_name or datetime.now().strftime(RUN_FORMAT)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the report here ({exc.strerror})") from exc
    with _exclusive(out):
        recover_stale_runs(out)
        staging = out / f".{run}.partial"
        try:
            (staging / "articles").mkdir(parents=True)
        except OSError as exc:
            raise ReportError(f"{out}: cannot write the report here ({exc.strerror})") from exc
        log = RunLog(staging / LOG_FILE)
        log.header(run=run, db=db, out=out, pages=pages, notes=notes)
        failures: dict[str, str] = {}
        try:
            write_stylesheet(staging, with_code=with_code)
            previous = last_run(out, exclude=run)
            reused = reuse_pages(previous, staging, keys, keep_notebooks=keep_notebooks)
            todo = [page for page in pages if page.name not in reused]
            jobs = max(1, min(jobs or default_jobs(), len(todo) or 1))
            if reused:
                log.line(f"reused {len(reused)} of {len(pages)} pages from run "
                         f"{previous.name} (their inputs have not changed)")
            if todo:
                log.line(f"rendering {len(todo)} pages with {jobs} warm "
                         f"kernel{'s' if jobs > 1 else ''}")
            with tqdm(total=len(pages), initial=len(reused), desc="report", unit="page",
                      disable=not progress) as bar, contextlib.closing(
                    render_pages(todo, staging, with_code=with_code, jobs=jobs,
                                 keep_notebooks=keep_notebooks)) as done:
                for page, seconds, error in done:
                    log.page(page, seconds, error)
                    bar.update()
                    if error:
                        failures[page.name] = error
                        tqdm.write(f"newsdesk: page {page.name} failed: {error}",
                                   file=sys.stderr)
            produced = {page.name: keys[page.name] for page in pages
                        if page.name not in failures}
            (staging / PAGES_FILE).write_text(json.dumps({"pages": produced}, indent=0),
                                              encoding="utf-8")
            (staging / "index.html").write_text(
                run_index_html(run, pages, failures, single_file=single_file), encoding="utf-8")
            if single_file:
                write_single_file(staging, pages, run, failures)
                log.line("wrote report.html (every page in one file)")
            seconds = time.monotonic() - started
            summary = {"run": run, "pages": len(pages), "failed": sorted(failures),
                       "reused": len(reused), "seconds": round(seconds, 1), "jobs": jobs}
            (staging / SUMMARY_FILE).write_text(json.dumps(summary, indent=1), encoding="utf-8")
            log.line(f"finished: {len(pages) - len(failures)} of {len(pages)} pages produced, "
                     f"{len(failures)} failed, {len(reused)} reused, in {seconds:.1f} s")
            final = out / run
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
        except BaseException as exc:
            log.line(f"stopped: {type(exc).__name__}: {exc}")
            log.raw(traceback.format_exc())
            failed = _set_aside(staging)
            RunLog(failed / LOG_FILE).line(
                f"the run was not published; its partial output is in {failed}")
            raise
        if keep:
            prune_runs(out, keep=keep)
        (out / "index.html").write_text(runs_index_html(out), encoding="utf-8")
    with Store(db) as store:  # the next report says what is new since this one
        store.snapshot(run)
    return ReportResult(final, pages, failures, sorted(reused))


# -- what changed since the last run -----------------------------------------------------------


def page_keys(db: Path, pages: Sequence[Page], *, with_code: bool = False) -> dict[str, str]:
    """Each page's key: a digest of what it is made of. Its inputs in the store (``Page.inputs``:
    an article's own rows and what its profile shows of its entities, or the whole store, or
    the last snapshot; ``Store.report_inputs``), the notebook's content, the code version
    (``config.code_version``: newsdesk's version and code), the pipeline fingerprint (each
    article row holds the one that made it), the page's title and parameters (the store's
    path aside) and whether code is shown. Equal keys, equal pages."""
    with Store(db, read_only=True) as store:
        per_article, corpus, snapshot = store.report_inputs()
    scopes = {"corpus": corpus, "snapshot": snapshot}
    notebooks: dict[str, str] = {}
    keys = {}
    for page in pages:
        if page.notebook not in notebooks:
            notebooks[page.notebook] = _file_digest(NOTEBOOKS_DIR / page.notebook)
        inputs = [per_article.get(page.parameters.get("article_id", ""), "") if scope ==
                  "article" else scopes[scope] for scope in page.inputs]
        parameters = {k: v for k, v in page.parameters.items() if k != "db"}
        made_of = [code_version(), notebooks[page.notebook], with_code, page.title,
                   parameters, inputs]
        keys[page.name] = hashlib.sha256(
            json.dumps(made_of, sort_keys=True, default=str).encode()).hexdigest()
    return keys


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""  # a notebook that cannot be read: its page fails, and says why


def last_run(out: Path, *, exclude: str = "") -> Path | None:
    """The newest published run in ``out`` (other than ``exclude``)."""
    runs = sorted((p for p in out.iterdir() if _is_run(p) and p.name != exclude),
                  key=lambda p: p.name, reverse=True)
    return runs[0] if runs else None


def reuse_pages(previous: Path | None, run_dir: Path, keys: dict[str, str], *,
                keep_notebooks: bool = False) -> set[str]:
    """Copy into ``run_dir`` the pages of ``previous`` whose recorded key is the one in
    ``keys`` (with their executed notebooks, which ``keep_notebooks`` needs); return their
    names. A run without a readable ``pages.json`` gives none."""
    if previous is None:
        return set()
    try:
        recorded = json.loads((previous / PAGES_FILE).read_text(encoding="utf-8"))["pages"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    reused = set()
    for name, key in keys.items():
        if recorded.get(name) != key:
            continue
        files = [f"{name}.html", *([f"{name}.ipynb"] if keep_notebooks else [])]
        if not all((previous / f).is_file() for f in files):
            continue
        for file in files:
            shutil.copyfile(previous / file, run_dir / file)
        reused.add(name)
    return reused


def write_stylesheet(run_dir: Path, *, with_code: bool = False) -> Path:
    """The run's one stylesheet, ``style.css`` (with the code colours when code is shown)."""
    css = (TEMPLATES_DIR / "newsdesk" / STYLE_FILE).read_text(encoding="utf-8")
    if with_code:
        from pygments.formatters import HtmlFormatter

        css += "\n/* code (pygments) */\n" + HtmlFormatter().get_style_defs(".highlight")
    target = run_dir / STYLE_FILE
    target.write_text(css, encoding="utf-8")
    return target


class RunLog:
    """``<run>/report.log``: what ran, each page with its time and error, the outcome."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def line(self, text: str) -> None:
        stamp = datetime.now().isoformat(timespec="seconds")
        self.raw(f"{stamp} {text}\n")

    def raw(self, text: str) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(text)

    def header(self, *, run: str, db: Path, out: Path, pages: Sequence[Page],
               notes: Sequence[str]) -> None:
        from newsdesk import __version__

        self.line(f"newsdesk {__version__} report run {run} (pid {os.getpid()}, "
                  f"{platform.node()}, Python {platform.python_version()})")
        self.line(f"command: {' '.join(sys.argv)}")
        self.line(f"store: {db}")
        self.line(f"output: {out.resolve()}")
        for note in notes:
            self.line(note)
        self.line(f"pages planned: {len(pages)}")

    def page(self, page: Page, seconds: float, error: str | None) -> None:
        outcome = f"FAILED: {error}" if error else "ok"
        self.line(f"page {page.name} ({page.notebook}) {outcome} in {seconds:.1f} s")


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One report at a time into ``out``: a second one (cron overlapping itself) stops."""
    try:
        fh = (out / LOCK_FILE).open("a")
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the report here ({exc.strerror})") from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportError(
                f"{out}: another `newsdesk report` is writing here; try again later"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _set_aside(staging: Path) -> Path:
    """Rename an unfinished staging folder ``.<run>.partial`` to ``<run>.failed``."""
    run = staging.name[1:].removesuffix(".partial")
    failed = staging.with_name(run + FAILED_SUFFIX)
    if failed.exists():
        shutil.rmtree(failed)
    staging.rename(failed)
    return failed


def recover_stale_runs(out: Path) -> list[Path]:
    """Staging folders left by a run that was killed: set aside as ``<run>.failed``.

    Called with the lock held, so no staging folder found belongs to a live run.
    """
    recovered = []
    for staging in sorted(out.glob(".*.partial")):
        if staging.is_dir():
            failed = _set_aside(staging)
            RunLog(failed / LOG_FILE).line(
                "this run stopped without finishing (killed?); set aside by the next run")
            recovered.append(failed)
    return recovered


def default_jobs() -> int:
    """Kernels that render pages side by side: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


#: Run before each page in a kernel that has rendered one: a clean namespace (a new IPython
#: session, so the page's cells count from 1), no figures, pandas' default options, the run
#: folder as working directory. Imported modules stay: that is what makes the kernel warm.
_RESET_CODE = """\
import os as _os, sys as _sys, warnings as _warnings
_os.chdir({cwd!r})
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
if "pandas" in _sys.modules:
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        _sys.modules["pandas"].reset_option("all")
get_ipython().reset(new_session=True)
"""
KERNEL_START_TIMEOUT = 120  # seconds
KERNEL_START_ATTEMPTS = 3
KERNEL_RESET_TIMEOUT = 60


class Kernel:
    """A Jupyter kernel kept warm across pages, driven from its own event-loop thread.

    ``execute`` runs a notebook's cells in it through nbclient, as papermill does, after
    resetting what the previous page left. Any thread may call it (one at a time); nbclient
    never runs on the main thread, so the CLI's signal handlers stay as they are.
    """

    def __init__(self, cwd: Path, kernel_name: str = "python3") -> None:
        self.cwd = Path(cwd)
        self.kernel_name = kernel_name
        self.km = None
        self.kc = None
        self._used = False
        self._running: concurrent.futures.Future | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"newsdesk-kernel-{kernel_name}")
        self._thread.start()

    def _call(self, coro, timeout: float | None = None):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def execute(self, nb: nbformat.NotebookNode) -> None:
        """Execute ``nb`` in place; raises nbclient's CellExecutionError at the first cell
        that fails (its outputs kept in the notebook), DeadKernelError, or CancelledError
        when ``kill`` stopped it."""
        self._running = asyncio.run_coroutine_threadsafe(self._execute(nb), self._loop)
        try:
            self._running.result()
        finally:
            self._running = None

    async def _execute(self, nb: nbformat.NotebookNode) -> None:
        from nbclient import NotebookClient

        if self.km is None:
            await self._start()
        elif self._used:
            await self._reset()
        self._used = True
        client = NotebookClient(nb, km=self.km, kernel_name=self.kernel_name)
        client.kc = self.kc  # reuse the running kernel and its channels
        await client.async_execute()

    async def _start(self) -> None:
        """Start the kernel; again, on fresh ports, when it died before it was ready: the
        ports jupyter_client picks are free when picked but may be taken before the kernel
        binds them ("ZMQError: Address already in use", jupyter_client issue #154)."""
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                await self._start_once()
                return
            except RuntimeError:  # "Kernel died before replying to kernel_info"
                if attempt == KERNEL_START_ATTEMPTS:
                    raise

    async def _start_once(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        from newsdesk.kernels import kernel_spec_manager

        # The notebooks' kernel, "newsdesk", is this Python whether or not it is installed.
        km = AsyncKernelManager(kernel_name=self.kernel_name,
                                kernel_spec_manager=kernel_spec_manager())
        await km.start_kernel(cwd=str(self.cwd), extra_arguments=[
            "--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"])
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=KERNEL_START_TIMEOUT)
        except BaseException:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            raise
        kc.allow_stdin = False
        self.km, self.kc, self._used = km, kc, False

    async def _reset(self) -> None:
        from nbclient.exceptions import DeadKernelError

        msg_id = self.kc.execute(_RESET_CODE.format(cwd=str(self.cwd)), silent=True,
                                 store_history=False, allow_stdin=False)
        deadline = time.monotonic() + KERNEL_RESET_TIMEOUT
        while True:
            try:
                reply = await self.kc.get_shell_msg(timeout=1)
            except queue.Empty:
                if not await self.km.is_alive():
                    raise DeadKernelError("Kernel died") from None
                if time.monotonic() > deadline:
                    raise TimeoutError("the kernel did not reset in time") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"could not reset the kernel: {content.get('ename')}: "
                               f"{content.get('evalue')}")

    def kill(self) -> None:
        """Kill the kernel's process and stop the page running in it, at once, from any
        thread (the run is being abandoned); ``close`` still cleans up."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()
        running = self._running
        if running is not None:
            running.cancel()

    def close(self, *, now: bool = False) -> None:
        """Shut the kernel down (gracefully unless ``now``) and stop its event-loop thread."""
        if self._loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self._call(self._stop(now=now), timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()

    async def _stop(self, *, now: bool) -> None:
        current = asyncio.current_task()
        leftovers = [t for t in asyncio.all_tasks() if t is not current]
        for task in leftovers:  # what a cancelled page left (nbclient's pollers)
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            try:
                await km.shutdown_kernel(now=now)
            except RuntimeError:  # already gone
                await km.cleanup_resources()


class Renderer:
    """What renders page after page: a warm kernel (started on first use, started again
    when it dies), the notebooks read once, an HTML exporter set up once. One thread uses a
    Renderer at a time; a report runs one per job."""

    def __init__(self, run_dir: Path, *, with_code: bool = False,
                 keep_notebooks: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.with_code = with_code
        self.keep_notebooks = keep_notebooks
        self._kernel: Kernel | None = None
        self._notebooks: dict[Path, nbformat.NotebookNode] = {}
        self._exporters: dict[bool, object] = {}

    def notebook(self, path: Path) -> nbformat.NotebookNode:
        """A fresh copy of the notebook at ``path`` (read once), ready for papermill."""
        if path not in self._notebooks:
            from papermill.iorw import load_notebook_node

            self._notebooks[path] = load_notebook_node(str(path))
        return copy.deepcopy(self._notebooks[path])

    def kernel(self, kernel_name: str) -> Kernel:
        if self._kernel is not None and self._kernel.kernel_name != kernel_name:
            self.discard_kernel()
        if self._kernel is None:
            self._kernel = Kernel(self.run_dir, kernel_name)
        return self._kernel

    def discard_kernel(self, *, now: bool = True) -> None:
        """Stop the kernel (it died, or is in an unknown state); the next page starts one."""
        kernel, self._kernel = self._kernel, None
        if kernel is not None:
            kernel.close(now=now)

    def kill(self) -> None:
        """Kill the kernel now, from any thread (the run is being abandoned)."""
        kernel = self._kernel
        if kernel is not None:
            kernel.kill()

    def exporter(self, with_code: bool):
        if with_code not in self._exporters:
            self._exporters[with_code] = html_exporter(with_code=with_code)
        return self._exporters[with_code]

    def close(self) -> None:
        self.discard_kernel(now=False)


def render_page(page: Page, run_dir: Path, *, with_code: bool = False,
                renderer: Renderer | None = None) -> str | None:
    """Execute one notebook and export it; return an error message or None.

    The notebook runs as papermill runs it: the page's parameters injected in a cell tagged
    ``injected-parameters`` after the ``parameters`` cell, every cell executed by a Jupyter
    kernel (``renderer``'s warm one; without a renderer, a kernel started for this page),
    and on an error papermill's markers added and the rest of the notebook left unexecuted.
    A failed notebook still gets its HTML page (showing the error) and keeps its executed
    .ipynb beside it; a page that worked keeps it only with ``renderer.keep_notebooks``.
    """
    from nbclient.exceptions import CellExecutionError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import raise_for_execution_errors
    from papermill.parameterize import parameterize_notebook

    if renderer is None:
        renderer = Renderer(run_dir, with_code=with_code)
        try:
            return render_page(page, run_dir, with_code=with_code, renderer=renderer)
        finally:
            renderer.close()
    source = NOTEBOOKS_DIR / page.notebook
    ipynb = run_dir / f"{page.name}.ipynb"
    started = datetime.now(UTC)
    error = None
    try:
        nb = parameterize_notebook(renderer.notebook(source), page.parameters)
    except Exception as exc:  # a notebook that cannot be read
        error = f"{type(exc).__name__}: {exc}"
        nb = nbformat.v4.new_notebook()
    else:
        nb.metadata.papermill.update(
            input_path=str(source), output_path=str(ipynb), start_time=started.isoformat(),
            exception=None)
        kernel_name = nb.metadata.get("kernelspec", {}).get("name") or "python3"
        try:
            renderer.kernel(kernel_name).execute(nb)
        except CellExecutionError:
            pass  # its error output is in the notebook: reported just below, as papermill does
        except DeadKernelError as exc:
            error = f"the kernel died: {exc}"
            renderer.discard_kernel()
        except Exception as exc:  # a kernel that cannot start or be reset ...
            error = f"{type(exc).__name__}: {exc}"
            renderer.discard_kernel()
        if error is None:
            try:
                raise_for_execution_errors(nb, str(ipynb))
            except PapermillExecutionError as exc:
                error = f"{exc.ename}: {exc.evalue}"
                nb.metadata.papermill["exception"] = True
        ended = datetime.now(UTC)
        nb.metadata.papermill.update(end_time=ended.isoformat(),
                                     duration=(ended - started).total_seconds())
    if error is not None and not _has_error_marker(nb):
        nb.cells.insert(0, _error_cell(error))
    if error is not None or renderer.keep_notebooks:
        nbformat.write(nb, ipynb)
    export_html(nb, run_dir / f"{page.name}.html", title=page.title,
                root=_root_link(page.name), with_code=with_code,
                exporter=renderer.exporter(with_code))
    return error


def _has_error_marker(nb: nbformat.NotebookNode) -> bool:
    from papermill.execute import ERROR_MARKER_TAG

    return any(ERROR_MARKER_TAG in c.get("metadata", {}).get("tags", []) for c in nb.cells)


def _error_cell(error: str) -> nbformat.NotebookNode:
    """A marker at the top of a page that could not run, like papermill's."""
    from papermill.execute import ERROR_MARKER_TAG, ERROR_STYLE

    cell = nbformat.v4.new_markdown_cell(
        f"<span {ERROR_STYLE}>This page could not be produced: {html.escape(error)}</span>")
    cell.metadata["tags"] = [ERROR_MARKER_TAG]
    return cell


def render_pages(pages: Sequence[Page], run_dir: Path, *, with_code: bool = False,
                 jobs: int = 1, keep_notebooks: bool = False
                 ) -> Iterator[tuple[Page, float, str | None]]:
    """Render ``pages`` with ``jobs`` warm kernels side by side; yield (page, seconds,
    error) as each is done. An exception that is not a page's error (a full disk) stops the
    run and is raised here; closing the generator early stops the kernels at once."""
    jobs = max(1, min(jobs, len(pages)))
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for page in pages:
        todo.put(page)
    done: queue.SimpleQueue = queue.SimpleQueue()
    abandoned = threading.Event()
    renderers = [Renderer(run_dir, with_code=with_code, keep_notebooks=keep_notebooks)
                 for _ in range(jobs)]

    def work(renderer: Renderer) -> None:
        try:
            while not abandoned.is_set():
                try:
                    page = todo.get_nowait()
                except queue.Empty:
                    break
                started = time.monotonic()
                error = render_page(page, run_dir, with_code=with_code, renderer=renderer)
                done.put((page, time.monotonic() - started, error))
        except BaseException as exc:  # not a page's error: the run cannot go on
            done.put(exc)
        finally:
            if abandoned.is_set():
                renderer.discard_kernel()  # at once
            else:
                renderer.close()

    threads = [threading.Thread(target=work, args=(r,), daemon=True,
                                name=f"newsdesk-report-{i}") for i, r in enumerate(renderers)]
    for thread in threads:
        thread.start()
    finished = False
    try:
        for _ in pages:
            while True:
                try:
                    item = done.get(timeout=0.5)  # a short wait, so signals are handled
                    break
                except queue.Empty:
                    if not any(t.is_alive() for t in threads) and done.empty():
                        raise RuntimeError("the report's workers stopped unexpectedly")
            if isinstance(item, BaseException):
                raise item
            yield item
        finished = True
    finally:
        if not finished:
            abandoned.set()
            for renderer in renderers:
                renderer.kill()
        for thread in threads:
            thread.join(timeout=60 if finished else 10)


def export_html(ipynb: Path | nbformat.NotebookNode, target: Path, *, title: str,
                root: str = "", with_code: bool, exporter=None) -> None:
    """nbconvert HTML (no input cells unless ``with_code``), images inline, nothing remote,
    the run's stylesheet linked from ``root`` (the run folder, relative to the page).

    ``ipynb`` is an executed notebook or its file; ``exporter`` one from ``html_exporter``
    (made here when not given)."""
    if exporter is None:
        exporter = html_exporter(with_code=with_code)
    if isinstance(ipynb, nbformat.NotebookNode):
        notebook = copy.copy(ipynb)
        notebook.metadata = copy.copy(ipynb.metadata)
    else:
        notebook = nbformat.read(ipynb, as_version=4)
    notebook.metadata["title"] = title
    body, _ = exporter.from_notebook_node(
        notebook,
        resources={"metadata": {"name": title}, "newsdesk_root": root, "newsdesk_csp": CSP},
    )
    target.write_text(body, encoding="utf-8")


def html_exporter(*, with_code: bool = False):
    """The nbconvert HTMLExporter of report pages (template loaded once), without the
    BeautifulSoup pass nbconvert adds after rendering: it gives JupyterLab's cell markup,
    which the lean template does not write, a tabindex and images their alt text, which the
    template writes itself, and re-parsing every page cost three quarters of its export."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node (nbconvert 7.17) up to its BeautifulSoup pass
            info = nb.metadata.get("language_info", {})
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(
                    pygments_lexer=info.get("pygments_lexer", info.get("name")), parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PageExporter(
        template_name="newsdesk",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=not with_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )


def _root_link(name: str) -> str:
    """The run folder, relative to the page ``name``: "" or "../"."""
    return "../" * name.count("/")


def run_index_html(run: str, pages: Sequence[Page], failures: dict[str, str], *,
                   single_file: bool = False) -> str:
    """The index of one run: every page linked, failures marked."""
    body = _page_list(pages, failures, href=lambda page: f"{page.name}.html")
    status = (
        f"<p class='failed'>{len(failures)} of {len(pages)} pages failed.</p>" if failures
        else f"<p>{len(pages)} pages.</p>"
    )
    extra = ("<a href='report.html'>every page in one file</a> · " if single_file else "")
    return _page(f"newsdesk report {run}", f"{status}{body}<p>{extra}"
                 f"<a href='{LOG_FILE}'>log of this run</a> · "
                 "<a href='../index.html'>all runs</a></p>")


def _page_list(pages: Sequence[Page], failures: dict[str, str], *, href) -> str:
    sections: dict[str, list[str]] = {}
    for page in pages:
        mark = ""
        if page.name in failures:
            mark = f' <strong class="failed">failed: {html.escape(failures[page.name])}</strong>'
        sections.setdefault(page.section, []).append(
            f'<li><a href="{html.escape(href(page))}">{html.escape(page.title)}</a>{mark}</li>'
        )
    return "".join(
        f"<h2>{html.escape(section)}</h2><ul>{''.join(items)}</ul>"
        for section, items in sections.items()
    )


def runs_index_html(out: Path) -> str:
    """The index of all runs in ``out``, newest first, each with its outcome."""
    runs = sorted((p.name for p in out.iterdir() if _is_run(p)), reverse=True)
    items = "".join(
        f'<li><a href="{html.escape(r)}/index.html">{html.escape(r)}</a>'
        f"{_run_outcome(out / r)}</li>" for r in runs
    )
    return _page("newsdesk reports", f"<ul>{items}</ul>" if runs else "<p>No runs yet.</p>")


def _run_outcome(run_dir: Path) -> str:
    try:
        summary = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
        pages, failed = int(summary["pages"]), len(summary["failed"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if failed:
        return f" <span class='failed'>{failed} of {pages} pages failed</span>"
    return f" <span class='ok'>{pages} pages</span>"


def _is_run(path: Path) -> bool:
    """A published run: a folder named by its start time, holding its index."""
    if not path.is_dir() or path.name.startswith(".") or path.name.endswith(FAILED_SUFFIX):
        return False
    try:
        datetime.strptime(path.name[:17], RUN_FORMAT)
    except ValueError:
        return False
    return (path / "index.html").exists()


def prune_runs(out: Path, *, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` runs, and all but the newest ``keep`` runs set aside
    as failed; return the names removed."""
    runs = sorted((p for p in out.iterdir() if _is_run(p)), key=lambda p: p.name, reverse=True)
    failed = sorted((p for p in out.glob(f"*{FAILED_SUFFIX}") if p.is_dir()),
                    key=lambda p: p.name, reverse=True)
    removed = []
    for old in [*runs[keep:], *failed[keep:]]:
        shutil.rmtree(old)
        removed.append(old.name)
    return removed


def write_single_file(run_dir: Path, pages: Sequence[Page], run: str,
                      failures: dict[str, str] | None = None) -> Path:
    """All pages of a run in one self-contained HTML file, ``report.html``, to mail.

    One document, not frames: the run's stylesheet once, inline, then each page's body in a
    ``<section>``; ids are prefixed per page, links between pages become links to sections
    and each page's link home goes to the contents at the top. Images stay inline; the same
    Content-Security-Policy forbids any script and any fetch.
    """
    failures = failures or {}
    anchors = {page.name: _anchor(page.name) for page in pages}
    css = (run_dir / STYLE_FILE).read_text(encoding="utf-8") if (
        run_dir / STYLE_FILE).is_file() else ""
    styles, body_tag, sections = f"<style>{css}</style>", "<body>", []
    for page in pages:
        text = (run_dir / f"{page.name}.html").read_text(encoding="utf-8")
        _, _, rest = text.partition("</head>")
        match = re.search(r"<body[^>]*>(.*)</body>", rest, flags=re.S)
        body = _relink(match.group(1) if match else "", page.name, anchors)
        sections.append(f'<section class="newsdesk-page" id="{anchors[page.name]}">'
                        f"{body}</section>")
    contents = _page_list(pages, failures, href=lambda page: "#" + anchors[page.name])
    document = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        "<meta name='viewport' content='width=device-width, initial-scale=1.0'>"
        f"<title>{html.escape(f'newsdesk report {run}')}</title>{styles}"
        "<style>.newsdesk-contents{font-family:system-ui,sans-serif;max-width:60em;"
        "margin:1em auto;padding:0 1.2em}.newsdesk-contents .failed{color:#b91c1c}"
        ".newsdesk-contents a{color:#1d4ed8;text-decoration:underline}"
        "section.newsdesk-page{border-top:4px solid #ddd;margin-top:2em}"
        "@media print{section.newsdesk-page{break-before:page;border:0}}</style>"
        f"</head>{body_tag}<div class='newsdesk-contents' id='top'>"
        f"<h1>{html.escape(f'newsdesk report {run}')}</h1>"
        f"<p>{len(pages)} pages in one file.</p>{contents}</div>{''.join(sections)}"
        "</body></html>"
    )
    target = run_dir / "report.html"
    target.write_text(document, encoding="utf-8")
    return target


def _anchor(name: str) -> str:
    return "page-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_ATTR = re.compile(r"""(\s(?:id|href)=)(["'])(.*?)\2""")


def _relink(body: str, page: str, anchors: dict[str, str]) -> str:
    """Rewrite ids and links of one page's body for the single file.

    Only attributes inside tags are touched: article text is escaped, so no ``<`` of it
    can start a tag here. A rewritten value keeps its quotes.
    """
    prefix = anchors[page]

    def attr(match: re.Match) -> str:
        name, quote, value = match.groups()
        if name.strip() == "id=":
            return f"{name}{quote}{prefix}--{value}{quote}"
        if value.startswith("#"):
            return f"{name}{quote}#{prefix}--{value[1:]}{quote}"
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^/", value):  # absolute: leave it
            return match.group(0)
        path, _, fragment = value.partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page),
                                                   html.unescape(path)))
        stem = target.removesuffix(".html")
        if target == "index.html":
            return f"{name}{quote}#top{quote}"
        if stem in anchors:
            return f"{name}{quote}#{anchors[stem]}{'--' + fragment if fragment else ''}{quote}"
        return match.group(0)

    return _TAG.sub(lambda tag: _ATTR.sub(attr, tag.group(0)), body)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;"
        "max-width:60em;margin:2em auto;padding:0 1em}}.failed{{color:#b91c1c}}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
