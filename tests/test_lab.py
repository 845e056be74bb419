"""`newsdesk lab`: a real JupyterLab server on loopback, asked through its REST API and used
through headless Chromium (the explorer, as an analyst uses it)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

from newsdesk.cli import seed_notebooks
from newsdesk.config import NOTEBOOKS_DIR

if TYPE_CHECKING:
    from conftest import Chromium


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.base, self.token = f"http://127.0.0.1:{port}", token

    def request(self, method: str, path: str, body: dict | None = None, *,
                token: bool = True) -> tuple[int, object]:
        headers = {"Authorization": f"token {self.token}"} if token else {}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, None


    def execute(self, kernel_id: str, code: str, *, timeout: float = 60) -> str:
        """Run ``code`` in a kernel over its websocket, as the Lab front end does; return
        what it printed."""
        import websocket

        url = (f"ws://127.0.0.1:{self.base.rsplit(':', 1)[1]}/api/kernels/{kernel_id}/"
               f"channels?token={self.token}")
        ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        try:
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False,
                            "user_expressions": {}, "allow_stdin": False},
            }))
            out, deadline = [], time.monotonic() + timeout
            while time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["header"]["msg_type"]
                if kind == "stream":
                    out.append(msg["content"]["text"])
                elif kind == "error":
                    raise AssertionError(msg["content"]["evalue"])
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    return "".join(out)
            raise TimeoutError("no reply from the kernel")
        finally:
            ws.close()


@contextlib.contextmanager
def running_lab(tmp_path: Path, *jupyter_args: str) -> Iterator[Api]:
    """`newsdesk lab --dir tmp_path/work` started as a user would (plus a port and a token),
    always stopped."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_TOKEN": token,
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = (tmp_path / "lab.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "lab", "--port", str(port), "--no-browser",
         "--dir", str(tmp_path / "work"), "--", "--ServerApp.port_retries=0", *jupyter_args],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        start_new_session=True,
    )
    api = Api(port, token)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited: {(tmp_path / 'lab.log').read_text()}")
            try:
                if api.request("GET", "/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not start: {(tmp_path / 'lab.log').read_text()}")
            time.sleep(0.3)
        yield api
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Api]:
    with running_lab(tmp_path) as api:
        yield api


def test_lab_seeds_the_working_folder_with_copies_of_the_notebooks(tmp_path: Path):
    work = tmp_path / "deep" / "work"
    copies = seed_notebooks(work)
    expected = sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))
    assert [p.name for p in copies] == expected and "explore.ipynb" in expected
    for name in expected:
        assert (work / name).read_bytes() == (NOTEBOOKS_DIR / name).read_bytes()
    (work / "explore.ipynb").write_text("my own work", encoding="utf-8")
    (work / "cooccurrence.ipynb").unlink()
    assert seed_notebooks(work) == [work / "cooccurrence.ipynb"]  # only what is missing
    assert (work / "explore.ipynb").read_text(encoding="utf-8") == "my own work"
    assert seed_notebooks(work) == []


