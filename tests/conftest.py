"""Shared fixtures. The real spaCy pipeline, a real DuckDB file, a real headless Chromium:
nothing is stubbed."""

from __future__ import annotations

import base64
import http.server
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
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


# -- a news site on 127.0.0.1, and a guard that lets nothing else be contacted -----------------


@dataclass
class NetworkLog:
    """Addresses the test process connected to, and those the guard refused."""

    connected: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)


def _loopback(host: object) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host).lower() == "localhost"


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> NetworkLog:
    """Every connection and name lookup of this process goes to the loopback range or is
    refused (and recorded): a test that uses it proves nothing outside 127.0.0.1 is
    contacted."""
    log = NetworkLog()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if not _loopback(host):
                log.denied.append(str(host))
                raise ConnectionRefusedError(f"test guard: {host} is not a loopback address")
            log.connected.append(str(host))

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _loopback(host if isinstance(host, str) else host.decode()):
            log.denied.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for proxy in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                  "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    return log


@dataclass(frozen=True)
class Request:
    path: str  # with its query
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived


def _page(title: str, body: str | None = None, *, site: str = "Harbour Times") -> bytes:
    body = _BODIES[title] if body is None else body
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:site_name" content="{site}"></head><body><article>'
            f"<h1>{title}</h1><p>{body}</p></article></body></html>").encode()


_ARTICLE = ("The harbour authority said on Tuesday that the northern quay would reopen to "
            "cargo ships next week, after repairs to the storm wall were finished ahead of "
            "schedule. Shipping agents welcomed the news.")
#: Each page its own text, so that a corpus collected from the site has no duplicates.
_BODIES = {
    "Council budget": "Councillors approved the harbour district budget by nine votes to "
    "four on Monday evening. The plan raises spending on flood defences and cuts the ferry "
    "subsidy.",
    "Trawlers": "Trawlers returned to the eastern harbour after a week sheltering from gales."
    " Skippers said the catch was smaller than last season.",
    "Moved story": "The museum of maritime history moved its archive to a new building "
    "beside the lighthouse. Volunteers carried the last boxes on Saturday.",
    "Ferry strike": "Ferry crews ended their strike after the operator agreed to a new rota. "
    "Services to the islands resume on Thursday morning.",
    "Harbour lights on": "The harbour lights were switched on again after engineers replaced "
    "the cables damaged in the storm. Pilots welcomed the repair.",
    "Slow story": "A long report on dredging the channel arrived late at the port office.",
    "Busy story": "Ticket offices were busy as the summer timetable began at the terminal.",
}


def _rss_item(title: str, link: str, date: str | None = None) -> str:
    pub = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><title>{title}</title><link>{link}</link>{pub}</item>"


