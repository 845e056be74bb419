"""Notebook conventions: one tagged parameters cell of annotated literals, thin cells, no
outputs stored (and git strips them: a real repository, the real nbstripout filter), the
project's kernel, no spaCy in report notebooks."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from newsdesk.config import NOTEBOOKS_DIR, PROJECT_ROOT
from newsdesk.kernels import KERNEL_DISPLAY_NAME, KERNEL_NAME

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_open_in_the_project_kernel(path: Path):
    """JupyterLab opens each notebook in "Python (newsdesk)", and the report runs it there."""
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec == {
        "name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME, "language": "python"}


def _git(repo: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    return subprocess.run(["git", *args], cwd=cwd or repo, env=env, capture_output=True,
                          text=True, timeout=60)


GIT_NOTEBOOKS = ("explore.ipynb", "mentions_over_time.ipynb")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A git repository holding the project's Makefile, .gitattributes and notebooks, with
    this environment as its .venv, and the filter installed by `make git-filter` (as `make
    setup` does); the notebooks committed through it."""
    if not (shutil.which("git") and shutil.which("make")):
        pytest.fail("git and make are needed (they are how the project is set up)")
    repo = tmp_path / "clone"
    (repo / "notebooks").mkdir(parents=True)
    for name in ("Makefile", ".gitattributes", ".gitignore"):
        shutil.copy(PROJECT_ROOT / name, repo / name)
    for name in GIT_NOTEBOOKS:
        shutil.copy(NOTEBOOKS_DIR / name, repo / "notebooks" / name)
    (repo / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    assert _git(repo, "init", "-q").returncode == 0
    setup = subprocess.run(["make", "-s", "git-filter"], cwd=repo, capture_output=True,
                           text=True, timeout=60, env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1",
                                                       "GIT_CONFIG_GLOBAL": os.devnull})
    assert setup.returncode == 0, setup.stderr
    assert _git(repo, "add", "Makefile", ".gitattributes", ".gitignore",
                "notebooks").returncode == 0
    assert _git(repo, "commit", "-q", "-m", "notebooks").returncode == 0
    return repo


def _autosaved(path: Path, *, markdown: str = "") -> None:
    """What a JupyterLab session writes into a notebook: outputs (text, an image, a widget
    view, an error), execution counts, widget state, the kernel's language_info, timings."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for count, cell in enumerate(code, 1):
        cell.execution_count = count
        cell.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00.000Z"}
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text="SECRET-OUTPUT\n"),
            nbformat.v4.new_output("display_data", data={
                "image/png": "iVBORw0KGgo=", "text/plain": "<Figure>",
                "application/vnd.jupyter.widget-view+json": {
                    "model_id": "abc", "version_major": 2, "version_minor": 0}}),
            nbformat.v4.new_output("execute_result", data={"text/plain": "'SECRET'"},
                                   execution_count=count),
            nbformat.v4.new_output("error", ename="E", evalue="SECRET", traceback=[]),
        ]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7",
                                    "codemirror_mode": {"name": "ipython", "version": 3}}
    if markdown:
        nb.cells[0].source += markdown
    nbformat.write(nb, path)


@pytest.mark.slow  # every filter run is a Python process
def test_notebooks_git_stores_them_without_outputs(clone: Path):
    explore = clone / "notebooks" / "explore.ipynb"
    committed = _git(clone, "show", "HEAD:notebooks/explore.ipynb").stdout
    assert committed == (PROJECT_ROOT / "notebooks" / "explore.ipynb").read_text("utf-8")

    _autosaved(explore)  # a session's autosave, no edit
    assert "SECRET" in explore.read_text("utf-8")
    assert _git(clone, "diff").stdout == ""  # git sees no change to commit
    added = _git(clone, "add", "explore.ipynb", cwd=clone / "notebooks")  # from a subfolder
    assert added.returncode == 0, added.stderr
    assert _git(clone, "show", ":notebooks/explore.ipynb").stdout == committed
    assert _git(clone, "status", "--porcelain", "notebooks").stdout == ""

    _autosaved(clone / "notebooks" / "mentions_over_time.ipynb", markdown="\n\nMy note.")
    assert _git(clone, "add", "notebooks").returncode == 0
    staged = _git(clone, "show", ":notebooks/mentions_over_time.ipynb").stdout
    nb = nbformat.reads(staged, as_version=4)
    assert "My note." in nb.cells[0].source  # the edit is kept ...
    assert "SECRET" not in staged  # ... and nothing the session produced
    assert all(not c.get("outputs") and c.get("execution_count") is None
               and "execution" not in c.metadata for c in nb.cells if c.cell_type == "code")
    assert set(nb.metadata) == {"kernelspec", "title"}
    diff = _git(clone, "diff", "--cached", "--name-only").stdout.split()
    assert diff == ["notebooks/mentions_over_time.ipynb"]


@pytest.mark.slow
def test_notebooks_git_refuses_what_it_cannot_strip(clone: Path):
    explore = clone / "notebooks" / "explore.ipynb"
    explore.write_text('{"cells": [ SECRET not json', encoding="utf-8")
    added = _git(clone, "add", "notebooks/explore.ipynb")
    assert added.returncode != 0 and "explore.ipynb" in added.stderr
    assert "SECRET" not in _git(clone, "show", ":notebooks/explore.ipynb").stdout


def test_notebooks_work_folder_is_not_tracked(tmp_path: Path):
    """`newsdesk lab`'s copies (work/) are ignored; the notebooks themselves are not."""
    shutil.copy(PROJECT_ROOT / ".gitignore", tmp_path / ".gitignore")
    assert _git(tmp_path, "init", "-q").returncode == 0
    ignored = _git(tmp_path, "check-ignore", "--no-index", "work/explore.ipynb",
                   "work/sub/x.ipynb", "notebooks/explore.ipynb", "lib/work/x.py")
    assert ignored.stdout.split() == ["work/explore.ipynb", "work/sub/x.ipynb"]
