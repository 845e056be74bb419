"""What is new since the last report, over two real report runs on a growing corpus."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow


def _report(corpus: Path, db: Path, out: Path) -> Path:
    before = {p.name for p in out.iterdir()} if out.exists() else set()
    proc = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "report", str(corpus), "--db", str(db),
         "--out", str(out), "--profiles", "none", "--keep-notebooks", "--quiet"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    (run,) = [p for p in out.iterdir() if p.is_dir() and p.name not in before]
    return run


def _overview_text(run: Path) -> str:
    """All HTML output of the executed overview notebook, as visible text."""
    nb = nbformat.read(run / "overview.ipynb", as_version=4)
    parts = [o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
             for o in c.get("outputs", [])]
    return html.unescape(re.sub(r"<[^>]+>", " ", "".join(parts)))


def test_report_whats_new_across_two_runs(sample_dir, tmp_path):
    corpus, db, out = tmp_path / "corpus", tmp_path / "store.duckdb", tmp_path / "reports"
    corpus.mkdir()
    files = sorted(sample_dir.glob("*.txt"))
    manifest = (sample_dir / "manifest.csv").read_text(encoding="utf-8").splitlines()

    def add(paths: list[Path]) -> None:  # the articles, and the manifest rows of those present
        for path in paths:
            shutil.copy(path, corpus / path.name)
        present = {p.name for p in corpus.glob("*.txt")}
        rows = [manifest[0]] + [r for r in manifest[1:] if r.split(",", 1)[0] in present]
        (corpus / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    add(files[:3])

    first = _report(corpus, db, out)
    assert "first report of this store" in _overview_text(first)

    add(files[3:])
    second = _report(corpus, db, out)
    text = _overview_text(second)
    assert f"Compared with the report of {first.name}" in text
    new_section = text.split("New actors", 1)[1].split("New places", 1)[0]
    later_only = {"Joe Biden", "Marco Rubio", "Barack Obama", "CNN"}  # only in 003 and 004
    earlier = {"Kirill Dmitriev", "Dmitry Peskov"}  # already in the first three articles
    assert later_only <= {n for n in later_only if n in new_section}
    assert not any(n in new_section for n in earlier)
    places = text.split("New places", 1)[1].split("New quotes", 1)[0]
    assert "Istanbul" in places and "Moscow" not in places
    quotes = text.split("New quotes", 1)[1].split("Largest changes", 1)[0]
    assert "very angry" in quotes and "productive and constructive" not in quotes
    changes = text.split("Largest changes", 1)[1]
    assert "Kirill Dmitriev" in changes
