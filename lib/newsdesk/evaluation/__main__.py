"""``make eval``: ``python -m newsdesk.evaluation [--task NAME] [--data DIR] [--out FILE]``."""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import sys
import tempfile
from pathlib import Path

from newsdesk.config import PROJECT_ROOT, eval_dir, model_name
from newsdesk.evaluation import TASKS, Workspace, render, run_task, update_markdown

HEADER = """# Accuracy on real news

Written by `make eval` (`python -m newsdesk.evaluation`): the real pipeline (the code path of
`newsdesk ingest`, with the configured model) on public, human-labelled development sets
(`../shared/eval`, described in its README; never copied into this repository), beside the
bare spaCy model (and trafilatura for HTML). A run of one task (`make eval TASK=ner`)
replaces only its section.

Sources: CoNLL-2003 (Reuters, research use; davidsbatista/NER-datasets), PolNeAR
(networkdynamics/PolNeAR, research use), scrapinghub/article-extraction-benchmark (MIT).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsdesk.evaluation",
                                     description="Accuracy of newsdesk on real labelled news.")
    parser.add_argument("--task", choices=sorted(TASKS), action="append",
                        help="run this task only (repeatable; default: all)")
    parser.add_argument("--data", type=Path, default=None,
                        help="the evaluation data (default: ../shared/eval beside the project)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "benchmarks" / "accuracy.md")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep corpora, stores and ingest logs here (default: a temporary "
                        "folder); a second run reuses newsdesk's cache")
    parser.add_argument("--workers", type=int, default=0,
                        help="ingest worker processes (default: newsdesk's)")
    args = parser.parse_args(argv)
    data = (args.data or eval_dir()).resolve()
    if not (data / "README.md").is_file():
        print(f"newsdesk eval: {data}: no evaluation data here (expected ../shared/eval with "
              "conll2003/, polnear_train/, scrapinghub/)", file=sys.stderr)
        return 2
    tasks = args.task or list(TASKS)
    model = model_name()
    try:
        version = importlib.metadata.version(model.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    with tempfile.TemporaryDirectory(prefix="newsdesk-eval-") as tmp:
        work = args.work.resolve() if args.work else Path(tmp)
        ws = Workspace(data, work, model=model, workers=args.workers,
                       bare_processes=min(2, os.cpu_count() or 1))
        sections = {}
        for name in tasks:
            print(f"newsdesk eval: {name} ...", file=sys.stderr, flush=True)
            result = run_task(name, ws)
            sections[name] = render(result, model=f"{model}=={version}", date=date)
            print(sections[name])
            existing = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(update_markdown(existing, {name: sections[name]},
                                                header=HEADER, order=list(TASKS)),
                                encoding="utf-8")
    print(f"newsdesk eval: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
