"""Explorer benchmark (run by `make bench` after run.py): how long each update takes.

    .venv/bin/python benchmarks/explorer.py [--sizes 1000,10000] [--repeat 7] [--out FILE]

For the sample and each corpus of benchmarks/corpora/n<size> (built by corpus.py, cached), the
store benchmarks/corpora/<corpus>.duckdb (left there by run.py's first ingest, or made here)
is brought up to date with `newsdesk ingest` (nothing to parse when it is), then an Explorer
(newsdesk.explore, the widgets of notebooks/explore.ipynb) is built on it in this process and
a cycle of updates is played ``--repeat`` times, as an analyst would make them: type a name in
the search box, choose that actor, add a second one and a place, switch to weeks, days and
back to months, narrow the period and widen it again, turn a kind off and on, pick an
article, clear the choice. Each update is timed from setting the control's value to the
return of the observer that recomputes what it changes (lists; or chart, sentences, article
list and profile): wall clock, ``time.perf_counter``. The browser's drawing of the result is
not included. Results go to benchmarks/explorer.md: median and slowest of each update, against
the target of 1 s. The largest store is measured once more with made-up entities added
to its entity table (``--more-entities``, default 50,000; names only), as the search box and
the lists would have to work through in a large real corpus: the benchmark corpora, built
from the sample's sentences, name fewer than a hundred entities.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPORA = HERE / "corpora"
SAMPLE = ROOT / "data" / "raw" / "sample"
RESULTS = HERE / "explorer.md"
TARGET_SECONDS = 1.0

T0 = time.perf_counter()
LOAD_AT_START = os.getloadavg()


def log(message: str) -> None:
    print(f"[explorer {time.perf_counter() - T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def store_for(name: str, corpus: Path) -> Path:
    """The cached store of ``corpus``, brought up to date by `newsdesk ingest`."""
    db = CORPORA / f"{name}.duckdb"
    newsdesk = Path(sys.executable).parent / "newsdesk"
    started = time.perf_counter()
    log(f"{name}: newsdesk ingest {corpus.relative_to(ROOT)} --db {db.relative_to(ROOT)}")
    subprocess.run([str(newsdesk), "ingest", str(corpus), "--db", str(db), "--quiet"],
                   cwd=ROOT, check=True, stdin=subprocess.DEVNULL)
    log(f"{name}: store up to date in {time.perf_counter() - started:.1f}s")
    return db


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def play(explorer, times: dict[str, list[float]]) -> None:
    """One cycle of updates; ends where it started (nothing chosen, all kinds, all months,
    by month)."""
    actors = [value for _, value in explorer.actors.options]
    places = [value for _, value in explorer.places.options]
    first, second = actors[0], actors[1]
    name = explorer.wb.entities.set_index("entity_id").at[first, "name"]
    word = max(name.split(), key=len).lower()

    def set_(widget, value) -> Callable[[], None]:
        return lambda: setattr(widget, "value", value)

    for i in range(1, len(word) + 1):  # typing, one keystroke at a time
        times["type a name in the search box (each keystroke)"].append(
            timed(set_(explorer.search, word[:i])))
    assert first in [value for _, value in explorer.actors.options], (word, first)
    months = list(explorer.period.options)
    steps = [
        ("choose the actor found", set_(explorer.actors, (first,))),
        ("clear the search box (lists back to the top 50)", set_(explorer.search, "")),
        ("add a second actor", set_(explorer.actors, (first, second))),
        ("add a place", set_(explorer.places, (places[0],))),
        ("chart per week", set_(explorer.freq, "week")),
        ("chart per day", set_(explorer.freq, "day")),
        ("chart per month", set_(explorer.freq, "month")),
        ("narrow the period to its last 3 months",
         set_(explorer.period, (months[max(0, len(months) - 3)], months[-1]))),
        ("widen the period to all months", set_(explorer.period, (months[0], months[-1]))),
        ("turn a kind off (organization)", set_(explorer.kinds["organization"], False)),
        ("turn it on again", set_(explorer.kinds["organization"], True)),
        ("pick another article (its profile)", lambda: setattr(explorer.article, "value", next(
            v for _, v in reversed(explorer.article.options) if v != explorer.article.value))),
        ("clear the place", set_(explorer.places, ())),
        ("clear the actors (the top 8 again)", set_(explorer.actors, ())),
    ]
    for label, action in steps:
        times[label].append(timed(action))


def more_entities(n: int, *, seed: int = 11):
    """``n`` made-up entities (names only: no mention in the store points at them), so that
    the search box and the lists work through a store's worth of names."""
    import random

    import pandas as pd

    rng = random.Random(seed)
    syllables = ["ka", "ri", "mo", "lev", "an", "dra", "to", "vin", "sel", "or", "ba", "nu"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).title()

    names = [f"{word()} {word()}" for _ in range(n)]
    return pd.DataFrame({
        "entity_id": [f"extra/{i}" for i in range(n)], "name": names,
        "kind": [rng.choice(["person", "organization", "place", "group"]) for _ in range(n)],
        "aliases": [[name] for name in names],
        "mentions": [rng.randint(1, 50) for _ in range(n)],
    })


