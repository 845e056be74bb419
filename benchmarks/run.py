"""Benchmarks (run with `make bench`): whole-process timings, medians of several runs.

    .venv/bin/python benchmarks/run.py [--sizes 300,1000,10000] [--repeat 3] [--quick] [--out FILE]

For the sample and for corpora of distinct articles (built by corpus.py, cached under
benchmarks/corpora/), each measurement is one whole subprocess, start-up included, timed with
``time.perf_counter`` while the RSS of its whole process tree (the process and all its
children, summed) is polled every 0.1 s with psutil:

- bare: ``benchmarks/bare_pipe.py``, which loads the same spaCy pipeline as newsdesk (same
  components excluded) and runs ``nlp.pipe`` over the corpus texts on every core
  (n_process = CPU count, batch_size 64);
- ingest: ``newsdesk ingest CORPUS --db <fresh store> --workers <CPU count>``;
- second ingest: the same command again on the same store (nothing changed: everything
  cached, the corpus-level steps skipped);
- report: ``newsdesk report --db <store> --out <fresh folder> --profiles all`` for the sample
  (with ``--single-file``) and for 1,000 articles (every profile page); the size of the run
  folder (and of the sample's single file);
- second report: ``ADDED`` (10) more articles copied into the 1,000-article folder, ingested,
  and the same report again into the same reports folder (unchanged pages are reused).

Bare and ingest runs alternate, so that load from elsewhere on the machine hits both alike.
Corpora above ``--single-above`` articles (default 1,000) are measured once; the rest take the
median of ``--repeat`` runs. Reports and stores go to a temporary folder, except the store
of each corpus's first fresh ingest, kept as benchmarks/corpora/<corpus>.duckdb for
benchmarks/explorer.py (which `make bench` runs next). Progress goes to stderr; the tables
to benchmarks/results.md (rewritten after each corpus, so an interrupted run leaves what it
measured, marked incomplete).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "data" / "raw" / "sample"
CORPORA = HERE / "corpora"
RESULTS = HERE / "results.md"
QUICK_RESULTS = CORPORA / "results-quick.md"  # git-ignored with the corpora
BARE_SCRIPT = HERE / "bare_pipe.py"
BATCH_SIZE = 64  # the bare script's; `newsdesk ingest` runs with its default (64)
POLL_SECONDS = 0.1
RATIO_TARGET = 1.15
REPORT_SIZE = 1000
ADDED = 10  # articles added before the second report
MIB = 2**20
MB = 10**6
SECOND_INGEST_TARGET = 0.05  # unchanged ingest / full ingest, from 300 articles on
SECOND_REPORT_TARGET = 0.25  # second report / first report
FOLDER_TARGET_MB = 40  # a 1,000-article run folder
SINGLE_FILE_TARGET_MB = 1  # the sample's report.html

T0 = time.perf_counter()
LOAD_AT_START = os.getloadavg()


def log(message: str) -> None:
    elapsed = time.perf_counter() - T0
    print(f"[bench {elapsed:7.1f}s] {message}", file=sys.stderr, flush=True)


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask where there is one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# --- measuring one subprocess ----------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_mib: float
    returncode: int
    output: str = ""
    attempts: int = 1
    accept: tuple[int, ...] = (0,)  # exit statuses whose time counts

    @property
    def ok(self) -> bool:
        return self.returncode in self.accept


def tree_rss(proc: psutil.Process) -> int:
    """RSS of ``proc`` and all its descendants, summed, in bytes (0 once it has gone)."""
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(command: list[str]) -> Run:
    """Run ``command`` (from the project root) as one subprocess; wall time and peak tree RSS."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        popen = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output,
                                 stderr=subprocess.STDOUT)
        peak = 0
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            try:
                proc = psutil.Process(popen.pid)
            except psutil.Error:
                return
            while not done.is_set():
                peak = max(peak, tree_rss(proc))
                done.wait(POLL_SECONDS)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        returncode = popen.wait()
        seconds = time.perf_counter() - start
        done.set()
        poller.join()
        output.seek(0)
        text = output.read().decode("utf-8", errors="replace")
    return Run(seconds, peak / MIB, returncode, text)


