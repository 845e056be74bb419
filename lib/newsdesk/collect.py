"""Collect coverage over HTTP: feeds (RSS 0.9x/1.0/2.0, Atom) and article pages, politely,
into a folder that ``newsdesk ingest`` and ``report`` read.

Each page is saved as ``DIR/<host>/<slug>.html`` (its bytes as served) and gets a row in
``DIR/manifest.csv``: ``file``, ``url`` (canonical), ``title``, ``source`` (the feed's title
or the host) and ``published`` with its precision, from the feed entry. What the feed does
not say is left empty, so the page's own metadata fills it when the folder is read.

Politeness: robots.txt is obeyed for every host (``urllib.robotparser``, with its
Crawl-delay); requests to one host are spaced by a delay (default 1 s); 429 and 5xx answers
are retried with exponential backoff, honouring ``Retry-After``; every request has a timeout,
a size limit, a content-type check and a redirect limit; feeds are fetched with conditional
GET (ETag, Last-Modified), so an unchanged feed costs one 304. No page is fetched twice
across runs: ``DIR/.collect.json`` (written atomically) remembers every URL, its file and its
validators. A page that failed for a passing reason (a timeout, a 5xx, a 429) is tried again
on the next runs, up to ``MAX_RUNS`` times in all; one that failed for good (a 404, not HTML,
too large, disallowed) is not. Each failure is reported as ``newsdesk: <url>: <problem>``
and never stops the rest.
"""

from __future__ import annotations

import contextlib
import csv
import email.utils
import fcntl
import hashlib
import html
import io
import json
import os
import re
import sys
import tempfile
import time
import unicodedata
import urllib.robotparser
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain, zip_longest
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from newsdesk.config import max_bytes as default_max_bytes
from newsdesk.corpus import MANIFEST_NAME, decode_bytes, looks_like_html, sniff_bytes

STATE_NAME = ".collect.json"
LOCK_NAME = ".collect.lock"
STATE_VERSION = 1
#: Runs in which a page that failed for a passing reason is tried, in all.
MAX_RUNS = 3
MANIFEST_COLUMNS = ("file", "url", "title", "source", "published", "published_precision",
                    "note")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/xml", "text/xml", "application/x-rss+xml"})
