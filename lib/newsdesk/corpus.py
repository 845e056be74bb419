"""Read articles from a folder or a file, with an optional ``manifest.csv``.

Supported: ``.txt`` ``.md`` ``.html``/``.htm`` (one article a file), ``.json`` (an object or a
list of objects), ``.jsonl`` and ``.csv`` (one article a record). A record's text is taken
from its first non-empty ``text``/``body``/``content`` field. Text is kept exactly as decoded,
line endings included, so that character offsets computed later index into it.

Messy input never stops the other articles: the encoding is detected (UTF-8, UTF-16/32 with a
byte-order mark, else the most plausible legacy code page such as Windows-1252 or -1251, by
charset-normalizer) and noted in ``problems`` when not UTF-8; a binary file, a file over the
size limit or a file the manifest names but that does not exist becomes an ``Article`` with
empty text and a ``status`` saying why; an HTML page saved as ``.txt`` has its text extracted.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.config import max_bytes as default_max_bytes
from newsdesk.dates import parse_date

if TYPE_CHECKING:
    from newsdesk.entities import Overrides

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
RECORD_SUFFIXES = frozenset({".json", ".jsonl", ".csv"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES
MANIFEST_NAME = "manifest.csv"
PRECISIONS = ("day", "month", "year")  # finest first
_IMPLIED_PRECISION = {0: "year", 1: "month", 2: "day"}  # by the number of "-" in the date
#: Files that document a folder rather than being an article of it.
_NOT_ARTICLES = re.compile(r"^(readme|license|licence|changelog)(\.|$)", re.IGNORECASE)
_TEXT_FIELDS = ("text", "body", "content", "article")
_DATE_FIELDS = ("published", "date", "published_at", "pubdate", "datePublished")
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class ManifestEntry:
    """What a manifest row says of one article (``None``: the row leaves it open)."""

    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    published_precision: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Manifest:
    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    #: Problems of the row that names a key (``entries`` key -> problems), also in ``problems``.
    row_problems: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # key -> line number of its row
    key_column: str | None = None
    name: str = MANIFEST_NAME


@dataclass(frozen=True)
class Article:
    """One article as read. ``text`` is the decoded file content, unmodified."""

    article_id: str
    path: str
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    published_precision: str | None = None
    date_basis: str | None = None
    note: str | None = None
    problems: tuple[str, ...] = ()
    #: Set by the reader when the file could not be read as an article at all: ``binary``,
    #: ``too_large``, ``unreadable`` (invalid JSON, an OS error) or ``missing`` (named by the
    #: manifest, no such file). The text is then empty and ``problems`` says why, first.
    status: str | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def meta_hash(self) -> str:
        """Hash of everything but the text (path, manifest values, problems): a change here
        updates the stored row without parsing the article again."""
        fields = (self.path, self.title, self.source, self.url, self.published,
                  self.published_precision, self.date_basis, self.note, *self.problems)
        return hashlib.sha256(json.dumps(fields).encode("utf-8")).hexdigest()


class CorpusError(Exception):
    """A path that cannot be read as a corpus at all (missing, unsupported)."""


def read_corpus(
    path: str | Path,
    *,
    manifest: str | Path | None = None,
    max_bytes: int | None = None,
) -> Iterator[Article]:
    """Yield the articles under ``path`` (a folder, searched recursively, or one file).

    A ``manifest.csv`` beside the articles (or the ``manifest`` given) fills in metadata; a
    manifest value wins over what the file says. A manifest row's problems are attached to the
    article it names, problems of no article's row to the first article yielded, so that they
    are recorded, never fatal. For a folder with a manifest, an article the manifest does not
    list is noted, and a row naming no existing file yields an ``Article`` with status
    ``missing``. Files over ``max_bytes`` (default: ``config.max_bytes()``) are not read.
    """
    root = Path(path)
    if not root.exists():
        raise CorpusError(f"{root}: no such file or folder")
    files = list_article_files(root)
    if not files:
        raise CorpusError(
            f"{root}: no articles found (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    manifest_path = Path(manifest) if manifest else _default_manifest(root)
    mf = read_manifest(manifest_path) if manifest_path else Manifest()
    attached = {p for probs in mf.row_problems.values() for p in probs}
    pending = [p for p in mf.problems if p not in attached]
    matched: set[str] = set()
    ids: set[str] = set()
    check_listing = root.is_dir() and bool(mf.entries)
    for file in files:
        for article in _read_or_record(file, root, max_bytes):
            key = next((k for k in (_relative_key(article.path, root),
                                    Path(article.path).name, article.article_id)
                        if k in mf.entries), None)
            article = apply_manifest(article, mf.entries.get(key) if key else None)
            extra = list(mf.row_problems.get(key, ())) if key and key not in matched else []
            if key:
                matched.add(key)
            elif check_listing:
                extra.append(f"not listed in {mf.name}; no manifest metadata")
            if pending:
                extra += pending
                pending = []
            if extra:
                article = replace(article, problems=(*article.problems, *extra))
            ids.add(article.article_id)
            yield article
    if root.is_dir():
        yield from _missing_articles(root, mf, matched, ids)


def _relative_key(path: str, root: Path) -> str | None:
    """A file's path relative to the corpus folder, as a manifest may name it
    (``host/page.html``, as ``newsdesk collect`` writes it)."""
    try:
        return Path(path).relative_to(root).as_posix() if root.is_dir() else None
    except ValueError:
        return None


def _read_or_record(file: Path, root: Path, max_bytes: int | None) -> list[Article]:
    """The articles of ``file``; in a folder, a file that cannot be read at all (invalid JSON,
    an OS error) becomes one Article with status ``unreadable`` instead of stopping the rest.
    A single file given on its own still raises: it is the whole corpus."""
    try:
        return list(read_file(file, max_bytes=max_bytes))
    except (CorpusError, OSError, UnicodeError, ValueError) as exc:
        if root.is_file():
            if isinstance(exc, CorpusError):
                raise
            raise CorpusError(f"{file}: cannot be read ({exc})") from exc
        what = str(exc).removeprefix(f"{file}: ") if isinstance(exc, CorpusError) else (
            f"cannot be read ({getattr(exc, 'strerror', None) or exc})")
        return [Article(article_id=file.stem, path=str(file), text="", status="unreadable",
                        problems=(f"{what}; not read",))]


def _missing_articles(root: Path, mf: Manifest, matched: set[str],
                      ids: set[str]) -> Iterator[Article]:
    """A placeholder (status ``missing``) per manifest row that names no article read."""
    for key, line in mf.lines.items():
        if key in matched:
            continue
        article_id = Path(key).stem if mf.key_column == "file" else key
        if article_id in ids:
            continue
        ids.add(article_id)
        entry = mf.entries[key]
        what = "no such file" if mf.key_column == "file" else "no article with this id"
        yield apply_manifest(Article(
            article_id=article_id,
            path=str(root / key) if mf.key_column == "file" else str(root / mf.name),
            text="",
            problems=(f"{mf.name} line {line} lists '{key}', but there is {what}",
                      *mf.row_problems.get(key, ())),
            status="missing",
        ), entry)


def list_article_files(root: Path) -> list[Path]:
    """Article files under ``root`` in a stable order.

    Skipped: hidden files and folders, the manifest, and README/LICENSE/CHANGELOG files.
    """
    if root.is_file():
        return [root] if root.suffix.lower() in SUPPORTED_SUFFIXES else []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and p.name != MANIFEST_NAME
        and not _NOT_ARTICLES.match(p.name)
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _default_manifest(root: Path) -> Path | None:
    candidate = (root if root.is_dir() else root.parent) / MANIFEST_NAME
    return candidate if candidate.is_file() else None


def read_file(path: Path, *, max_bytes: int | None = None) -> Iterator[Article]:
    """Yield the article(s) of one file.

    A single-article file (.txt .md .html) over ``max_bytes`` is not read; nor is a record
    whose text is over it. Either is yielded with empty text and status ``too_large``.
    """
    suffix = path.suffix.lower()
    limit = default_max_bytes() if max_bytes is None else max_bytes
    single = suffix in TEXT_SUFFIXES or suffix in HTML_SUFFIXES
    size = path.stat().st_size
    if single and limit and size > limit:
        yield Article(article_id=path.stem, path=str(path), text="", status="too_large",
                      problems=(_too_large(size, limit),))
        return
    decoded = sniff_bytes(path.read_bytes())
    text, problems = decoded.text, decoded.problems
    if decoded.binary:
        yield Article(article_id=path.stem, path=str(path), text="", status="binary",
                      problems=(*problems, f"binary file ({decoded.binary}), not text; "
                                "not read"))
        return
    if suffix in TEXT_SUFFIXES:
        if "\r\n" in text:
            problems = (*problems, "Windows (CRLF) line endings; text kept as read, offsets "
                        "count the \\r")
        elif "\r" in text and "\n" not in text:
            problems = (*problems, "old Mac (CR only) line endings; lines are not split")
        if suffix == ".txt" and looks_like_html(text):
            yield _html_article(path, text, problems, note="HTML page saved as .txt: text "
                                "extracted from the markup; offsets refer to that text")
            return
        yield Article(article_id=path.stem, path=str(path), text=text, problems=problems)
    elif suffix in HTML_SUFFIXES:
        yield _html_article(path, text, problems)
    elif suffix == ".csv":
        try:
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise CorpusError(f"{path}: not CSV ({exc})") from exc
        yield from _records(path, rows, problems, limit=limit)
    else:
        yield from _json_records(path, text, problems, limit=limit)


def _too_large(size: int, limit: int) -> str:
    return (f"too large: {size:,} bytes, over the limit of {limit:,} bytes (--max-bytes or "
            "NEWSDESK_MAX_BYTES); not read")


@dataclass(frozen=True)
class Decoded:
    text: str
    problems: tuple[str, ...] = ()
    encoding: str = "utf-8"
    binary: str | None = None  # why the bytes are not text (None: they are)


_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_MAGIC = (
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "gzip-compressed data"), (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"\x7fELF", "a program"), (b"SQLite format 3", "an SQLite database"),
)
#: Legacy code pages tried when the bytes are not UTF-8, most common first (ties go to the
#: first): Western, Cyrillic, Central European, then others.
LEGACY_ENCODINGS = ("cp1252", "cp1251", "cp1250", "koi8_r", "cp866", "iso8859_2",
                    "iso8859_15", "mac_cyrillic", "cp1253", "cp1254", "cp1257", "cp1255",
                    "cp1256")
_ENCODING_NAMES = {"cp1252": "Windows-1252 (Western, Latin-1)", "cp1251": "Windows-1251 "
                   "(Cyrillic)", "cp1250": "Windows-1250 (Central European)", "koi8_r":
                   "KOI8-R (Cyrillic)", "cp866": "DOS-866 (Cyrillic)"}
_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13, 27})


def sniff_bytes(data: bytes) -> Decoded:
    """Decode file bytes, detecting the encoding, or say why they are not text.

    UTF-8 (a BOM is dropped silently); UTF-16/32 with a BOM; UTF-16 without one when the
    zero bytes say so; else the most plausible code page of ``LEGACY_ENCODINGS``
    (charset-normalizer); NUL bytes, many control bytes or a known file signature: binary.
    """
    if not data:
        return Decoded("")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            notes = () if codec == "utf-8-sig" else (
                f"encoding: {name} with a byte-order mark; decoded",)
            try:
                return Decoded(data.decode(codec), notes, encoding=codec)
            except UnicodeDecodeError as exc:
                return Decoded(data.decode(codec, errors="replace"), (
                    *notes, f"not valid {name} (byte {exc.start}); undecodable bytes replaced "
                    "by \ufffd"), encoding=codec)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return Decoded("", binary=what)
    head = data[:8192]
    if b"\x00" in head:
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            return utf16
        return Decoded("", binary=f"NUL bytes, the first at byte {data.index(0)}")
    controls = sum(head.count(c) for c in _CONTROL)
    if controls > 0.05 * len(head):
        return Decoded("", binary=f"{controls} control bytes in its first {len(head)}")
    try:
        return Decoded(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        start = exc.start
    codec = _legacy_encoding(data)
    if codec is None:
        return Decoded(data.decode("cp1252", errors="replace"), (
            f"not valid UTF-8 (byte {start}) nor a known code page; decoded as Windows-1252, "
            "undecodable bytes replaced by \ufffd",), encoding="cp1252")
    name = _ENCODING_NAMES.get(codec, codec)
    return Decoded(data.decode(codec), (f"not valid UTF-8 (byte {start}); decoded as {name}",),
                   encoding=codec)


def _utf16_without_bom(data: bytes) -> Decoded | None:
    """UTF-16 text without a BOM: one of each pair of bytes is mostly zero (ASCII-range text)."""
    if len(data) < 8:
        return None
    even, odd = data[0::2], data[1::2]
    for codec, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) > 0.6 * len(zeros) and other.count(0) < 0.05 * len(other):
            try:
                text = data[: len(data) // 2 * 2].decode(codec)
            except UnicodeDecodeError:
                continue
            if sum(c.isprintable() or c.isspace() for c in text) > 0.95 * len(text):
                return Decoded(text, (f"encoding: {codec.upper()} without a byte-order mark; "
                                      "decoded",), encoding=codec)
    return None


def _legacy_encoding(data: bytes) -> str | None:
    """The most plausible of ``LEGACY_ENCODINGS``: least chaos, most coherence, then the most
    common code page among those that decode the bytes to the same text."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a pinned dependency
        return "cp1252"
    results = list(from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)))
    if not results:
        return None
    rank = {c: i for i, c in enumerate(LEGACY_ENCODINGS)}

    def preferred(match) -> str:
        names = [c for c in (match.could_be_from_charset or [match.encoding]) if c in rank]
        return min(names or [match.encoding], key=lambda c: rank.get(c, len(rank)))

    best = min(results, key=lambda m: (round(m.chaos, 3), -round(m.coherence, 3),
                                       rank.get(preferred(m), len(rank))))
    return preferred(best)