def attempt(label: str, command: list[str], *, accept: tuple[int, ...] = (0,)) -> Run:
    """``measure`` once, and once more if it fails (the library may be mid-edit); a second
    failure with an exit status in ``accept`` still counts (a report whose page failed)."""
    log(f"{label} ...")
    run = measure(command)
    if run.returncode != 0 and (run.returncode not in accept or "Traceback" in run.output):
        log(f"{label} FAILED (exit {run.returncode}) after {run.seconds:.1f}s; retrying once:\n"
            + tail(run.output))
        time.sleep(5)
        run = measure(command)
        run.attempts = 2
    run.accept = accept
    status = "ok" if run.returncode == 0 else f"FAILED (exit {run.returncode})"
    if run.returncode and run.ok:
        status = f"exit {run.returncode}, time counted"
    log(f"{label}: {run.seconds:.2f}s, peak {run.peak_mib:.0f} MiB, {status}")
    if run.returncode != 0:
        log(tail(run.output))
    return run


def tail(text: str, lines: int = 6) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


# --- what is measured ------------------------------------------------------------------------


@dataclass
class Corpus:
    name: str
    path: Path
    articles: int
    words: int
    runs: int
    bare: list[Run] = field(default_factory=list)
    ingest: list[Run] = field(default_factory=list)
    second: list[Run] = field(default_factory=list)
    db: Path | None = None  # the store of the first fresh ingest (for the report)


@dataclass
class Report:
    name: str
    articles: int
    pages: int = 0
    runs: list[Run] = field(default_factory=list)
    folder_mb: list[float] = field(default_factory=list)  # the run folder of each run
    single_mb: list[float] = field(default_factory=list)  # its report.html (sample)
    added_ingest: list[Run] = field(default_factory=list)  # ingest of ADDED more articles
    second: list[Run] = field(default_factory=list)  # the report after them
    reused: list[int] = field(default_factory=list)  # pages the second report reused