#: Content types that say nothing: the bytes decide (an HTML page, a feed, or neither).
SNIFF_TYPES = frozenset({"", "text/plain", "application/octet-stream"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_TRANSIENT_STATUSES = RETRY_STATUSES | {408, 425}
#: The start of an RSS or Atom document: an optional BOM, XML declaration, comments and
#: processing instructions, then the root element.
_FEED_START = re.compile(rb"\A(\xef\xbb\xbf)?\s*(<\?.*?\?>\s*|<!--.*?-->\s*)*"
                         rb"<(rss|feed|rdf:RDF)\b", re.DOTALL)
_SLUG_MAX = 60
_ROBOTS_MAX_BYTES = 512_000  # RFC 9309: at least 500 KiB are read


def default_user_agent() -> str:
    from newsdesk import __version__

    return f"newsdesk/{__version__} (news coverage collector; obeys robots.txt)"


@dataclass(frozen=True)
class Settings:
    """How politely and how far to fetch. ``max_bytes`` None: ``config.max_bytes()``."""

    delay: float = 1.0
    timeout: float = 30.0
    max_bytes: int | None = None
    user_agent: str = field(default_factory=default_user_agent)
    max_redirects: int = 5
    retries: int = 3
    backoff: float = 1.0
    #: A ``Retry-After`` longer than this is not waited for in this run.
    max_retry_after: float = 120.0


class CollectError(Exception):
    """Arguments or a folder that cannot be used at all (exit status 2)."""


class FetchError(Exception):
    """One URL could not be fetched; ``transient``: worth trying again on a later run;
    ``status``: the HTTP status that said so, if one did."""

    def __init__(self, problem: str, *, transient: bool = False,
                 status: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.transient = transient
        self.status = status


@dataclass(frozen=True)
class Entry:
    """What a feed (or the command line) says of one page."""

    url: str
    title: str = ""
    source: str = ""
    published: str = ""
    published_precision: str = ""


@dataclass(frozen=True)
class Feed:
    title: str
    entries: tuple[Entry, ...]
    problems: tuple[str, ...] = ()
    unlinked: int = 0  # entries without an http(s) link, skipped


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200 or 304
    content_type: str = ""
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def kind(self) -> str:
        """``html``, ``feed`` or ``other``, by the content type, else by the bytes."""
        if self.content_type in FEED_TYPES or _FEED_START.match(self.body[:4000]):
            return "feed"
        if self.content_type in HTML_TYPES:
            return "html"
        return "html" if looks_like_html(decode_bytes(self.body[:5000])[0]) else "other"


@dataclass
class CollectResult:
    into: Path
    saved: list[str] = field(default_factory=list)  # files, relative to ``into``
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, problem)
    feeds: int = 0
    unchanged: int = 0  # feeds that answered 304
    skipped: int = 0  # pages collected (or given up) on an earlier run
    unlinked: int = 0  # feed entries without a link to a page

    def summary(self) -> str:
        unlinked = f"; {self.unlinked} feed entries without a link" if self.unlinked else ""
        return (f"collected {len(self.saved)} new page(s) into {self.into} from "
                f"{self.feeds} feed(s) ({self.unchanged} unchanged); {self.skipped} seen "
                f"on an earlier run{unlinked}; {len(self.failures)} failed")


# -- URLs and file names (pure) ----------------------------------------------------------------


def canonical_url(url: str) -> str:
    """``url`` without its fragment, ``utm_*`` parameters and credentials; scheme and host
    lower-cased, a default port dropped, an empty path made ``/``. Other parameters keep
    their order."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else (
        f"{host}:{port}")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not k.lower().startswith("utm_")])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def page_path(url: str) -> PurePosixPath:
    """Where the page of ``url`` is saved, relative to the folder: ``<host>/<slug>.html``.

    Only ``[a-z0-9.-_]`` appear, so no URL can name a path outside the folder; the slug is
    bounded and ends in a hash of the canonical URL, so each URL has its own file (and its
    own article id, the file's stem)."""
    canonical = canonical_url(url)
    parts = urlsplit(canonical)
    host = _ascii_slug(parts.hostname or "", keep=".").strip(".-") or "host"
    if parts.port:
        host = f"{host}_{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    while segments and re.fullmatch(r"(index|default)(\.\w+)?", segments[-1], re.IGNORECASE):
        segments.pop()
    last = re.sub(r"\.(s?html?|php\d?|aspx?|jsp|cgi)$", "", segments[-1] if segments else "",
                  flags=re.IGNORECASE)
    slug = _ascii_slug(last)[:_SLUG_MAX].strip("-") or "page"
    digest = hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:10]
    return PurePosixPath(host, f"{slug}-{digest}.html")


def _ascii_slug(text: str, *, keep: str = "") -> str:
    from urllib.parse import unquote

    ascii_text = unicodedata.normalize("NFKD", unquote(text)).encode("ascii", "ignore")
    return re.sub(rf"[^a-z0-9{re.escape(keep)}]+", "-", ascii_text.decode().lower()).strip("-")


def is_http_url(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


# -- sources -----------------------------------------------------------------------------------


def read_sources(sources: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The URLs named by ``sources`` (URLs, or text files of URLs, one a line, ``#``
    comments), in order, each once; and the (place, problem) of each unusable line of a file.

    An argument that is neither an http(s) URL nor a readable file raises ``CollectError``.
    """
    urls: dict[str, None] = {}
    problems: list[tuple[str, str]] = []
    for source in sources:
        if is_http_url(source):
            urls.setdefault(source.strip())
            continue
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source):
            raise CollectError(f"{source}: not an http or https URL")
        path = Path(source)
        if not path.is_file():
            raise CollectError(f"{source}: no such file, and not an http(s) URL")
        try:
            text, _ = decode_bytes(path.read_bytes())
        except OSError as exc:
            raise CollectError(f"{source}: cannot be read ({exc.strerror})") from exc
        for lineno, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()  # a URL's fragment is never sent anyway
            if not line:
                continue
            if is_http_url(line):
                urls.setdefault(line)
            else:
                problems.append((f"{source} line {lineno}", f"not an http(s) URL: {line!r}"))
    return list(urls), problems


# -- feeds (pure) ------------------------------------------------------------------------------


def parse_feed(data: bytes, *, url: str, content_type: str = "") -> Feed:
    """The title and entries of a feed (feedparser). Entry links are made absolute. XML that
    is not well-formed is read leniently and said so in ``problems``."""
    import feedparser

    parsed = feedparser.parse(data, response_headers={"content-location": url,
                                                      "content-type": content_type or
                                                      "application/xml"})
    title = _plain(parsed.feed, "title")
    problems: list[str] = []
    unlinked = 0
    if parsed.get("bozo") and _is_xml_error(parsed.get("bozo_exception")):
        exc = parsed["bozo_exception"]
        line = getattr(exc, "getLineNumber", lambda: None)()
        where = f", line {line}" if line else ""
        if not parsed.entries:
            return Feed(title, (), (f"not a feed: not well-formed XML ({exc.getMessage()}"
                                    f"{where})",))
        count = len(parsed.entries)
        problems.append(f"feed is not well-formed XML ({exc.getMessage()}{where}); {count} "
                        f"{'entry' if count == 1 else 'entries'} read leniently, others may "
                        "be lost")
    elif not parsed.get("version") and not parsed.entries:
        return Feed(title, (), ("not an RSS or Atom feed",))
    entries = []
    for item in parsed.entries:
        link = _entry_link(item, url)
        if link is None:  # RSS allows an item without a page: nothing to fetch
            unlinked += 1
            continue
        published = entry_date(item.get("published") or item.get("updated"),
                               item.get("published_parsed") or item.get("updated_parsed"))
        entries.append(Entry(
            url=link,
            title=_plain(item, "title"),
            source=title,
            published=published[0] if published else "",
            published_precision=published[1] if published else "",
        ))
    return Feed(title, tuple(entries), tuple(problems), unlinked)


def _plain(element, key: str) -> str:
    """An element's text on one line; feedparser gives HTML unless the feed said text."""
    value = str(element.get(key) or "")
    if element.get(f"{key}_detail", {}).get("type") != "text/plain":
        value = html.unescape(re.sub(r"<[^>]*>", "", value))
    return " ".join(value.split())


def _is_xml_error(exc: object) -> bool:
    import xml.sax

    return isinstance(exc, xml.sax.SAXException)


def _entry_link(item, base: str) -> str | None:
    candidates = [item.get("link")] + [
        link.get("href") for link in item.get("links", ()) if link.get("rel") == "alternate"]
    for candidate in candidates:
        if candidate:
            absolute = urljoin(base, str(candidate).strip())
            if is_http_url(absolute):
                return absolute
    return None


def entry_date(raw: str | None, parsed: time.struct_time | None = None
               ) -> tuple[str, str] | None:
    """A feed entry's date as ``(YYYY[-MM[-DD]], precision)``: the date as the publisher
    wrote it (its own time zone, not UTC), else feedparser's (UTC), else None."""
    text = (raw or "").strip()
    if re.fullmatch(r"\d{4}", text):
        return text, "year"
    if re.fullmatch(r"\d{4}-\d{2}", text) and 1 <= int(text[5:]) <= 12:
        return text, "month"
    stated = _iso_datetime(text) or _rfc822_datetime(text)
    if stated is not None:
        return stated.date().isoformat(), "day"
    if parsed is not None:
        try:
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday).isoformat(), "day"
        except ValueError:
            return None
    return None


def _iso_datetime(text: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        try:
            return datetime.fromisoformat(text[:10])
        except ValueError:
            return None


def _rfc822_datetime(text: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError, IndexError):
        return None


def select_entries(entries: Sequence[Entry], *, since: date | None = None,
                   max_per_feed: int | None = None) -> list[Entry]:
    """The entries dated ``since`` or later (an undated entry is kept: it may be new; one
    dated to a month or year is compared at that precision), the first ``max_per_feed`` of
    them in the feed's order."""
    kept = [e for e in entries
            if since is None or not e.published
            or e.published >= since.isoformat()[:len(e.published)]]
    return kept[:max_per_feed] if max_per_feed is not None else kept


# -- HTTP --------------------------------------------------------------------------------------


class Fetcher:
    """One HTTP client for a run: robots.txt per host, a delay between requests to a host,
    retries with backoff, limits on time, size and redirects."""

    def __init__(self, settings: Settings) -> None:
        import httpx

        self.settings = settings
        self.max_bytes = (default_max_bytes() if settings.max_bytes is None
                          else settings.max_bytes)
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent,
                     "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.timeout), follow_redirects=False,
        )
        self._last: dict[str, float] = {}  # origin -> time.monotonic() of the last answer
        self._robots: dict[str, urllib.robotparser.RobotFileParser | FetchError] = {}
        self._crawl_delay: dict[str, float] = {}  # origin -> robots.txt's Crawl-delay

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, accept: frozenset[str],
            headers: dict[str, str] | None = None) -> Fetched:
        """GET ``url`` following redirects; ``accept``: the kinds wanted (``html``,
        ``feed``); ``headers``: the validators of a conditional GET, sent on every hop (a
        feed moved to https keeps its 304). Raises ``FetchError`` for anything but a wanted
        answer or a 304."""
        chain_ = [url]
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            self._check_robots(current)
            fetched = self._request(current, headers=headers, accept=accept)
            if isinstance(fetched, Fetched):
                return fetched
            target = urljoin(current, fetched)
            if not is_http_url(target):
                raise FetchError(f"redirected to {target!r}, not an http(s) URL")
            if canonical_url(target) in {canonical_url(u) for u in chain_}:
                raise FetchError("redirect loop: " + " -> ".join([*chain_, target]))
            chain_.append(target)
            current = target
        raise FetchError(f"more than {self.settings.max_redirects} redirects: "
                         + " -> ".join(chain_))

    def _check_robots(self, url: str) -> None:
        origin = _origin(url)
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin)
        robots = self._robots[origin]
        if isinstance(robots, FetchError):
            raise robots
        if not robots.can_fetch(self.settings.user_agent, url):
            raise FetchError(f"disallowed by {origin}/robots.txt; not fetched")

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | FetchError:
        """robots.txt, read as ``urllib.robotparser`` reads it: 401 and 403 disallow all,
        another 4xx allows all; unreachable (5xx, a network error) allows nothing on this
        run (RFC 9309)."""
        robots = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        url = f"{origin}/robots.txt"
        try:
            body = b""
            for _hop in range(self.settings.max_redirects + 1):
                answer = self._request(url, accept=None, limit=_ROBOTS_MAX_BYTES)
                if isinstance(answer, Fetched):
                    body = answer.body
                    break
                url = urljoin(url, answer)
            robots.parse(decode_bytes(body)[0].splitlines())
        except FetchError as exc:
            if exc.status in (401, 403):
                robots.disallow_all = True
            elif exc.status and 400 <= exc.status < 500 and not exc.transient:
                robots.allow_all = True
            else:
                return FetchError(f"{origin}/robots.txt cannot be read ({exc.problem}); "
                                  "nothing fetched from this host", transient=True)
        self._crawl_delay[origin] = float(robots.crawl_delay(self.settings.user_agent) or 0)
        return robots

    def _delay(self, origin: str) -> float:
        return max(self.settings.delay, self._crawl_delay.get(origin, 0.0))

    def _wait_turn(self, origin: str) -> None:
        last = self._last.get(origin)
        if last is not None:
            wait = last + self._delay(origin) - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def _request(self, url: str, *, accept: frozenset[str] | None,
                 headers: dict[str, str] | None = None, limit: int | None = None
                 ) -> Fetched | str:
        """One URL, retried on 429/5xx: a ``Fetched``, or the Location of a redirect.
        ``accept`` None: any content (robots.txt), cut at ``limit`` bytes."""
        import httpx

        origin = _origin(url)
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            self._wait_turn(origin)
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    status = response.status_code
                    if status not in RETRY_STATUSES:
                        return self._answer(response, url, accept, limit)
                    wait = retry_after(response.headers.get("retry-after"))
            except httpx.TimeoutException as exc:
                raise FetchError(f"timed out after {self.settings.timeout:g} s "
                                 f"({type(exc).__name__})", transient=True) from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"cannot be fetched ({type(exc).__name__}: {exc})",
                                 transient=True) from exc
            finally:
                self._last[origin] = time.monotonic()
            what = f"HTTP {status} {_reason(status)}".rstrip()
            if attempt == attempts - 1:
                raise FetchError(f"{what} ({attempts} attempts)", transient=True,
                                 status=status)
            wait = self.settings.backoff * 2 ** attempt if wait is None else wait
            if wait > self.settings.max_retry_after:
                raise FetchError(f"{what}; the server asks to wait {wait:.0f} s (Retry-After),"
                                 f" over {self.settings.max_retry_after:g} s", transient=True,
                                 status=status)
            time.sleep(max(wait, self._delay(origin)))
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer(self, response, url: str, accept: frozenset[str] | None,
                limit: int | None) -> Fetched | str:
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location")
            return location
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        if status == 304:
            return Fetched(url, 304, etag=etag, last_modified=last_modified)
        if status not in (200, 203):
            raise FetchError(f"HTTP {status} {_reason(status)}".rstrip(),
                             transient=status in _TRANSIENT_STATUSES, status=status)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if accept is not None:
            self._check_type(content_type, accept)
        body = self._read(response, self.max_bytes if limit is None else limit,
                          truncate=limit is not None)
        fetched = Fetched(url, 200, content_type, body, etag, last_modified)
        if accept is not None and fetched.kind not in accept:
            what = {"feed": "looks like an RSS or Atom feed", "html": "looks like HTML"}.get(
                fetched.kind, "is neither")
            raise FetchError(f"not {_kinds(accept)}: Content-Type {content_type or 'missing'}"
                             f" and the content {what}; not saved")
        return fetched

    @staticmethod
    def _check_type(content_type: str, accept: frozenset[str]) -> None:
        known = (HTML_TYPES if "html" in accept else frozenset()) | (
            FEED_TYPES if "feed" in accept else frozenset()) | SNIFF_TYPES
        if content_type not in known:
            raise FetchError(f"not {_kinds(accept)}: Content-Type {content_type}; not saved")

    def _read(self, response, limit: int, *, truncate: bool = False) -> bytes:
        length = response.headers.get("content-length", "")
        if limit and not truncate and length.isdigit() and int(length) > limit:
            raise FetchError(f"too large: {int(length):,} bytes, over the limit of {limit:,} "
                             "bytes (--max-bytes); not saved")
        deadline = time.monotonic() + self.settings.timeout
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if limit and size > limit:
                if truncate:
                    chunks.append(chunk[: len(chunk) - (size - limit)])
                    break
                raise FetchError(f"too large: more than the limit of {limit:,} bytes "
                                 "(--max-bytes); not saved")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise FetchError(f"timed out after {self.settings.timeout:g} s (the page "
                                 "is still arriving)", transient=True)
        return b"".join(chunks)