def test_lab_refuses_a_file_as_its_folder(tmp_path: Path):
    not_a_folder = tmp_path / "work"
    not_a_folder.write_text("", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "newsdesk.cli", "lab", "--dir",
                           str(not_a_folder), "--no-browser"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"newsdesk: error: {not_a_folder}: not a folder"


@pytest.mark.slow
def test_lab_lists_the_notebooks_and_uses_the_project_kernel(lab: Api, tmp_path: Path):
    assert lab.request("GET", "/api/contents", token=False)[0] == 403

    status, listing = lab.request("GET", "/api/contents")
    assert status == 200
    names = {item["name"] for item in listing["content"]}
    expected = {p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    assert {"explore.ipynb", "corpus_overview.ipynb"} <= expected == names
    assert {p.name for p in (tmp_path / "work").iterdir()} == expected  # the copies

    status, specs = lab.request("GET", "/api/kernelspecs")
    assert status == 200
    assert specs["default"] == "newsdesk"
    spec = specs["kernelspecs"]["newsdesk"]["spec"]
    assert spec["display_name"] == "Python (newsdesk)"
    assert Path(spec["argv"][0]) == Path(sys.executable)

    status, kernel = lab.request("POST", "/api/kernels", {"name": "newsdesk"})
    assert status == 201 and kernel["name"] == "newsdesk"
    try:
        printed = lab.execute(kernel["id"], "import sys, newsdesk; print(sys.executable)")
        assert Path(printed.strip()) == Path(sys.executable)
    finally:
        assert lab.request("DELETE", f"/api/kernels/{kernel['id']}")[0] == 204


# -- the explorer in JupyterLab, in a real browser --------------------------------------------

#: The explorer's output in the notebook, and what JupyterLab shows when a widget fails.
OUTPUT = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
WIDGET_ERROR = "Error displaying widget"


def _text(browser: Chromium, selector: str) -> str:
    """The visible text of what ``selector`` selects (no-break spaces as spaces)."""
    text = browser.eval(f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
                        ".map(e => e.innerText).join('\\n')")
    return text.replace("\N{NO-BREAK SPACE}", " ")


@pytest.mark.slow
def test_lab_explorer_renders_and_follows_a_chosen_actor(tmp_path: Path, sample_db: Path,
                                                         browser: Chromium, shots: Path):
    """explore.ipynb as an analyst opens it: `newsdesk lab`, the notebook in JupyterLab in
    headless Chromium, Run All, type a name in the search box, click it in the list."""
    seed_notebooks(tmp_path / "work")
    notebook = tmp_path / "work" / "explore.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    (params,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    params.source = params.source.replace('db: str = ""', f"db: str = {str(sample_db)!r}")
    assert str(sample_db) in params.source
    nbformat.write(nb, notebook)  # the analyst's copy, pointed at the sample store

    with running_lab(tmp_path, "--LabApp.expose_app_in_browser=True") as lab:
        browser.call("Emulation.setDeviceMetricsOverride", width=1280, height=1800,
                     deviceScaleFactor=1, mobile=False)
        try:
            browser.open(f"{lab.base}/lab/tree/explore.ipynb?token={lab.token}", timeout=120)
            kernel = browser.wait_for(
                "(() => { const app = window.jupyterapp; const w = app && Array.from("
                "app.shell.widgets('main')).find(w => w.sessionContext);"
                " const k = w && w.sessionContext.session &&"
                " w.sessionContext.session.kernel;"
                " return k && k.connectionStatus === 'connected' && k.status === 'idle' &&"
                " [k.name, w.sessionContext.kernelDisplayName]; })()",
                timeout=120, what="the notebook and its kernel")
            assert kernel == ["newsdesk", "Python (newsdesk)"]  # from the notebook's metadata

            browser.eval("window.jupyterapp.commands.execute('notebook:run-all-cells'), true")
            browser.wait_for(f"document.querySelectorAll('{OUTPUT} select[multiple]').length"
                             f" === 2 && !!document.querySelector('{OUTPUT} img.widget-image')"
                             f" && !!document.querySelector('{OUTPUT} table.newsdesk-kwic')",
                             timeout=120, what="the explorer's widgets")
            shown = _text(browser, OUTPUT)
            assert WIDGET_ERROR not in shown and "VBox(" not in shown, shown[:500]
            assert "mentions of 8 entities" in shown
            assert "The most-mentioned:" in shown
            chart = browser.eval(f"document.querySelector('{OUTPUT} img.widget-image').src")
            table = _text(browser, f"{OUTPUT} table.newsdesk-kwic")

            actors = f"{OUTPUT} select[multiple]"
            browser.type(f"{OUTPUT} input[type=text]", "dmitriyev")  # an alias
            browser.wait_for(f"document.querySelector('{actors}').options.length === 1",
                             timeout=30, what="the search to filter the actors")
            assert _text(browser, f"{actors} option") == "Kirill Dmitriev (person, 24)"
            browser.click(f"{actors} option")
            browser.wait_for(f"document.querySelector('{OUTPUT} img.widget-image').src !== "
                             f"{json.dumps(chart)}", timeout=60, what="the chart to change")
            browser.wait_for(f"document.querySelector('{OUTPUT} table.newsdesk-kwic')"
                             ".innerText.includes('Dmitriyev')", timeout=30,
                             what="the sentences to change")
            assert _text(browser, f"{OUTPUT} table.newsdesk-kwic") != table
            shown = _text(browser, OUTPUT)
            assert "24 mentions of 1 entity in" in shown
            assert WIDGET_ERROR not in shown

            fits = browser.eval(
                f"(() => {{ const t = document.querySelector('{OUTPUT} table.newsdesk-kwic');"
                " const panel = t.closest('.jp-OutputArea-output').getBoundingClientRect();"
                " const after = t.querySelector('th:last-child').getBoundingClientRect();"
                " return [t.getBoundingClientRect().right <= panel.right + 1,"
                " after.right <= panel.right + 1, after.width > 100]; })()")
            assert fits == [True, True, True]
            browser.eval(f"document.querySelector('{OUTPUT} input[type=text]')"
                         ".scrollIntoView({block: 'start'})")
            browser.screenshot(shots / "lab_explorer.png", max_height=1800)
        except Exception:  # what the page showed, to see why
            browser.screenshot(shots / "lab_explorer_failed.png", max_height=1800)
            print(f"lab_explorer_failed.png; outputs:\n{_text(browser, OUTPUT)[:3000]}")
            raise
        finally:
            browser.call("Emulation.clearDeviceMetricsOverride")
