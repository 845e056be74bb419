"""Shared fixtures. The real spaCy pipeline, a real DuckDB file, a real headless Chromium:
nothing is stubbed."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from newsdesk.config import SAMPLE_DIR

TESTS_DIR = Path(__file__).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The analyst's data/aliases.yml must not change what the tests see: point newsdesk (and the
# CLI processes the tests start) at an overrides file that does not exist.
os.environ["NEWSDESK_ALIASES"] = str(TESTS_DIR / "no-such-aliases.yml")


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed sample corpus (five articles and manifest.csv)."""
    assert SAMPLE_DIR.is_dir(), SAMPLE_DIR
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_texts(sample_dir: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(sample_dir.glob("*.txt"))}


@pytest.fixture(scope="session")
def nlp():
    """The real pipeline, loaded once for the whole session."""
    from newsdesk.nlp import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A store with the sample ingested once (read it, do not write to it)."""
    from newsdesk.ingest import ingest

    db = tmp_path_factory.mktemp("store") / "sample.duckdb"
    ingest(sample_dir, db=db, progress=False)
    return db


@pytest.fixture
def corpus_copy(tmp_path: Path, sample_dir: Path) -> Path:
    """A writable copy of the sample corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(sample_dir, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


# -- a real browser --------------------------------------------------------------------------


class Chromium:
    """A headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, workdir: Path) -> None:
        import websocket

        profile = workdir / "profile"
        self.log = (workdir / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--no-first-run",
             "--no-default-browser-check", "--disable-dev-shm-usage", "--disable-extensions",
             "--disable-sync", "--metrics-recording-only", "--mute-audio",
             f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", "--window-size=1280,900", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            port = self._wait_for_port(profile / "DevToolsActivePort")
            targets = self._wait_for_page(port)
            self.ws = websocket.create_connection(targets, timeout=30, suppress_origin=True)
            self.next_id = 0
            self.events: list[dict] = []
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    def _wait_for_port(self, path: Path) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            if path.exists() and path.read_text().strip():
                return int(path.read_text().split()[0])
            time.sleep(0.1)
        raise TimeoutError("chromium did not open its DevTools port")

    @staticmethod
    def _wait_for_page(port: int) -> str:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.1)
        raise TimeoutError("no page target")

    def _receive(self, deadline: float) -> dict:
        self.ws.settimeout(max(0.05, deadline - time.monotonic()))
        message = json.loads(self.ws.recv())
        if message.get("method") == "Page.javascriptDialogOpening":  # never block on alert()
            self.events.append(message)
            self._send("Page.handleJavaScriptDialog", accept=False)
        elif "method" in message:
            self.events.append(message)
        return message

    def _send(self, method: str, **params) -> int:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def call(self, method: str, **params) -> dict:
        call_id = self._send(method, **params)
        deadline = time.monotonic() + 30
        while True:
            message = self._receive(deadline)
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def open(self, url: str, *, timeout: float = 20) -> Visit:
        """Navigate and wait for the load event; what the page did is in the Visit."""
        self.events = []
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load")
            self._receive(deadline)
        self.eval("new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
        return Visit(url, list(self.events))

    def eval(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 30, what: str = ""):
        """Evaluate ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for "
                                   f"{what or expression}")
            time.sleep(0.2)

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) in the middle of the element."""
        box = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                        "e.scrollIntoView({block: 'center'}); const r = "
                        "e.getBoundingClientRect(); return [r.x + r.width / 2, "
                        "r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Focus the element and type ``text`` into it, a character at a time."""
        self.eval(f"document.querySelector({json.dumps(selector)}).focus()")
        for char in text:
            self.call("Input.insertText", text=char)

    def screenshot(self, path: Path, *, max_height: int = 2400) -> Path:
        height = min(max_height, int(self.eval("document.documentElement.scrollHeight")))
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


class Visit:
    """What happened while a page loaded: console errors, exceptions, requests, dialogs."""

    def __init__(self, url: str, events: list[dict]) -> None:
        self.url = url
        self.events = events

    def _of(self, method: str) -> list[dict]:
        return [e["params"] for e in self.events if e["method"] == method]

    @property
    def errors(self) -> list[str]:
        console = [" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
                   for p in self._of("Runtime.consoleAPICalled")
                   if p["type"] in ("error", "assert", "warning")]
        thrown = [p["exceptionDetails"].get("text", "") for p in
                  self._of("Runtime.exceptionThrown")]
        logged = [f"{p['entry']['source']}: {p['entry']['text']}" for p in
                  self._of("Log.entryAdded") if p["entry"]["level"] in ("error", "warning")]
        return console + thrown + logged

    @property
    def requests(self) -> list[str]:
        return [p["request"]["url"] for p in self._of("Network.requestWillBeSent")]

    @property
    def dialogs(self) -> list[str]:
        return [p.get("message", "") for p in self._of("Page.javascriptDialogOpening")]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Debian's Chromium, headless, one page (skipped where it is not installed, except in
    CI, where that is a failure)."""
    if not Path(CHROMIUM).exists():
        message = "Chromium is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    chromium = Chromium(tmp_path_factory.mktemp("chromium"))
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $NEWSDESK_SCREENSHOTS, else a temporary folder (printed)."""
    target = os.environ.get("NEWSDESK_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder
