"""Where the body of a plain text lies: a small line model, shipped as data.

A page's visible text saved as plain text is its body surrounded by menus, bylines, captions,
related links, comments and footers. Page furniture comes in runs at the edges, so the model
looks for one region, the body, and everything before or after it is furniture:

1. every line gets general features of its shape (``LINE_FEATURES``: length, stop-word
   share, sentence punctuation, capitalisation, interface words such as "share" or "menu",
   link, date, time and byline shapes, words glued together, repetition within the text,
   how much of its vocabulary the text's prose lines share, the run of short lines it
   belongs to) and the averages of some of them over the 1, 3 and 8 lines before and after
   it;
2. three logistic regressions score each line: inside the body region (``line``), the
   region's first line (``start``), the first line after it (``end``);
3. the region is the run of lines that maximises the sum of its lines' scores (plus
   ``region_bias`` each) and of its start and end scores: a body paragraph between two runs
   of short lines is still body, a run of short lines inside the body (a list, a table) is
   kept when prose follows it.

The weights were fitted by ``python -m newsdesk.evaluation.layout_model`` on the English
pages of the scrapinghub article-extraction benchmark (``../shared/eval``), lines weighted by
the entity mentions they carry; the file records the cross-validated (by site) and the
in-sample figures. Nothing here is specific to a site or to the sample corpus.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from newsdesk.clean import Line

MODEL_FILE = Path(__file__).with_name("models") / "layout.json"

#: Words of web page interfaces (menus, sharing, subscriptions, galleries, comments):
#: general vocabulary of the web, not phrases of any site.
INTERFACE_WORDS = frozenset("""
share shares shared comment comments reply replies subscribe subscribed subscription
newsletter newsletters sign login log register follow followers like likes tweet email print
menu search home contact privacy terms cookie cookies policy advertise advertisement
advertising sponsored read more related recommended popular trending latest watch video videos
photo photos image images gallery credit caption close next previous back top skip download
app apps click tap here view show hide load loading posted updated published rss facebook
twitter instagram linkedin whatsapp pinterest reddit youtube copyright rights reserved about
us careers jobs help faq account profile settings notifications message board discuss forum
join member members free trial offer continue story stories topics sections section more news
""".split())

LINE_FEATURES: tuple[str, ...] = (
    "log_words", "words_le2", "words_le5", "words_ge15", "words_ge30", "sentence_end",
    "colon_end", "ellipsis_end", "inner_sentences", "stop_words", "capitalised", "lowercase",
    "all_caps", "interface_words", "digits", "non_letters", "comma", "time_of_day", "date",
    "link", "byline", "copyright", "repeated_in_text", "separator", "own_paragraph",
    "after_colon", "starts_with_digit", "punctuation_only", "body_vocabulary", "run_length",
    "run_between_prose", "run_commas", "prose", "no_content_words", "glued_words",
)
#: The line features averaged over the lines before and after each line (and ``prose``).
WINDOW_FEATURES: tuple[str, ...] = (
    "log_words", "words_le2", "words_le5", "words_ge15", "sentence_end", "stop_words",
    "capitalised", "lowercase", "interface_words", "non_letters", "comma", "body_vocabulary",
    "prose",
)
WINDOWS = (1, 3, 8)
FEATURES: tuple[str, ...] = (
    *LINE_FEATURES,
    *(f"{name}_{side}{k}" for k in WINDOWS for side in ("before", "after")
      for name in WINDOW_FEATURES),
    "prose_before_share", "prose_after_share",
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?")
_SENTENCE_END = re.compile(r"[.!?…;\"'”’)\]。．！？」』]$")
_INNER_SENTENCE = re.compile(r"[.!?][\"”’)]?\s+[A-Z“\"]")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?(am|pm|a\.m\.|p\.m\.)(?!\w)|\bago\b", re.I)
_MONTHS = (r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|"
           r"sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)")
_DATE = re.compile(rf"\b{_MONTHS}\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTHS}\b|"
                   r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b", re.I)
_LINK = re.compile(r"https?://|www\.|\S+@\S+\.\w+|(^|\s)@\w+|\.(com|org|net|co\.uk)\b", re.I)
_BYLINE = re.compile(r"^(by|written by|posted by|author:?)\s+\S", re.I)
_COPYRIGHT = re.compile(r"©|\(c\)|copyright|all rights reserved", re.I)
_SEPARATOR_START = ("•", "|", "·", "»", ">")
#: A word glued to the next one ("FinaleFord"): a teaser's title and summary in one line.
_GLUED = re.compile(r"[a-z]{3}[A-Z]")
#: A prose line: a sentence of some length.
PROSE_WORDS = 12


def _stop_words() -> frozenset[str]:
    from newsdesk.quality import _stop_words as lists

    return lists().get("en", frozenset())


def line_features(lines: Sequence[Line], text: str) -> np.ndarray:
    """The ``LINE_FEATURES`` of each line (a row each)."""
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(LINE_FEATURES)))
    stop = _stop_words()
    words = [_WORD.findall(line.text) for line in lines]
    lowered = [[w.lower() for w in ws] for ws in words]
    repeats = Counter(" ".join(ws) for ws in lowered)
    rows = []
    for i, line in enumerate(lines):
        t, ws, lower = line.text, words[i], lowered[i]
        nw = len(ws)
        alpha = [w for w in ws if w[0].isalpha()]
        initials = [w[0] for w in alpha]
        longer = [w[0] for w in alpha if len(w) > 3]
        gap_before = i == 0 or text.count("\n", lines[i - 1].end, line.start) > 1
        gap_after = i == n - 1 or text.count("\n", line.end, lines[i + 1].start) > 1
        rows.append([
            math.log1p(nw), nw <= 2, nw <= 5, nw >= 15, nw >= 30,
            bool(_SENTENCE_END.search(t)), t.endswith(":"), t.endswith(("...", "…")),
            min(len(_INNER_SENTENCE.findall(t)), 5) / 5,
            sum(map(stop.__contains__, lower)) / max(1, nw),
            sum(map(str.isupper, longer)) / max(1, len(longer)),
            sum(map(str.islower, initials)) / max(1, len(alpha)),
            sum(1 for w in alpha if len(w) > 1 and w.isupper()) / max(1, len(alpha)),
            sum(map(INTERFACE_WORDS.__contains__, lower)) / max(1, nw),
            sum(map(str.isdigit, t)) / len(t),
            1 - sum(map(str.isalpha, t)) / len(t),
            "," in t, bool(_TIME.search(t)), bool(_DATE.search(t)), bool(_LINK.search(t)),
            bool(_BYLINE.match(t)), bool(_COPYRIGHT.search(t)),
            repeats[" ".join(lower)] > 1,
            " | " in t or t.startswith(_SEPARATOR_START), gap_before and gap_after,
            i > 0 and lines[i - 1].text.endswith(":"), t[:1].isdigit(), nw == 0,
        ])
    base = np.array(rows, dtype=float)
    prose = (base[:, 0] >= math.log1p(PROSE_WORDS)) & (base[:, 5] > 0)
    glued = np.array([min(len(_GLUED.findall(line.text)), 3) / 3 for line in lines])
    return np.hstack([base, _text_features(words, prose, base[:, 16], stop), glued[:, None]])


def _text_features(words: list[list[str]], prose: np.ndarray, commas: np.ndarray,
                   stop: frozenset[str]) -> np.ndarray:
    """What a line shares with the rest of the text: the share of its content words that
    the prose lines use, and the run of non-prose lines it belongs to (its length, whether
    prose lies on both sides, the share of its lines with a comma)."""
    n = len(words)
    content = [{w.lower() for w in ws if len(w) > 2} - stop for ws in words]
    vocabulary = Counter(w for i in range(n) if prose[i] for w in content[i])
    shared = np.zeros(n)
    for i, own in enumerate(content):
        if own:
            shared[i] = sum(vocabulary[w] > prose[i] for w in own) / len(own)
    run_length, between, run_commas = np.zeros(n), np.zeros(n), np.zeros(n)
    i = 0
    while i < n:
        if prose[i]:
            i += 1
            continue
        j = i
        while j < n and not prose[j]:
            j += 1
        run_length[i:j] = math.log1p(j - i)
        between[i:j] = float(i > 0 and j < n)
        run_commas[i:j] = commas[i:j].mean()
        i = j
    empty = np.array([not c for c in content], dtype=float)
    return np.stack([shared, run_length, between, run_commas, prose.astype(float), empty], 1)


def features(lines: Sequence[Line], text: str) -> np.ndarray:
    """All ``FEATURES`` of each line: its own, and the averages of ``WINDOW_FEATURES`` over
    the lines before and after it, and the share of the text's prose before and after it."""
    base = line_features(lines, text)
    n = len(base)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    picked = base[:, [LINE_FEATURES.index(f) for f in WINDOW_FEATURES]]
    sums = np.vstack([np.zeros(picked.shape[1]), np.cumsum(picked, axis=0)])
    index = np.arange(n)
    columns = [base]
    for k in WINDOWS:
        low, high = np.maximum(0, index - k), np.minimum(n, index + k)
        columns.append((sums[index] - sums[low]) / np.maximum(1, index - low)[:, None])
        columns.append((sums[high] - sums[index]) / np.maximum(1, high - index)[:, None])
    prose = base[:, LINE_FEATURES.index("prose")]
    seen = np.cumsum(prose)
    total = max(1.0, seen[-1])
    columns.append(np.stack([(seen - prose) / total, (seen[-1] - seen + prose) / total], 1))
    return np.hstack(columns)


