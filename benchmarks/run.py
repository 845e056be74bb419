"""Benchmarks (run with `make bench`): whole-process timings, medians of several runs.

Measured here, written to benchmarks/results.md. Not timed tests: this machine is shared and
noisy, so compare ratios taken in one run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "sample"
RESULTS = Path(__file__).with_name("results.md")
REPEAT = 3

BARE = """
import sys, spacy
from pathlib import Path
nlp = spacy.load(sys.argv[1])
texts = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[2]).glob("*.txt"))]
for _ in nlp.pipe(texts, batch_size=64):
    pass
"""


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def median_of(make_command) -> float:
    return statistics.median(timed(make_command(i)) for i in range(REPEAT))


def main() -> int:
    from newsdesk.config import model_name

    model = model_name()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        bare = median_of(lambda i: [sys.executable, "-c", BARE, model, str(SAMPLE)])
        ingest = median_of(lambda i: [str(bin_dir / "newsdesk"), "ingest", str(SAMPLE),
                                      "--db", f"{tmp}/ingest{i}.duckdb", "--quiet"])
        cached = median_of(lambda i: [str(bin_dir / "newsdesk"), "ingest", str(SAMPLE),
                                      "--db", f"{tmp}/ingest0.duckdb", "--quiet"])
        report = median_of(lambda i: [str(bin_dir / "newsdesk"), "report", "--db",
                                      f"{tmp}/ingest0.duckdb", "--out", f"{tmp}/reports",
                                      "--quiet"])
    rows = [
        ("bare spaCy: load + nlp.pipe over the sample (5 articles)", bare),
        ("newsdesk ingest of the sample, fresh store (whole process)", ingest),
        ("newsdesk ingest again, nothing changed (whole process)", cached),
        ("newsdesk report of the sample, after ingest (7 pages)", report),
    ]
    lines = [
        "# Benchmarks",
        "",
        f"Model `{model}`; median of {REPEAT} runs each, measured in one `make bench` run.",
        "",
        "| what | seconds |",
        "|---|---|",
        *(f"| {label} | {seconds:.2f} |" for label, seconds in rows),
        "",
        f"Ratio ingest / bare: {ingest / bare:.2f}",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