def measure(name: str, db: Path, repeat: int, *, extra_entities: int = 0) -> dict:
    import pandas as pd

    from newsdesk.explore import Explorer
    from newsdesk.store import Workbook

    def workbook() -> Workbook:
        wb = Workbook(db)
        if extra_entities:  # the benchmark's own addition, in this process only
            wb._cache["entities"] = pd.concat([wb.entities, more_entities(extra_entities)],
                                              ignore_index=True)
        return wb

    cold = timed(lambda: Explorer(workbook()))  # reads the store's tables
    explorer = None

    def build() -> None:
        nonlocal explorer
        explorer = Explorer(workbook())

    warm = timed(build)  # tables already read in this process
    wb = explorer.wb
    facts = {
        "articles": int((wb.articles["status"] == "ok").sum()),
        "mentions": len(wb.mentions),
        "entities": len(wb.entities),
        "months": len(explorer.period.options),
    }
    times: dict[str, list[float]] = defaultdict(list)
    for i in range(repeat):
        play(explorer, times)
        log(f"{name}: cycle {i + 1}/{repeat} done")
    return {"name": name, "facts": facts, "cold": cold, "warm": warm, "times": dict(times)}


def write_results(out: Path, results: list[dict], *, repeat: int, argv: list[str]) -> None:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    start_load = " / ".join(f"{x:.2f}" for x in LOAD_AT_START)
    command = " ".join(["python", "benchmarks/explorer.py", *argv])
    lines = [
        "# Explorer benchmark",
        "",
        f"Written by `{command}`. Each update of the explorer (`newsdesk.explore.Explorer`, "
        "the widgets of `notebooks/explore.ipynb`) timed in one process from setting a "
        "control's value to the return of what it recomputes (chart PNG, sentences table, "
        "article list and profile, or the lists); the browser's drawing is not included. "
        f"A cycle of updates played {repeat} times; medians and the slowest run. This machine "
        "is shared and noisy (other engineers' tests run at the same time).",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {os.cpu_count()} logical CPUs; Python {platform.python_version()}; "
        f"{platform.platform()}",
        f"- Load average (1/5/15 min) at the start: {start_load}; at the end: {load}",
        "",
        "| store | articles | mentions | entities | months | explorer built (s, first / "
        "again) |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        f = r["facts"]
        lines.append(f"| {r['name']} | {f['articles']:,} | {f['mentions']:,} | "
                     f"{f['entities']:,} | {f['months']} | {r['cold']:.2f} / {r['warm']:.2f} |")
    lines += ["", "Seconds per update, median (slowest):", "",
              "| update | " + " | ".join(r["name"] for r in results) + " |",
              "|---|" + "--:|" * len(results)]
    for label in results[0]["times"]:
        cells = [f"{statistics.median(r['times'][label]):.3f} ({max(r['times'][label]):.3f})"
                 for r in results]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", f"Target: every kind of update under {TARGET_SECONDS:g} s (its median).", ""]
    for r in results:
        medians = {label: statistics.median(t) for label, t in r["times"].items()}
        worst_label = max(medians, key=medians.get)
        every = [x for t in r["times"].values() for x in t]
        over = sum(x >= TARGET_SECONDS for x in every)
        verdict = "met" if medians[worst_label] < TARGET_SECONDS else "**not met**"
        lines.append(f"- {r['name']}: slowest median {medians[worst_label]:.3f} s "
                     f"({worst_label}): {verdict}; slowest single update {max(every):.3f} s, "
                     f"{over} of {len(every)} at {TARGET_SECONDS:g} s or more")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="corpus sizes in articles, comma-separated (default: 1000,10000)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="cycles of updates, the median is kept (default: 7)")
    parser.add_argument("--more-entities", type=int, default=50_000, metavar="N",
                        help="also measure the largest store with N made-up entities added "
                        "to its entity table (default: 50000; 0: not)")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="results file (default: benchmarks/explorer.md)")
    args = parser.parse_args(argv)
    args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if args.repeat < 1 or not args.sizes or min(args.sizes) < 1:
        parser.error("--repeat and --sizes must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    sys.path.insert(0, str(HERE))
    import corpus

    todo = [("sample", SAMPLE)] + [(f"n{size}", corpus.build(CORPORA / f"n{size}", size))
                                   for size in args.sizes]
    results = []
    for name, path in todo:
        db = store_for(name, path)
        results.append(measure(name, db, args.repeat))
        write_results(args.out, results, repeat=args.repeat, argv=argv)
    if args.more_entities:
        results.append(measure(f"{name} + {args.more_entities:,} entities", db, args.repeat,
                               extra_entities=args.more_entities))
        write_results(args.out, results, repeat=args.repeat, argv=argv)
    log(f"done in {time.perf_counter() - T0:.0f}s; results in {args.out}")
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
