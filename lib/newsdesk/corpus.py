"""Read articles from a folder or a file, with an optional ``manifest.csv``.

Supported: ``.txt`` ``.md`` ``.html``/``.htm`` (one article a file), ``.json`` (an object or a
list of objects), ``.jsonl`` and ``.csv`` (one article a record). A record's text is taken
from its first non-empty ``text``/``body``/``content`` field. Text is kept exactly as decoded,
line endings included, so that character offsets computed later index into it.
"""

from __future__ import annotations

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


def read_corpus(path: str | Path, *, manifest: str | Path | None = None) -> Iterator[Article]:
    """Yield the articles under ``path`` (a folder, searched recursively, or one file).

    A ``manifest.csv`` beside the articles (or the ``manifest`` given) fills in metadata; a
    manifest value wins over what the file says. Manifest problems are attached to the first
    article yielded so that they are recorded, never fatal.
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
    pending = list(mf.problems)
    for file in files:
        for article in read_file(file):
            entry = mf.entries.get(Path(article.path).name) or mf.entries.get(article.article_id)
            article = apply_manifest(article, entry)
            if pending:
                article = replace(article, problems=(*article.problems, *pending))
                pending = []
            yield article


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


def read_file(path: Path) -> Iterator[Article]:
    """Yield the article(s) of one file."""
    suffix = path.suffix.lower()
    text, problems = decode_bytes(path.read_bytes())
    if suffix in TEXT_SUFFIXES:
        yield Article(article_id=path.stem, path=str(path), text=text, problems=problems)
    elif suffix in HTML_SUFFIXES:
        yield _html_article(path, text, problems)
    elif suffix == ".csv":
        yield from _records(path, csv.DictReader(io.StringIO(text, newline="")), problems)
    else:
        yield from _json_records(path, text, problems)


def decode_bytes(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode file bytes: UTF-8 (a BOM is dropped), else Windows-1252 with a problem noted."""
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as exc:
        note = f"not valid UTF-8 (byte {exc.start}); decoded as Windows-1252"
        return data.decode("cp1252", errors="replace"), (note,)


def _json_records(path: Path, text: str, problems: tuple[str, ...]) -> Iterator[Article]:
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
    yield from _records(path, records, problems)


def _records(path: Path, records, problems: tuple[str, ...]) -> Iterator[Article]:
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            continue
        text = next((str(record[k]) for k in _TEXT_FIELDS if record.get(k)), "")
        rid = str(record.get("id") or "").strip()
        article_id = rid or hashlib.sha256(f"{path.name}:{index}:{text}".encode()).hexdigest()[:16]
        published = next((str(record[k]) for k in _DATE_FIELDS if record.get(k)), None)
        yield Article(
            article_id=article_id,
            path=str(path),
            text=text,
            title=(str(record["title"]).strip() or None) if record.get("title") else None,
            source=(str(record["source"]).strip() or None) if record.get("source") else None,
            url=(str(record["url"]).strip() or None) if record.get("url") else None,
            published=published,
            date_basis="metadata" if published else None,
            problems=problems if index == 0 else (),
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


def _html_article(path: Path, text: str, problems: tuple[str, ...]) -> Article:
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
        problems=(*problems, "HTML: text extracted from markup; offsets refer to that text"),
    )


def read_manifest(path: Path) -> Manifest:
    """Read ``manifest.csv``: a ``file`` (or ``id``) column and optional metadata columns.

    Malformed rows are reported in ``problems`` and skipped; nothing here raises for content.
    """
    problems: list[str] = []
    entries: dict[str, ManifestEntry] = {}
    text, decode_problems = decode_bytes(Path(path).read_bytes())
    problems += [f"{path.name}: {p}" for p in decode_problems]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [f.strip() for f in reader.fieldnames or []]
    key_col = "file" if "file" in fields else "id" if "id" in fields else None
    if key_col is None:
        return Manifest({}, (f"{path.name}: no 'file' or 'id' column; manifest ignored",))
    for lineno, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        key = row.get(key_col, "")
        if not key:
            problems.append(f"{path.name} line {lineno}: empty '{key_col}'; row ignored")
            continue
        if key in entries:
            problems.append(f"{path.name} line {lineno}: '{key}' listed again; row ignored")
            continue
        entry, row_problems = _manifest_entry(row)
        problems += [f"{path.name} line {lineno}: {p}" for p in row_problems]
        entries[key] = entry
    return Manifest(entries, tuple(problems))


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
