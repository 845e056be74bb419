"""Screening of article texts before and after the NLP: language and (near-)duplicates.

* ``detect_language``: a cheap, offline stop-word-ratio detector over the stop word lists that
  ship inside the spaCy package (read as files, so spaCy itself is not imported), plus the
  script of the letters for languages written without Latin letters.
* ``shingles`` / ``minhash`` / ``first_similar``: exact copies (same content hash) and
  near-duplicate syndicated copies (Jaccard similarity of the word 5-gram sets of the cleaned
  bodies ≥ a threshold), decided deterministically: the earliest ``article_id`` is the
  original. The candidate pairs (signatures sharing one of ``BANDS`` bands) are joined in
  DuckDB (``Store.find_copies``), so a corpus of any size is screened in bounded memory.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Languages whose spaCy stop word lists are compared (code -> name).
LANGUAGES: dict[str, str] = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "da": "Danish", "nb": "Norwegian",
    "fi": "Finnish", "pl": "Polish", "cs": "Czech", "ro": "Romanian", "hu": "Hungarian",
    "tr": "Turkish", "id": "Indonesian", "ru": "Russian", "uk": "Ukrainian", "bg": "Bulgarian",
    "el": "Greek", "ar": "Arabic", "he": "Hebrew", "fa": "Persian", "hi": "Hindi",
}
#: Languages not written in Latin letters.
NON_LATIN = frozenset({"ru", "uk", "bg", "el", "ar", "he", "fa", "hi"})
#: Below this many words (or letters, for scripts without spaces) nothing is decided.
MIN_WORDS = 20
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, or "und" when only the script is known
    name: str
    score: float  # share of words that are the language's stop words (1.0 for a script)

    def __str__(self) -> str:
        return f"{self.name} ('{self.code}', {self.score:.0%} of words are its stop words)" if (
            self.code != "und") else self.name


@functools.lru_cache(maxsize=1)
def _stop_words() -> dict[str, frozenset[str]]:
    """The stop word lists of ``LANGUAGES`` as shipped in spaCy (no spaCy import)."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return {}
    root = Path(next(iter(spec.submodule_search_locations))) / "lang"
    lists: dict[str, frozenset[str]] = {}
    for code in LANGUAGES:
        path = root / code / "stop_words.py"
        namespace: dict = {}
        try:
            exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
        except Exception:  # a list that is missing or needs more than itself: left out
            continue
        words = namespace.get("STOP_WORDS")
        if words:
            lists[code] = frozenset(w.lower() for w in words)
    return lists


_SCRIPT_NAMES = {
    "CJK": "Chinese or Japanese (CJK script)", "HIRAGANA": "Japanese (Hiragana script)",
    "KATAKANA": "Japanese (Katakana script)", "HANGUL": "Korean (Hangul script)",
}


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


#: Characters of a text that language detection reads.
SAMPLE_CHARS = 4000


def detect_language(text: str) -> Language | None:
    """The language of ``text``, or None when there is too little text to say.

    Latin-script text: the language whose stop words make up the largest share of its words.
    Text mostly in another script: that script (Cyrillic texts are told apart by stop words).
    """
    text = text[:SAMPLE_CHARS]  # the language of an article shows in its first paragraphs
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    # ASCII letters are Latin: look up the Unicode name of the others only.
    scripts = Counter(_script(c) for c in letters if not c.isascii())
    scripts["LATIN"] += sum(c.isascii() for c in letters)
    script, count = scripts.most_common(1)[0]
    words = [w.lower() for w in _WORD.findall(text)]
    lists = _stop_words()
    if script != "LATIN" and count / len(letters) > 0.5:
        if len(letters) < MIN_WORDS * 3:
            return None
        scored = _scores(words, lists, exclude_latin=True)
        if scored and scored[0][1] >= 0.1:
            code, score = scored[0]
            return Language(code, LANGUAGES[code], score)
        return Language("und", _SCRIPT_NAMES.get(script, f"text in {script.title()} script"),
                        1.0)
    if len(words) < MIN_WORDS:
        return None
    scored = _scores(words, lists)
    if not scored:
        return None
    code, score = scored[0]
    return Language(code, LANGUAGES[code], score)