def _kinds(accept: frozenset[str]) -> str:
    return " or ".join(("an HTML page" if k == "html" else "an RSS or Atom feed")
                       for k in sorted(accept, reverse=True))


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _rfc822_datetime(value)
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# -- the folder: state, manifest, pages --------------------------------------------------------


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class State:
    """``DIR/.collect.json``: per canonical URL its kind (feed, page), status (saved, failed,
    given_up), file, validators (etag, last_modified), attempts and last problem."""

    def __init__(self, path: Path, urls: dict[str, dict]) -> None:
        self.path = path
        self.urls = urls

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls(path, {})
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, ValueError) as exc:
            raise CollectError(f"{path}: cannot be read ({exc}); fix or remove it (without it "
                               "every page is fetched again)") from exc
        urls = data.get("urls") if isinstance(data, dict) else None
        if not isinstance(urls, dict) or not all(isinstance(r, dict) for r in urls.values()):
            raise CollectError(f"{path}: not a newsdesk collect state (no 'urls' object); fix "
                               "or remove it (without it every page is fetched again)")
        return cls(path, urls)

    def save(self) -> None:
        text = json.dumps({"version": STATE_VERSION, "urls": self.urls}, indent=1,
                          ensure_ascii=False, sort_keys=True)
        atomic_write(self.path, (text + "\n").encode("utf-8"))

    def get(self, url: str) -> dict:
        return self.urls.get(canonical_url(url), {})

    def done(self, url: str) -> bool:
        record = self.get(url)
        return record.get("kind") == "page" and record.get("status") in ("saved", "given_up")

    def validators(self, url: str) -> dict[str, str]:
        record = self.get(url)
        headers = {}
        if record.get("etag"):
            headers["If-None-Match"] = record["etag"]
        if record.get("last_modified"):
            headers["If-Modified-Since"] = record["last_modified"]
        return headers

    def record(self, url: str, /, **values: object) -> None:
        """Set ``values`` on the URL's record (None: remove that key), with the time."""
        record = self.urls.setdefault(canonical_url(url), {})
        for key, value in values.items():
            if value is None:
                record.pop(key, None)
            else:
                record[key] = value
        record["checked"] = _now()

    def pending(self) -> Iterator[Entry]:
        """Pages that failed for a passing reason on an earlier run, to try again."""
        for url, record in self.urls.items():
            if record.get("kind") == "page" and record.get("status") == "failed":
                entry = record.get("entry") if isinstance(record.get("entry"), dict) else {}
                yield Entry(url, **{k: str(entry.get(k) or "") for k in _ENTRY_FIELDS})


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class ManifestFile:
    """``DIR/manifest.csv`` kept as read: other rows and columns stay, rows are added or
    updated by ``file`` (or by ``id`` in a manifest keyed by id), written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns: list[str] = list(MANIFEST_COLUMNS)
        self.rows: list[dict[str, str]] = []
        if path.exists():
            self._read()
        self.key = "file" if "file" in self.columns or "id" not in self.columns else "id"

    def _read(self) -> None:
        try:
            decoded = sniff_bytes(self.path.read_bytes())
            if decoded.binary:
                raise CollectError(f"{self.path}: not text ({decoded.binary}); fix it or move "
                                   "it away (nothing was changed)")
            reader = csv.DictReader(io.StringIO(decoded.text, newline=""))
            rows = list(reader)
        except (OSError, csv.Error) as exc:
            raise CollectError(f"{self.path}: cannot be read ({exc}); fix it or move it "
                               "away (nothing was changed)") from exc
        for lineno, row in enumerate(rows, start=2):
            if None in row:  # values beyond the header would be lost on rewriting
                raise CollectError(f"{self.path} line {lineno}: more values than columns; "
                                   "fix it (nothing was changed)")
        columns = [c for c in (reader.fieldnames or []) if c is not None]
        if columns:
            self.columns = columns + [c for c in MANIFEST_COLUMNS
                                      if c not in columns and c not in ("file", "id")]
            if "file" not in columns and "id" not in columns:
                self.columns.insert(0, "file")
        self.rows = rows

    def upsert(self, file: PurePosixPath, values: dict[str, str]) -> None:
        key = str(file) if self.key == "file" else file.stem
        for row in self.rows:
            if (row.get(self.key) or "").strip() == key:
                row.update({k: v for k, v in values.items() if v})
                return
        self.rows.append({self.key: key, **values})

    def save(self) -> None:
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=self.columns, extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write(self.path, out.getvalue().encode("utf-8"))


@contextlib.contextmanager
def _locked(into: Path) -> Iterator[None]:
    lock_path = into / LOCK_NAME
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise CollectError(f"{into}: another newsdesk collect is writing into it "
                               f"(process {holder}); try again when it has finished") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- the run -----------------------------------------------------------------------------------


def collect(
    sources: Sequence[str],
    into: str | Path,
    *,
    since: date | None = None,
    max_per_feed: int | None = None,
    settings: Settings | None = None,
    progress: bool = False,
) -> CollectResult:
    """Fetch the feeds and pages that ``sources`` name into the folder ``into``.

    Each failure is reported on standard error as ``newsdesk: <url>: <problem>`` and kept in
    the result; the rest go on. Raises ``CollectError`` when the sources or the folder cannot
    be used at all.
    """
    if max_per_feed is not None and max_per_feed < 0:
        raise CollectError(f"--max-per-feed {max_per_feed}: must be 0 or more")
    urls, bad_lines = read_sources(sources)
    into = Path(into)
    if into.exists() and not into.is_dir():
        raise CollectError(f"{into}: not a folder")
    try:
        into.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CollectError(f"{into}: cannot be created ({exc.strerror})") from exc
    try:
        with _locked(into):
            run = _Run(into, settings or Settings(), progress=progress)
            for place, problem in bad_lines:
                run.fail(place, problem)
            with run.fetcher, run.bar:
                run.collect(urls, since=since, max_per_feed=max_per_feed)
            return run.result
    except OSError as exc:  # the folder, not the network: a full disk, no permission
        raise CollectError(f"{exc.filename or into}: cannot be written ({exc.strerror}); "
                           "stopped, what was saved before is kept") from exc


class _Run:
    def __init__(self, into: Path, settings: Settings, *, progress: bool) -> None:
        from tqdm.auto import tqdm

        self.into = into
        self.state = State.load(into / STATE_NAME)
        self.manifest = ManifestFile(into / MANIFEST_NAME)
        self.fetcher = Fetcher(settings)
        self.result = CollectResult(into)
        self.bar = tqdm(total=0, desc="collect", unit="url", disable=not progress,
                        file=sys.stderr)

    def fail(self, url: str, problem: str) -> None:
        from tqdm.auto import tqdm

        self.result.failures.append((url, problem))
        tqdm.write(f"newsdesk: {url}: {problem}", file=sys.stderr)

    def collect(self, urls: Sequence[str], *, since: date | None,
                max_per_feed: int | None) -> None:
        self._grow(len(urls))
        tried = {canonical_url(url) for url in urls}  # as sources: not again as pages
        pages: dict[str, Entry] = {}
        for url in urls:
            if self.state.done(url):
                self.result.skipped += 1
            else:
                for entry in self._source(url, since=since, max_per_feed=max_per_feed):
                    if canonical_url(entry.url) not in tried:
                        pages.setdefault(canonical_url(entry.url), entry)
            self.bar.update()
        for entry in self.state.pending():
            if canonical_url(entry.url) not in tried:
                pages.setdefault(canonical_url(entry.url), entry)
        self._grow(len(pages))
        for entry in _by_host_in_turn(pages.values()):
            self._page(entry)
            self.bar.update()

    def _grow(self, n: int) -> None:
        self.bar.total += n
        self.bar.refresh()

    def _source(self, url: str, *, since: date | None,
                max_per_feed: int | None) -> list[Entry]:
        """A command-line URL: a feed (its new entries are returned) or a page (saved)."""
        known = self.state.get(url).get("kind")
        headers = self.state.validators(url) if known == "feed" else None
        try:
            fetched = self.fetcher.get(url, accept=frozenset({"html", "feed"}),
                                       headers=headers)
        except FetchError as exc:
            self.fail(url, exc.problem)
            if known == "feed":
                self.state.record(url, problem=exc.problem)
                self.state.save()
            return []
        if fetched.status == 304:
            self.result.feeds += 1
            self.result.unchanged += 1
            self.state.record(url, problem=None)
            self.state.save()
            return []
        if fetched.kind == "html":
            self._save(Entry(url=url, source=host_of(fetched.url)), fetched)
            return []
        return self._feed(url, fetched, since=since, max_per_feed=max_per_feed)

    def _feed(self, url: str, fetched: Fetched, *, since: date | None,
              max_per_feed: int | None) -> list[Entry]:
        feed = parse_feed(fetched.body, url=fetched.url, content_type=fetched.content_type)
        for problem in feed.problems:
            self.fail(url, problem)
        self.result.feeds += 1
        self.result.unlinked += feed.unlinked
        self.state.record(url, kind="feed", title=feed.title, etag=fetched.etag,
                          last_modified=fetched.last_modified,
                          problem="; ".join(feed.problems) or None)
        self.state.save()
        selected = select_entries(feed.entries, since=since, max_per_feed=max_per_feed)
        new = [e for e in selected if not self.state.done(e.url)]
        self.result.skipped += len(selected) - len(new)
        return new

    def _page(self, entry: Entry) -> None:
        try:
            fetched = self.fetcher.get(entry.url, accept=frozenset({"html"}))
        except FetchError as exc:
            attempts = int(self.state.get(entry.url).get("attempts", 0)) + 1
            given_up = not exc.transient or attempts >= MAX_RUNS
            problem = exc.problem + (
                "" if not exc.transient else f"; given up after {attempts} runs" if given_up
                else "; tried again on the next run")
            self.fail(entry.url, problem)
            self.state.record(entry.url, kind="page", attempts=attempts, problem=problem,
                              status="given_up" if given_up else "failed",
                              entry=_entry_fields(entry))
            self.state.save()
            return
        self._save(entry, fetched)

    def _save(self, entry: Entry, fetched: Fetched) -> None:
        final = canonical_url(fetched.url)
        relative = page_path(final)
        atomic_write(self.into / relative, fetched.body)
        self.manifest.upsert(relative, {
            "url": final, "title": entry.title, "source": entry.source or host_of(final),
            "published": entry.published, "published_precision": entry.published_precision,
        })
        self.manifest.save()
        for url in dict.fromkeys((entry.url, final)):  # a redirect's target is known too
            self.state.record(url, kind="page", status="saved", file=str(relative), url=final,
                              etag=fetched.etag, last_modified=fetched.last_modified,
                              entry=None, problem=None, attempts=None)
        self.state.save()
        self.result.saved.append(str(relative))


_ENTRY_FIELDS = ("title", "source", "published", "published_precision")


def _entry_fields(entry: Entry) -> dict[str, str]:
    return {k: getattr(entry, k) for k in _ENTRY_FIELDS}


def _by_host_in_turn(entries: Iterable[Entry]) -> list[Entry]:
    """Entries reordered so that hosts take turns: the delay for one host is spent fetching
    from the others."""
    by_host: dict[str, list[Entry]] = {}
    for entry in entries:
        by_host.setdefault(_origin(entry.url), []).append(entry)
    return [e for e in chain.from_iterable(zip_longest(*by_host.values())) if e is not None]
