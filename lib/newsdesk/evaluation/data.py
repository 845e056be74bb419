"""Readers for the development sets in ``../shared/eval`` (never copied into the repository).

- CoNLL-2003 (``conll2003/valid.txt``): documents of tokenised sentences with IOB2 tags,
  turned into article texts (tokens joined by single spaces, one sentence a paragraph) with
  the gold entities as character spans.
- PolNeAR (``polnear_train/``): article texts, ``metadata.tsv`` and brat standoff
  attributions (one annotator's file per article).
- scrapinghub article-extraction benchmark (``scrapinghub/``): gzipped HTML pages and
  ``ground-truth.json`` with each page's ``articleBody``.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# -- CoNLL-2003 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    label: str  # PER | ORG | LOC | MISC


@dataclass(frozen=True)
class ConllDoc:
    doc_id: str
    text: str
    sentences: int
    spans: tuple[GoldSpan, ...]


def conll_documents(path: Path, *, max_sentences: int | None = None) -> list[ConllDoc]:
    """The documents of a CoNLL-2003 file; with ``max_sentences``, whole documents spread
    evenly over the file (every n-th) until they hold that many sentences, so that a subset
    mixes sports tables, politics and business as the whole does."""
    docs = _conll_all(path)
    total = sum(d.sentences for d in docs)
    if max_sentences is None or max_sentences >= total:
        return docs
    stride = total / max_sentences  # take one document in this many
    picked: list[ConllDoc] = []
    held = 0
    for j in range(len(docs)):
        if held >= max_sentences or int(j * stride) >= len(docs):
            break
        picked.append(docs[int(j * stride)])
        held += picked[-1].sentences
    return picked


def _conll_all(path: Path) -> list[ConllDoc]:
    docs: list[ConllDoc] = []
    sentences: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []

    def close_doc() -> None:
        if sentences:
            docs.append(_conll_doc(f"conll-{len(docs):04d}", sentences))
        sentences.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            if current:
                sentences.append(current)
                current = []
            close_doc()
            continue
        parts = line.split()
        if not parts:
            if current:
                sentences.append(current)
                current = []
            continue
        current.append((parts[0], parts[-1]))
    if current:
        sentences.append(current)
    close_doc()
    return docs


def _conll_doc(doc_id: str, sentences: list[list[tuple[str, str]]]) -> ConllDoc:
    """One article text: a sentence a paragraph (blank line between), tokens single-spaced."""
    pieces: list[str] = []
    spans: list[GoldSpan] = []
    pos = 0
    for s_index, sentence in enumerate(sentences):
        if s_index:
            pieces.append("\n\n")
            pos += 2
        open_span: list | None = None
        for t_index, (token, tag) in enumerate(sentence):
            if t_index:
                pieces.append(" ")
                pos += 1
            start, end = pos, pos + len(token)
            pieces.append(token)
            pos = end
            kind = tag[2:] if tag != "O" else None
            if tag.startswith("B-") or (tag.startswith("I-") and (
                    open_span is None or open_span[2] != kind)):
                if open_span:
                    spans.append(GoldSpan(*open_span))
                open_span = [start, end, kind]
            elif tag.startswith("I-"):
                open_span[1] = end
            else:
                if open_span:
                    spans.append(GoldSpan(*open_span))
                open_span = None
        if open_span:
            spans.append(GoldSpan(*open_span))
    return ConllDoc(doc_id, "".join(pieces) + "\n", len(sentences), tuple(spans))


# -- PolNeAR ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    """One annotated attribution: content, source and cue spans (each a list of parts)."""

    content: tuple[tuple[int, int], ...]
    content_text: str
    source: tuple[tuple[int, int], ...]
    source_text: str
    cue: tuple[tuple[int, int], ...]
    cue_text: str

    @property
    def content_hull(self) -> tuple[int, int]:
        return self.content[0][0], self.content[-1][1]


@dataclass(frozen=True)
class PolnearArticle:
    article_id: str
    text: str
    publisher: str
    published: str
    title: str
    attributions: tuple[Attribution, ...]


def polnear_articles(folder: Path, *, limit: int | None = None) -> list[PolnearArticle]:
    """The articles of ``metadata.tsv`` in file order, each with the attributions of its
    first listed annotator; ``limit`` takes every n-th article so that all publishers and
    months are represented."""
    with (folder / "metadata.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if limit is not None and limit < len(rows):
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    out = []
    for row in rows:
        name = row["filename"]
        text = (folder / "text" / f"{name}.txt").read_text(encoding="utf-8")
        annotator = next(a for a in row["annotators"].split("|")
                         if (folder / "attributions" / f"{name}_{a}.ann").exists())
        ann = (folder / "attributions" / f"{name}_{annotator}.ann").read_text(encoding="utf-8")
        out.append(PolnearArticle(name, text, row["publisher"], row["publication_date"],
                                  row["title"], tuple(parse_brat(ann))))
    return out


_T_LINE = re.compile(r"^(T\d+)\t(\w+) ([\d ;]+)\t(.*)$")


def parse_brat(ann: str) -> Iterator[Attribution]:
    """Attributions of a brat standoff file: text-bound ``T`` lines joined by ``E`` lines."""
    spans: dict[str, tuple[tuple[tuple[int, int], ...], str]] = {}
    events = []
    for line in ann.splitlines():
        match = _T_LINE.match(line)
        if match:
            parts = tuple(tuple(int(x) for x in p.split()) for p in match.group(3).split(";"))
            spans[match.group(1)] = (tuple(sorted(parts)), match.group(4))
        elif line.startswith("E"):
            fields = line.split("\t")[1].split()
            events.append(dict(f.split(":", 1) for f in fields if ":" in f))
    for event in events:
        content = spans.get(event.get("Content", ""))
        if content is None:
            continue
        source = spans.get(event.get("Source", ""), ((), ""))
        cue = spans.get(event.get("Cue", ""), ((), ""))
        yield Attribution(content[0], content[1], source[0], source[1], cue[0], cue[1])


# -- scrapinghub pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    page_id: str
    url: str
    html: str
    body: str  # articleBody
    lang: str = ""  # the page's declared language (manifest.csv html_lang), "" if none

    @property
    def english(self) -> bool:
        """Declared English, or undeclared with an English body."""
        from newsdesk.quality import is_foreign

        return self.lang.startswith("en") or (not self.lang and is_foreign(self.body) is None)


def scrapinghub_pages(folder: Path, *, limit: int | None = None) -> list[Page]:
    """Pages of the benchmark in id order (every n-th one with ``limit``)."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    if limit is not None and limit < len(ids):
        step = len(ids) / limit
        ids = [ids[int(i * step)] for i in range(limit)]
    langs = {}
    if (folder / "manifest.csv").is_file():
        with (folder / "manifest.csv").open(encoding="utf-8", newline="") as handle:
            langs = {row["id"]: row.get("html_lang") or "" for row in csv.DictReader(handle)}
    pages = []
    for page_id in ids:
        raw = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, truth[page_id].get("url", ""), _decode_html(raw),
                          truth[page_id]["articleBody"], langs.get(page_id, "")))
    return pages