def _scores(words: Sequence[str], lists: dict[str, frozenset[str]], *,
            exclude_latin: bool = False) -> list[tuple[str, float]]:
    if not words:
        return []
    counts = Counter(words)
    scores = []
    for code, stop in lists.items():
        if exclude_latin and code not in NON_LATIN:
            continue
        hits = sum(n for w, n in counts.items() if w in stop)
        scores.append((code, hits / len(words)))
    return sorted(scores, key=lambda s: (-s[1], s[0]))


def is_foreign(text: str, expected: str = "en") -> Language | None:
    """The detected language when ``text`` is clearly not in ``expected``, else None.

    Cautious: English text with many foreign names stays English; the other language must
    beat the expected one clearly.
    """
    found = detect_language(text)
    if found is None or found.code == expected:
        return None
    if found.code == "und":
        return found
    words = [w.lower() for w in _WORD.findall(text)]
    stop = _stop_words().get(expected, frozenset())
    expected_score = sum(w in stop for w in words) / len(words) if words else 0.0
    if found.score >= 0.15 and found.score - expected_score >= 0.08 and expected_score < 0.25:
        return found
    return None


# -- duplicates --------------------------------------------------------------------------------

SHINGLE_WORDS = 5
NUM_PERM = 64
BANDS = 16  # NUM_PERM / BANDS rows per band: candidates from Jaccard ~0.5 up
MIN_SHINGLES = 20  # shorter bodies are never called near-duplicates
#: A pair whose MinHash estimate is this far below the threshold is not a candidate.
ESTIMATE_SLACK = 0.2
_PRIME = (1 << 31) - 1
_rng = np.random.RandomState(20250402)
_A = _rng.randint(1, _PRIME, size=NUM_PERM).astype(np.uint64)
_B = _rng.randint(0, _PRIME, size=NUM_PERM).astype(np.uint64)
_TOKEN = re.compile(r"\w+")


def shingles(body: str, k: int = SHINGLE_WORDS) -> frozenset[int]:
    """The set of word ``k``-grams of ``body`` (lower-cased words), as stable 32-bit hashes."""
    words = _TOKEN.findall(body.lower())
    if len(words) < k:
        return frozenset()
    return frozenset(
        zlib.crc32(" ".join(words[i : i + k]).encode("utf-8")) for i in range(len(words) - k + 1)
    )


def minhash(shingle_set: Iterable[int]) -> list[int] | None:
    """A MinHash signature (``NUM_PERM`` ints) of a shingle set; None when it is empty."""
    values = np.fromiter(shingle_set, dtype=np.uint64)
    if values.size == 0:
        return None
    values %= np.uint64(_PRIME)
    hashed = (values[:, None] * _A[None, :] + _B[None, :]) % np.uint64(_PRIME)
    return [int(v) for v in hashed.min(axis=0)]


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Copy:
    """An article found to copy an earlier one."""

    status: str  # duplicate | near_duplicate
    of: str  # the article_id of the original
    similarity: float  # 1.0 for an exact copy, else the Jaccard similarity of the 5-grams


def first_similar(
    article_id: str,
    earlier: Iterable[str],
    shingles_of: Callable[[str], frozenset[int]],
    *,
    threshold: float = 0.8,
) -> Copy | None:
    """The first of the ``earlier`` candidate articles that ``article_id`` is a
    near-duplicate of, confirmed on the exact Jaccard similarity of their shingle sets."""
    for aid in earlier:
        similarity = jaccard(shingles_of(article_id), shingles_of(aid))
        if similarity >= threshold:
            return Copy("near_duplicate", aid, round(similarity, 3))
    return None