def decode_bytes(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode file bytes (see ``sniff_bytes``): the text and what is worth noting about it."""
    decoded = sniff_bytes(data)
    if decoded.binary:
        return "", (*decoded.problems, f"binary ({decoded.binary}), not text")
    return decoded.text, decoded.problems


_HTML_START = re.compile(r"\A\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype\s+html|<html\b|"
                         r"<head\b|<body\b)", re.IGNORECASE | re.DOTALL)
_HTML_TAGS = re.compile(r"</?(html|head|body|div|p|span|script|style|meta|a|br|title)\b[^>]*>",
                        re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """An HTML page (saved as text): it starts like one, or markup dominates its start."""
    head = text[:5000]
    if _HTML_START.match(head):
        return True
    tags = _HTML_TAGS.findall(head)
    return len(tags) >= 8 and {"body", "p", "div"} & {t.lower() for t in tags} != set()


def _json_records(path: Path, text: str, problems: tuple[str, ...], *,
                  limit: int = 0) -> Iterator[Article]:
    if path.suffix.lower() == ".jsonl":
        records = []
        for lineno, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                problems = (*problems, f"line {lineno}: not JSON ({exc.msg})")
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from exc
        records = data if isinstance(data, list) else [data]
    yield from _records(path, records, problems, limit=limit)


def _records(path: Path, records, problems: tuple[str, ...], *,
             limit: int = 0) -> Iterator[Article]:
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            continue
        text = next((str(record[k]) for k in _TEXT_FIELDS if record.get(k)), "")
        rid = str(record.get("id") or "").strip()
        article_id = rid or hashlib.sha256(f"{path.name}:{index}:{text}".encode()).hexdigest()[:16]
        published = next((str(record[k]) for k in _DATE_FIELDS if record.get(k)), None)
        status, notes = None, ()
        size = len(text.encode("utf-8")) if limit else 0
        if limit and size > limit:
            status, notes, text = "too_large", (_too_large(size, limit),), ""
        yield Article(
            article_id=article_id,
            path=str(path),
            text=text,
            title=(str(record["title"]).strip() or None) if record.get("title") else None,
            source=(str(record["source"]).strip() or None) if record.get("source") else None,
            url=(str(record["url"]).strip() or None) if record.get("url") else None,
            published=published,
            date_basis="metadata" if published else None,
            problems=(*notes, *(problems if index == 0 else ())),
            status=status,
        )


class _HTMLText(HTMLParser):
    """Collects visible text (block elements become line breaks), the <title> and <meta>s."""

    _BLOCKS = frozenset({"p", "div", "br", "h1", "h2", "h3", "h4", "li", "tr", "article"})
    _SKIP = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            a = {k: v or "" for k, v in attrs}
            key = a.get("property") or a.get("name") or a.get("itemprop")
            if key and a.get("content"):
                self.meta[key.lower()] = a["content"]
        if tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        if tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_title:
            self.title += data
        else:
            self.parts.append(data)


def _html_article(path: Path, text: str, problems: tuple[str, ...], *,
                  note: str = "HTML: text extracted from markup; offsets refer to that text",
                  ) -> Article:
    parser = _HTMLText()
    parser.feed(text)
    body = re.sub(r"[ \t]*\n[ \t\n]*\n[ \t]*", "\n\n", "".join(parser.parts))
    body = re.sub(r"[ \t]+", " ", body).strip()
    meta = parser.meta
    published = next(
        (meta[k] for k in ("article:published_time", "date", "pubdate", "datepublished")
         if k in meta),
        None,
    )
    return Article(
        article_id=path.stem,
        path=str(path),
        text=body,
        title=html.unescape(meta.get("og:title") or parser.title).strip() or None,
        source=meta.get("og:site_name"),
        url=meta.get("og:url"),
        published=published,
        date_basis="metadata" if published else None,
        problems=(*problems, note),
    )


def read_manifest(path: Path) -> Manifest:
    """Read ``manifest.csv``: a ``file`` (or ``id``) column and optional metadata columns.

    Malformed rows are reported in ``problems`` and skipped; nothing here raises for content.
    """
    path = Path(path)
    problems: list[str] = []
    entries: dict[str, ManifestEntry] = {}
    by_key: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    try:
        text, decode_problems = decode_bytes(path.read_bytes())
    except OSError as exc:
        return Manifest({}, (f"{path.name}: cannot be read ({exc.strerror}); manifest ignored",),
                        name=path.name)
    problems += [f"{path.name}: {p}" for p in decode_problems]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fields = [f.strip() for f in reader.fieldnames or []]
    except csv.Error as exc:
        return Manifest({}, (*problems, f"{path.name}: not CSV ({exc}); manifest ignored"),
                        name=path.name)
    key_col = "file" if "file" in fields else "id" if "id" in fields else None
    if key_col is None:
        return Manifest({}, (*problems, f"{path.name}: no 'file' or 'id' column; manifest "
                             "ignored"), name=path.name)
    unknown = [f for f in fields if f and f not in _MANIFEST_COLUMNS]
    if unknown:
        problems.append(f"{path.name}: unknown column(s) {', '.join(unknown)}; ignored")
    rows = iter(enumerate(reader, start=2))
    while True:
        try:
            lineno, raw_row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{path.name} line {reader.line_num}: not CSV ({exc}); the rest "
                            "of the manifest ignored")
            break
        lineno = reader.line_num if reader.line_num else lineno
        extra = raw_row.get(None)
        row = {(k or "").strip(): (v or "").strip() for k, v in raw_row.items() if k}
        key = row.get(key_col, "")
        if not key:
            if any(row.values()) or extra:
                problems.append(f"{path.name} line {lineno}: empty '{key_col}'; row ignored")
            continue
        here: list[str] = []
        if key in entries:
            here.append(f"{path.name} line {lineno}: '{key}' listed again (first on line "
                        f"{lines[key]}); row ignored")
        else:
            if extra:
                here.append(f"{path.name} line {lineno}: {len(fields) + len(extra)} values for "
                            f"{len(fields)} columns; extra values ignored")
            entry, row_problems = _manifest_entry(row)
            here += [f"{path.name} line {lineno}: {p}" for p in row_problems]
            entries[key] = entry
            lines[key] = lineno
        problems += here
        if here:
            by_key[key] = [*by_key.get(key, []), *here]
    return Manifest(entries, tuple(problems), {k: tuple(v) for k, v in by_key.items()},
                    lines, key_col, path.name)


_MANIFEST_COLUMNS = frozenset({"file", "id", "title", "source", "url", "published",
                               "published_precision", "note"})


def _manifest_entry(row: dict[str, str]) -> tuple[ManifestEntry, list[str]]:
    problems: list[str] = []
    published = row.get("published") or None
    precision = row.get("published_precision") or None
    if published and (not _DATE_RE.match(published) or parse_date(published) is None):
        problems.append(f"published '{published}' is not a date (YYYY-MM-DD, YYYY-MM or "
                        "YYYY); ignored")
        published = precision = None
    if published:
        implied = _IMPLIED_PRECISION[published.count("-")]
        if precision and precision not in PRECISIONS:
            problems.append(f"published_precision '{precision}' unknown; using '{implied}'")
            precision = implied
        elif precision and PRECISIONS.index(precision) < PRECISIONS.index(implied):
            problems.append(f"published_precision '{precision}' finer than '{published}'")
            precision = implied
        precision = precision or implied
    entry = ManifestEntry(
        title=row.get("title") or None,
        source=row.get("source") or None,
        url=row.get("url") or None,
        published=published,
        published_precision=precision if published else None,
        note=row.get("note") or None,
    )
    return entry, problems


def apply_manifest(article: Article, entry: ManifestEntry | None) -> Article:
    """Manifest values win over what the file itself says."""
    if entry is None:
        return article
    changes = {
        k: getattr(entry, k)
        for k in ("title", "source", "url", "note")
        if getattr(entry, k) is not None
    }
    if entry.published:
        changes |= {
            "published": entry.published,
            "published_precision": entry.published_precision,
            "date_basis": "manifest",
        }
    return replace(article, **changes)


def read_aliases(path: Path) -> Overrides:
    """The analyst's ``aliases.yml`` (absent: no overrides). A malformed file is an error
    that names the file and the problem: overrides silently ignored would mislead."""
    import yaml

    from newsdesk.entities import parse_overrides

    if not path.is_file():
        return parse_overrides(None)
    try:
        return parse_overrides(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise CorpusError(f"{path}: {exc}") from exc
