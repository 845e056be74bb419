"""The baseline `newsdesk ingest` is compared with: load the pipeline, run ``nlp.pipe``.

    python benchmarks/bare_pipe.py MODEL FOLDER N_PROCESS BATCH_SIZE [EXCLUDED,...]

Loads MODEL with the same components excluded as newsdesk (``newsdesk.nlp.UNUSED_COMPONENTS``,
passed in by run.py so that this script imports nothing of newsdesk), reads every ``*.txt``
under FOLDER and runs ``nlp.pipe`` over the texts on N_PROCESS processes. Nothing else: this is
the least any tool built on the same pipeline can do.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    import spacy

    model, folder, n_process, batch_size = argv[0], Path(argv[1]), int(argv[2]), int(argv[3])
    exclude = [name for name in (argv[4] if len(argv) > 4 else "").split(",") if name]
    nlp = spacy.load(model, exclude=exclude)
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    docs = 0
    for _ in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
        docs += 1
    print(f"bare: {docs} texts, pipeline {nlp.pipe_names}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