@dataclass(frozen=True)
class Model:
    """The fitted weights (``FEATURES`` order, then the intercept) and the decoding."""

    line: np.ndarray
    start: np.ndarray
    end: np.ndarray
    end_at_last: float  # the end score when the body runs to the last line
    region_bias: float
    start_weight: float
    end_weight: float
    about: dict

    @classmethod
    def from_json(cls, data: dict) -> Model:
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{MODEL_FILE}: its features are not this code's; train it "
                             "again (python -m newsdesk.evaluation.layout_model)")
        heads = {k: np.array(data["heads"][k], dtype=float) for k in ("line", "start", "end")}
        decode = data["decode"]
        return cls(heads["line"], heads["start"], heads["end"], float(data["end_at_last"]),
                   float(decode["region_bias"]), float(decode["start_weight"]),
                   float(decode["end_weight"]), data.get("about", {}))

    def to_json(self) -> dict:
        return {"features": list(FEATURES),
                "heads": {k: [round(float(x), 6) for x in getattr(self, k)]
                          for k in ("line", "start", "end")},
                "end_at_last": round(self.end_at_last, 6),
                "decode": {"region_bias": self.region_bias, "start_weight": self.start_weight,
                           "end_weight": self.end_weight},
                "about": self.about}


@functools.lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> Model:
    return Model.from_json(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Region:
    """The body region: lines ``first`` to ``last`` (inclusive), and each line's score."""

    first: int
    last: int
    scores: np.ndarray


def scores(model: Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The line, start and end scores (log-odds) of lines with features ``x``; the end
    scores have one more entry, for a body that runs to the last line."""
    design = np.hstack([x, np.ones((len(x), 1))])
    return (design @ model.line, design @ model.start,
            np.append(design @ model.end, model.end_at_last))


def best_region(line: np.ndarray, start: np.ndarray, end: np.ndarray, *, bias: float,
                start_weight: float, end_weight: float) -> tuple[int, int]:
    """The run of lines ``first..last`` maximising the sum of ``line + bias`` over it plus
    ``start_weight * start[first] + end_weight * end[last + 1]`` (one pass)."""
    totals = np.concatenate([[0.0], np.cumsum(line + bias)])
    best, found = -math.inf, (0, len(line) - 1)
    open_best, open_at = -math.inf, 0
    for last in range(len(line)):
        here = start_weight * start[last] - totals[last]
        if here > open_best:
            open_best, open_at = here, last
        value = open_best + totals[last + 1] + end_weight * end[last + 1]
        if value > best:
            best, found = value, (open_at, last)
    return found


def body_region(lines: Sequence[Line], text: str, *, model: Model | None = None) -> Region:
    """Where the body of ``text`` (split into ``lines``) lies, by the line model."""
    model = model or load_model()
    line, start, end = scores(model, features(lines, text))
    first, last = best_region(line, start, end, bias=model.region_bias,
                              start_weight=model.start_weight, end_weight=model.end_weight)
    return Region(first, last, line)
