"""`newsdesk lab`: a real JupyterLab server on loopback, asked through its REST API."""

from __future__ import annotations

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
from pathlib import Path

import pytest

from newsdesk.config import NOTEBOOKS_DIR

pytestmark = pytest.mark.slow


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


@pytest.fixture
def lab(tmp_path: Path):
    """`newsdesk lab` started as a user would (plus a port and a token), always stopped."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_TOKEN": token,
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = (tmp_path / "lab.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "lab", "--port", str(port), "--no-browser",
         "--", "--ServerApp.port_retries=0"],
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


def test_lab_lists_the_notebooks_and_uses_the_project_kernel(lab: Api):
    assert lab.request("GET", "/api/contents", token=False)[0] == 403

    status, listing = lab.request("GET", "/api/contents")
    assert status == 200
    names = {item["name"] for item in listing["content"]}
    expected = {p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    assert {"explore.ipynb", "corpus_overview.ipynb"} <= expected <= names

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
