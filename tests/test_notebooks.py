"""Notebook conventions: one tagged parameters cell of annotated literals, thin cells, no
outputs stored, no spaCy in report notebooks."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from newsdesk.config import NOTEBOOKS_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_notebooks_expected_set_present():
    names = {p.stem for p in NOTEBOOKS}
    assert {"corpus_overview", "article_profile", "mentions_over_time"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_one_parameters_cell_of_annotated_literals(path: Path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert nb.cells[1] is tagged[0], "the parameters cell follows the title"
    tree = ast.parse(tagged[0].source)
    assert tree.body
    for stmt in tree.body:
        assert isinstance(stmt, ast.AnnAssign), ast.dump(stmt)
        ast.literal_eval(stmt.value)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_thin_and_stripped(path: Path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.get("outputs"), "outputs must be stripped"
        assert cell.get("execution_count") is None
        tree = ast.parse(cell.source)
        loops = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.While)
        assert not any(isinstance(node, loops) for node in ast.walk(tree)), cell.source
        assert "spacy" not in cell.source


def test_notebooks_import_of_newsdesk_does_not_load_spacy():
    import subprocess
    import sys

    code = "import sys, newsdesk; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