def texts_of(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.txt"))


def corpus_of(name: str, path: Path, runs: int) -> Corpus:
    files = texts_of(path)
    words = sum(len(p.read_text(encoding="utf-8").split()) for p in files)
    return Corpus(name, path, len(files), words, runs)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def med_seconds(runs: list[Run]) -> float | None:
    return median([r.seconds for r in runs if r.ok])


def med_peak(runs: list[Run]) -> float | None:
    return median([r.peak_mib for r in runs if r.ok])


def run_dirs(out: Path) -> list[Path]:
    """The published runs in ``out``, oldest first."""
    return sorted(d for d in out.iterdir() if d.is_dir() and not d.name.startswith(".")
                  and not d.name.endswith(".failed")) if out.is_dir() else []


def count_pages(run: Path | None) -> int:
    """HTML pages of a run (its index and report.html aside)."""
    if run is None:
        return 0
    return sum(1 for p in run.rglob("*.html") if p.name not in ("index.html", "report.html"))


def folder_mb(run: Path) -> float:
    """Bytes of every file in a run folder, in MB (10^6)."""
    return sum(p.stat().st_size for p in run.rglob("*") if p.is_file()) / MB


def reused_pages(run: Path) -> int:
    import json

    try:
        return int(json.loads((run / "run.json").read_text(encoding="utf-8"))["reused"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def remove_store(db: Path) -> None:
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)


# --- results.md ------------------------------------------------------------------------------


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "–" if value is None else format(value, spec)


def per_second(amount: int, seconds: float | None, spec: str) -> str:
    return "–" if not seconds else format(amount / seconds, spec)


def machine_facts(model: str, workers: int) -> list[str]:
    cpu_model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"

    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    start_load = " / ".join(f"{x:.2f}" for x in LOAD_AT_START)
    return [
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {cpu_model}; {os.cpu_count()} logical CPUs, {cpu_count()} usable; "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM; {platform.platform()}",
        f"- Load average (1/5/15 min) at the start: {start_load}; when the tables were "
        f"written: {load} (other work on the machine shows here)",
        f"- Python {platform.python_version()}; spaCy {version('spacy')}; model `{model}` "
        f"{version(model.replace('_', '-'))}; newsdesk {version('newsdesk')}",
        f"- Workers: bare `n_process={workers}`, ingest `--workers {workers}` (the CPU count); "
        f"batch size {BATCH_SIZE}",
    ]


def write_results(out: Path, corpora: list[Corpus], reports: list[Report], *, model: str,
                  workers: int, exclude: list[str], repeat: int, single_above: int,
                  complete: bool, notes: list[str], argv: list[str]) -> None:
    lines = ["# Benchmarks", ""]
    if not complete:
        lines += ["**Incomplete: the run was still going or stopped; the tables hold what was "
                  "measured.**", ""]
    command = " ".join(["python", "benchmarks/run.py", *argv])
    lines += [
        f"Written by `{command}` (`make bench` runs the default sizes). Every time is one whole "
        "process, start-up included, wall clock (`time.perf_counter`); peak memory is the "
        "largest sum of the RSS of the process and all its children, polled every 0.1 s with "
        "psutil (MiB; the forked workers share pages with their parent, so the sum counts "
        "those pages more than once). Medians of the runs given in the last column: corpora "
        f"of up to {single_above:,} articles take the median of {repeat} run(s), larger ones "
        "are measured once (a full run there takes many minutes). Bare and ingest runs "
        "alternate. This machine is shared and noisy: compare ratios taken in one run.",
        "",
        *machine_facts(model, workers),
        "",
        "## Ingest",
        "",
        f"- **bare**: `benchmarks/bare_pipe.py`: `spacy.load(model, exclude={exclude!r})` (as "
        f"`newsdesk.nlp`), then `nlp.pipe` over the corpus texts as read, `n_process={workers}`, "
        f"`batch_size={BATCH_SIZE}`.",
        f"- **ingest**: `newsdesk ingest CORPUS --db <new store> --workers {workers} --quiet`; "
        "**second ingest**: the same command again on that store (nothing changed: all cached, "
        "the corpus-level steps skipped).",
        "- words: whitespace-separated words of the corpus files.",
        "",
        "| corpus | articles | words | bare s | bare art/s | bare words/s | ingest s "
        "| ingest art/s | ingest words/s | ratio ingest/bare | second ingest s | peak MB bare "
        "| peak MB ingest | peak MB second ingest | runs |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for c in corpora:
        bare, ingest, second = med_seconds(c.bare), med_seconds(c.ingest), med_seconds(c.second)
        ratio = ingest / bare if bare and ingest else None
        lines.append(
            f"| {c.name} | {c.articles:,} | {c.words:,} | {fmt(bare)} "
            f"| {per_second(c.articles, bare, ',.1f')} | {per_second(c.words, bare, ',.0f')} "
            f"| {fmt(ingest)} | {per_second(c.articles, ingest, ',.1f')} "
            f"| {per_second(c.words, ingest, ',.0f')} | {fmt(ratio)} | {fmt(second)} "
            f"| {fmt(med_peak(c.bare), ',.0f')} | {fmt(med_peak(c.ingest), ',.0f')} "
            f"| {fmt(med_peak(c.second), ',.0f')} | {len(c.ingest)} |")
    lines += ["", "Targets:", ""]
    for c in corpora:
        bare, ingest, second = med_seconds(c.bare), med_seconds(c.ingest), med_seconds(c.second)
        if bare and ingest:
            lines.append(target(f"{c.name}: ingest / bare", ingest / bare, RATIO_TARGET))
        if ingest and second and c.articles >= 300:
            lines.append(target(f"{c.name}: unchanged (second) ingest / full ingest",
                                second / ingest, SECOND_INGEST_TARGET, ".3f"))
    sized = [c for c in corpora if c.name != "sample" and med_peak(c.ingest)]
    if len(sized) >= 2:
        small, large = sized[0], sized[-1]
        for label, runs_of in (("ingest", lambda c: c.ingest),
                               ("second ingest", lambda c: c.second)):
            if not (med_peak(runs_of(small)) and med_peak(runs_of(large))):
                continue
            growth = med_peak(runs_of(large)) / med_peak(runs_of(small))
            verdict = "flat (within 10%)" if growth <= 1.10 else "**grows**"
            lines.append(f"- peak memory of {label}, {large.articles:,} vs {small.articles:,} "
                         f"articles: {growth:.2f}× ({verdict}; target: does not grow with "
                         "the corpus)")
    elif sized:
        lines.append("- peak memory growth with the corpus: needs two corpus sizes; "
                     f"measured only {sized[0].articles:,} articles in this run")
    lines += [
        "",
        "## Report",
        "",
        "`newsdesk report --db <store> --out <new folder> --profiles all --quiet` (the sample: "
        "also `--single-file`), on the store of the first fresh ingest above (the larger "
        "corpus: of a copy of its folder); pages: HTML pages written (every article's profile "
        "plus the corpus pages; index pages aside); run folder: every file of the run, MB "
        "(10^6 bytes).",
        "",
        "| corpus | articles | pages | report s | s/page | peak MB | run folder MB "
        "| single file MB | runs |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in reports:
        seconds = med_seconds(r.runs)
        lines.append(f"| {r.name} | {r.articles:,} | {r.pages:,} | {fmt(seconds)} "
                     f"| {fmt(seconds / r.pages if seconds and r.pages else None, '.3f')} "
                     f"| {fmt(med_peak(r.runs), ',.0f')} | {fmt(median(r.folder_mb), '.1f')} "
                     f"| {fmt(median(r.single_mb), '.2f')} | {len(r.runs)} |")
    twice = [r for r in reports if r.second]
    lines += [
        "",
        f"**Second report**: {ADDED} more articles copied into the corpus folder, `newsdesk "
        "ingest` of it (only they are parsed), then the same report command again into the "
        "same reports folder: pages whose inputs did not change are copied from the first run.",
        "",
        "| corpus | articles | first report s | ingest of the added s | second report s "
        "| second / first | pages reused | runs |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in twice:
        first, second = med_seconds(r.runs), med_seconds(r.second)
        lines.append(f"| {r.name} | {r.articles:,} + {ADDED} | {fmt(first)} "
                     f"| {fmt(med_seconds(r.added_ingest))} | {fmt(second)} "
                     f"| {fmt(second / first if first and second else None)} "
                     f"| {fmt(median(r.reused), ',.0f')} | {len(r.second)} |")
    lines += ["", "Targets:", ""]
    for r in reports:
        if r.single_mb:
            lines.append(target(f"{r.name}: single file, MB", median(r.single_mb),
                                SINGLE_FILE_TARGET_MB))
        if r.folder_mb and r.articles >= REPORT_SIZE:
            lines.append(target(f"{r.name}: run folder, MB", median(r.folder_mb),
                                FOLDER_TARGET_MB, ".1f"))
        first, second = med_seconds(r.runs), med_seconds(r.second)
        if first and second:
            lines.append(target(f"{r.name}: second report / first", second / first,
                                SECOND_REPORT_TARGET))
    lines += ["", "## Every run", "", "seconds (peak MiB); ✗ failed, ↻ retried once", ""]
    for c in corpora:
        for label, runs in (("bare", c.bare), ("ingest", c.ingest), ("second ingest", c.second)):
            lines.append(f"- {c.name} {label}: " + ", ".join(map(describe, runs)))
        pairs = [f"{i.seconds / b.seconds:.2f}" for b, i in zip(c.bare, c.ingest, strict=False)
                 if b.ok and i.ok]
        lines.append(f"- {c.name} ingest/bare of each bare-then-ingest pair: {', '.join(pairs)}")
    for r in reports:
        lines.append(f"- {r.name} report: " + ", ".join(map(describe, r.runs)))
        if r.second:
            lines.append(f"- {r.name} ingest of {ADDED} more: "
                         + ", ".join(map(describe, r.added_ingest)))
            lines.append(f"- {r.name} second report: " + ", ".join(map(describe, r.second))
                         + f"; pages reused: {', '.join(map(str, r.reused))}")
    if notes:
        lines += ["", "## Notes", "", *notes]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def target(what: str, value: float, limit: float, spec: str = ".2f") -> str:
    """A line of the targets: the value, the limit, and whether it is met."""
    verdict = "met" if value <= limit else "**not met**"
    return f"- {what} = {value:{spec}} (target ≤ {limit}): {verdict}"


def describe(run: Run) -> str:
    marks = ("" if run.ok else " ✗") + (f" exit {run.returncode}" if run.returncode else "")
    marks += " ↻" if run.attempts > 1 else ""
    return f"{run.seconds:.2f} ({run.peak_mib:,.0f}){marks}"


# --- main ------------------------------------------------------------------------------------


def report_sample(r: Report, c: Corpus, newsdesk: str, tmp: Path) -> None:
    """The sample's report into a fresh folder, with the single file, ``c.runs`` times."""
    for i in range(c.runs):
        out = tmp / f"reports-{c.path.name}-{i}"
        r.runs.append(attempt(f"report {c.name} [{i + 1}/{c.runs}]", [
            newsdesk, "report", "--db", str(c.db), "--out", str(out), "--profiles", "all",
            "--single-file", "--quiet"], accept=(0, 1)))
        run = (run_dirs(out) or [None])[-1]
        if run is not None:
            r.pages = r.pages or count_pages(run)
            r.folder_mb.append(folder_mb(run))
            if (run / "report.html").is_file():
                r.single_mb.append((run / "report.html").stat().st_size / MB)
        shutil.rmtree(out, ignore_errors=True)


def report_twice(r: Report, c: Corpus, newsdesk: str, tmp: Path, *, workers: int) -> None:
    """A report of every article into a fresh folder, then ``ADDED`` more articles in the same
    corpus folder, their ingest, and the same report again (unchanged pages reused); ``c.runs``
    times, each from a copy of one store of the corpus."""
    import corpus

    folder = tmp / "report-corpus"
    shutil.copytree(c.path, folder)
    more = corpus.build(tmp / "report-more", c.articles + ADDED)
    added = sorted(more.glob("*.txt"))[c.articles:]
    base = tmp / "report-base.duckdb"
    ingest = [newsdesk, "ingest", str(folder), "--db", str(base), "--workers", str(workers),
              "--quiet"]
    if not attempt(f"ingest {c.name} for the reports", ingest).ok:
        return
    for i in range(c.runs):
        tag = f"{c.name} [{i + 1}/{c.runs}]"
        for path in added:
            (folder / path.name).unlink(missing_ok=True)
        db, out = tmp / f"report-{i}.duckdb", tmp / f"reports-{c.path.name}-{i}"
        shutil.copy(base, db)
        report = [newsdesk, "report", "--db", str(db), "--out", str(out), "--profiles", "all",
                  "--quiet"]
        r.runs.append(attempt(f"report {tag}", report, accept=(0, 1)))
        run = (run_dirs(out) or [None])[-1]
        if run is not None:
            r.pages = r.pages or count_pages(run)
            r.folder_mb.append(folder_mb(run))
        for path in added:
            shutil.copy(path, folder / path.name)
        r.added_ingest.append(attempt(f"ingest of {ADDED} more articles {tag}", [
            newsdesk, "ingest", str(folder), "--db", str(db), "--workers", str(workers),
            "--quiet"]))
        r.second.append(attempt(f"second report {tag}", report, accept=(0, 1)))
        runs = run_dirs(out)
        r.reused.append(reused_pages(runs[-1]) if len(runs) == 2 else 0)
        shutil.rmtree(out, ignore_errors=True)
        remove_store(db)
    remove_store(base)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="300,1000,10000",
                        help="corpus sizes in articles, comma-separated (default: "
                             "300,1000,10000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per measurement, the median is kept (default: 3)")
    parser.add_argument("--single-above", type=int, default=1000, metavar="N",
                        help="corpora larger than N articles are measured once (default: 1000)")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="n_process and --workers (default: the CPU count)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: sizes 200, repeat 1, results into "
                             "benchmarks/corpora/results-quick.md")
    parser.add_argument("--out", type=Path, help="results file (default: benchmarks/results.md)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = "200", 1
    args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    args.out = args.out or (QUICK_RESULTS if args.quick else RESULTS)
    if args.repeat < 1 or not args.sizes or min(args.sizes) < 1:
        parser.error("--repeat and --sizes must be positive")
    return args


def import_newsdesk():
    """The settings the benchmark must match, from the library (retried once: lib/ may be
    mid-edit)."""
    for tries in (1, 2):
        try:
            from newsdesk.config import model_name
            from newsdesk.nlp import UNUSED_COMPONENTS

            return model_name(), list(UNUSED_COMPONENTS)
        except Exception as exc:  # anything a half-edited module raises
            if tries == 2:
                raise
            log(f"importing newsdesk failed ({exc!r}); retrying in 10 s")
            for name in [m for m in sys.modules if m.startswith("newsdesk")]:
                del sys.modules[name]
            time.sleep(10)


def build_corpora(sizes: list[int]) -> dict[int, Path]:
    import corpus

    paths = {}
    for size in sizes:
        target = CORPORA / f"n{size}"
        cached = len(texts_of(target)) == size if target.is_dir() else False
        start = time.perf_counter()
        for tries in (1, 2):
            try:
                paths[size] = corpus.build(target, size)
                break
            except Exception as exc:  # corpus.py uses newsdesk.clean
                if tries == 2:
                    raise
                log(f"building the {size:,}-article corpus failed ({exc!r}); retrying in 10 s")
                time.sleep(10)
        log(f"corpus of {size:,} articles: {target.relative_to(ROOT)} "
            f"({'cached' if cached else f'built in {time.perf_counter() - start:.1f}s'})")
    return paths


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    workers = args.workers or cpu_count()
    model, exclude = import_newsdesk()
    newsdesk = shutil.which("newsdesk", path=str(Path(sys.executable).parent)) or "newsdesk"
    log(f"sizes {args.sizes}, repeat {args.repeat} (once above {args.single_above:,}), "
        f"{workers} workers, model {model} without {exclude}; results -> {args.out}")
    paths = build_corpora(args.sizes)

    corpora: list[Corpus] = []
    reports: list[Report] = []
    notes: list[str] = []

    def save(complete: bool) -> None:
        write_results(args.out, corpora, reports, model=model, workers=workers,
                      exclude=exclude, repeat=args.repeat, single_above=args.single_above,
                      complete=complete, notes=notes, argv=argv)

    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        todo = [("sample", SAMPLE, args.repeat)] + [
            (f"{size:,} articles", paths[size], 1 if size > args.single_above else args.repeat)
            for size in args.sizes]
        for name, path, runs in todo:
            c = corpus_of(name, path, runs)
            corpora.append(c)
            log(f"== {name}: {c.articles:,} articles, {c.words:,} words, {runs} run(s)")
            for i in range(runs):
                tag = f"{name} [{i + 1}/{runs}]"
                c.bare.append(attempt(f"bare {tag}", [
                    sys.executable, str(BARE_SCRIPT), model, str(path), str(workers),
                    str(BATCH_SIZE), ",".join(exclude)]))
                db = (CORPORA / f"{path.name}.duckdb" if i == 0
                      else Path(tmp) / f"{path.name}-{i}.duckdb")
                remove_store(db)  # a fresh store: the first ingest parses everything
                ingest = [newsdesk, "ingest", str(path), "--db", str(db), "--workers",
                          str(workers), "--quiet"]
                c.ingest.append(attempt(f"ingest {tag}", ingest))
                c.second.append(attempt(f"second ingest {tag}", ingest))
                if i == 0:
                    c.db = db
                else:
                    remove_store(db)
            save(complete=False)

        report_corpora = [corpora[0]]
        big = [c for c in corpora[1:] if c.articles == REPORT_SIZE] or corpora[1:2]
        report_corpora += big
        if big and big[0].articles != REPORT_SIZE:
            notes.append(f"- The corpus report ran on {big[0].articles:,} articles "
                         f"(no {REPORT_SIZE:,}-article corpus in this run).")
        for c in report_corpora:
            r = Report(c.name, c.articles)
            reports.append(r)
            if c.db is None or not c.db.exists():
                notes.append(f"- No report for {c.name}: its ingest wrote no store.")
                continue
            if c is corpora[0]:
                report_sample(r, c, newsdesk, Path(tmp))
            else:
                report_twice(r, c, newsdesk, Path(tmp), workers=workers)
            save(complete=False)

    failed = [(c.name, label, run) for c in corpora
              for label, runs in (("bare", c.bare), ("ingest", c.ingest), ("second", c.second))
              for run in runs if not run.ok]
    failed += [(r.name, label, run) for r in reports
               for label, runs in (("report", r.runs), ("ingest of the added articles",
                                                        r.added_ingest),
                                   ("second report", r.second))
               for run in runs if not run.ok]
    for name, label, run in failed:
        notes.append(f"- {name} {label} failed (exit {run.returncode}), left out of the "
                     f"medians:\n\n```\n{run.output.strip()[-1500:]}\n```")
    for r in reports:
        for run in r.runs[:1] if all(x.returncode == 1 for x in r.runs) else r.runs:
            if run.ok and run.returncode:
                notes.append(f"- {r.name} report exited {run.returncode} (a page failed; its "
                             f"time counts):\n\n```\n{run.output.strip()[-800:]}\n```")
    save(complete=True)
    log(f"done in {time.perf_counter() - T0:.0f}s; results in {args.out}")
    print(args.out.read_text(encoding="utf-8"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