def _decode_html(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        return str(best) if best is not None else raw.decode("utf-8", errors="replace")


#: Elements whose text a reader never sees.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title", "svg",
                     "iframe", "object", "canvas", "select", "option", "button"})
#: Elements that start a new line when a browser lays them out (a select-all copy keeps it).
_BLOCKS = frozenset("""
address article aside blockquote dd details dialog div dl dt fieldset figcaption figure footer
form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary table tbody thead
tfoot tr ul caption center menu
""".split())


def visible_text(html: str) -> str:
    """The page's visible text as a select-all copy in a browser gives it (``innerText``):
    block elements on lines of their own, a blank line around paragraphs, table cells
    separated by tabs, scripts, styles and form controls left out."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    out: list[str] = []
    breaks = 0  # line breaks owed before the next text (block boundaries collapse: max)

    def text(value: str | None) -> None:
        nonlocal breaks
        if not value or not value.strip(" \t\n\r\f\u00a0"):
            if value and out and breaks == 0:
                out.append(" ")
            return
        if breaks and out:
            out.append("\n" * breaks)
        breaks = 0
        out.append(value)

    def boundary(tag: str) -> None:
        nonlocal breaks
        breaks = max(breaks, 2 if tag == "p" else 1)

    skipping = None  # the hidden element being skipped
    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if skipping is not None:
            if event == "end" and element is skipping:
                skipping = None
                text(element.tail)
            continue
        if event == "start":
            if tag in _HIDDEN or element.get("hidden") is not None or "display:none" in (
                    element.get("style") or "").replace(" ", ""):
                skipping = element
            elif tag in _BLOCKS or tag == "br":
                boundary(tag)
            elif tag in ("td", "th"):
                text("\t")
            if skipping is None and tag:
                text(element.text)
        else:
            if tag in _BLOCKS:
                boundary(tag)
            text(element.tail)
    lines = [re.sub(r"[ \t\u00a0\r\f\v]+", " ", line).strip()
             for line in "".join(out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