def _news_routes() -> dict[str, object]:
    """path -> (status, headers, body), or a callable (site, request headers) -> the same."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    wire = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            "<title>Harbour Wire</title><link>/</link>"
            + _rss_item("Port reopens after storm",
                        "/news/port-reopens.html?utm_source=rss&amp;utm_medium=feed#comments",
                        "Wed, 02 Apr 2025 23:30:00 -0500")
            + _rss_item("Council votes on budget", "/news/council-budget.html",
                        "Tue, 01 Apr 2025 09:00:00 GMT")
            + _rss_item("Private memo", "/private/memo.html", "Tue, 01 Apr 2025 08:00:00 GMT")
            + _rss_item("Missing story", "/news/missing.html")
            + _rss_item("Server error", "/news/error.html")
            + _rss_item("Slow story", "/news/slow.html")
            + _rss_item("Going round", "/loop/a")
            + _rss_item("Huge story", "/news/huge.html")
            + _rss_item("Huge story, streamed", "/news/huge-stream.html")
            + _rss_item("Annual report", "/files/report.pdf")
            + _rss_item("Moved story", "/old/moved.html")
            + "<item><title>No link at all</title></item></channel></rss>")
    desk = ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            "<title>Evening Desk</title><id>urn:desk</id>"
            "<entry><title>Ferry strike ends</title><link href='/desk/ferry-strike.html'/>"
            "<id>urn:1</id><published>2025-03</published></entry>"
            "<entry><link rel='alternate' href='/desk/harbour-lights.html'/><id>urn:2</id>"
            "<updated>2025-04-03T01:15:00+02:00</updated></entry>"
            "<entry><title>Council votes on budget</title>"
            "<link href='/news/council-budget.html?utm_campaign=desk'/><id>urn:3</id>"
            "<updated>2025-04-01T09:00:00Z</updated></entry></feed>")

    def desk_feed(site: NewsSite, headers: dict[str, str]):
        if headers.get("if-none-match") == '"desk-v1"':
            return 304, {"ETag": '"desk-v1"'}, b""
        return 200, {"Content-Type": "application/atom+xml", "ETag": '"desk-v1"'}, desk.encode()

    def slow(site: NewsSite, headers: dict[str, str]):
        time.sleep(site.slow_seconds)
        return 200, html, _page("Slow story")

    def busy(site: NewsSite, headers: dict[str, str]):
        if site.count("/news/busy.html") == 1:
            return 429, {"Retry-After": "1"}, b"slow down"
        return 200, html, _page("Busy story")

    pdf = {"Content-Type": "application/pdf"}
    return {
        "/robots.txt": (200, {"Content-Type": "text/plain"},
                        b"User-agent: *\nDisallow: /private/\n"),
        "/feeds/wire.rss": (200, {"Content-Type": "application/rss+xml"}, wire.encode()),
        "/feeds/desk.atom": desk_feed,
        "/feeds/broken.rss": (200, {"Content-Type": "application/rss+xml"}, (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Fish & Ships</title>"
            + _rss_item("Trawlers return", "/news/trawlers.html",
                        "Mon, 31 Mar 2025 10:00:00 GMT")
            + "</channel></rss>").encode()),
        "/feeds/as-html.rss": (200, html, (  # a feed served as text/html
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Misconfigured</title>"
            + _rss_item("Trawlers return", "/news/trawlers.html") + "</channel></rss>"
        ).encode()),
        "/feeds/not-xml.rss": (200, {"Content-Type": "application/rss+xml"},
                               b"this is not a feed <<< at all"),
        "/feeds/flaky.rss": (200, {"Content-Type": "application/rss+xml"}, (
            "<rss version='2.0'><channel><title>Flaky</title>"
            + _rss_item("Server error", "/news/error.html") + "</channel></rss>").encode()),
        "/news/port-reopens.html": (200, html, _page("Port reopens", _ARTICLE)),
        "/news/council-budget.html": (200, html, _page("Council budget")),
        "/news/trawlers.html": (200, html, _page("Trawlers")),
        "/news/moved.html": (200, html, _page("Moved story")),
        "/desk/ferry-strike.html": (200, html, _page("Ferry strike")),
        "/desk/harbour-lights.html": (200, html, _page("Harbour lights on")),
        "/private/memo.html": (200, html, _page("Private memo", _ARTICLE)),
        "/news/error.html": (500, html, b"<p>internal error</p>"),
        "/news/slow.html": slow,
        "/news/busy.html": busy,
        "/news/later.html": (429, {"Retry-After": "3600"}, b"come back tomorrow"),
        "/loop/a": (302, {"Location": "/loop/b"}, b""),
        "/loop/b": (302, {"Location": "/loop/a"}, b""),
        "/old/moved.html": (301, {"Location": "/news/moved.html"}, b""),
        "/news/huge.html": (200, html, _page("Huge", "x" * 300_000)),
        "/news/huge-stream.html": (200, {**html, "Transfer-Encoding": "chunked"},
                                   _page("Huge, streamed", "y" * 300_000)),
        "/files/report.pdf": (200, pdf, b"%PDF-1.4\n" + b"0" * 2000),
        "/files/blob": (200, {"Content-Type": "application/octet-stream"},
                        b"%PDF-1.4\n" + b"0" * 2000),
        "/news/plain.html": (200, {"Content-Type": "text/plain"}, _page("Plain", _ARTICLE)),
        "/news/image.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n"),
    }


class NewsSite(http.server.ThreadingHTTPServer):
    """A news site on 127.0.0.1 (feeds, pages, robots.txt and faults); it keeps every
    request it receives."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _NewsHandler)
        self.routes = _news_routes()
        self.requests: list[Request] = []
        self.slow_seconds = 2.0
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def paths(self) -> list[str]:
        """The paths requested (without the query), in order."""
        return [r.path.split("?")[0] for r in self.requests]

    def count(self, path: str) -> int:
        return self.paths().count(path)

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (the slow page) is expected


class _NewsHandler(http.server.BaseHTTPRequestHandler):
    server: NewsSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.record(Request(self.path, headers, time.monotonic()))
        route = self.server.routes.get(self.path.split("?")[0])
        if route is None:
            status, extra, body = 404, {"Content-Type": "text/html"}, b"<p>not found</p>"
        else:
            status, extra, body = route(self.server, headers) if callable(route) else route
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        chunked = extra.get("Transfer-Encoding") == "chunked"  # no Content-Length to go by
        if not chunked:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if chunked else body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def news_site(loopback_only: NetworkLog) -> Iterator[NewsSite]:
    """The news site, serving in a thread for one test, with the loopback guard on."""
    site = NewsSite()
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield site
    site.shutdown()
    site.server_close()
    thread.join(timeout=5)


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
