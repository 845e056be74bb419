"""Scores: precision, recall and F1 of span sets, bag-of-words overlap, quote matching and
whether a speaker names an annotated source. Pure functions of their arguments."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    tp: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.predicted + other.predicted,
                   self.gold + other.gold)


def span_prf(predicted: Iterable[tuple], gold: Iterable[tuple]) -> PRF:
    """Exact-match scores of (doc, start, end, label) tuples."""
    p, g = set(predicted), set(gold)
    return PRF(len(p & g), len(p), len(g))


_WORD = re.compile(r"\w+")


def bag_of_words(text: str) -> Counter:
    return Counter(w.lower() for w in _WORD.findall(text))


def bow_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the words of ``predicted`` against ``gold`` (multisets)."""
    p, g = bag_of_words(predicted), bag_of_words(gold)
    score = PRF(sum((p & g).values()), sum(p.values()), sum(g.values()))
    return score.precision, score.recall, score.f1


# -- quotes -------------------------------------------------------------------------------------
#: Characters a quote's bounds may differ by and still count as the same (marks, a period).
SLACK = 3


def within_or_covers(pred: tuple[int, int], gold: tuple[int, int], *, slack: int = SLACK) -> bool:
    """A predicted span that lies within the gold span or covers it (give or take ``slack``
    characters at either end)."""
    (ps, pe), (gs, ge) = pred, gold
    inside = ps >= gs - slack and pe <= ge + slack
    covers = ps <= gs + slack and pe >= ge - slack
    return pe > ps and (inside or covers)


def overlap_share(pred: tuple[int, int], gold: tuple[int, int]) -> float:
    """Overlap over the union of two spans."""
    (ps, pe), (gs, ge) = pred, gold
    inter = max(0, min(pe, ge) - max(ps, gs))
    union = max(pe, ge) - min(ps, gs)
    return inter / union if union else 0.0


def same_quote(pred: tuple[int, int], gold: tuple[int, int]) -> bool:
    """The predicted quote is the annotated content: within it, covering it, or sharing at
    least half of their union (reported clauses differ in where they start)."""
    return within_or_covers(pred, gold) or overlap_share(pred, gold) >= 0.5


QUOTE_MARKS = "\"“”„‟«»"


def is_direct(content: str) -> bool:
    """A content that holds a quotation mark (or the '' of newswire archives)."""
    return any(mark in content for mark in QUOTE_MARKS) or "''" in content


#: Speech-verb cues (folded words of the cue text) that make an attribution reported speech.
SPEECH_CUES = frozenset("""
said say says saying told tell tells telling added adds noted notes wrote writes written
stated states explained explains argued argues announced announces claimed claims insisted
insists warned warns declared declares asserted asserts replied replies responded responds
acknowledged acknowledges admitted admits tweeted tweets posted testified remarked recalled
recalls reported reports suggested suggests according
""".split())


def is_speech_cue(cue: str) -> bool:
    return bool(set(fold(cue).split()) & SPEECH_CUES)


_PRONOUNS = frozenset("""
i me we us you he him she her they them it this that who which one someone somebody some
many others several both all most few
""".split())
_DETERMINERS = frozenset({"the", "a", "an", "his", "her", "their", "its", "our", "my"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
#: Titles and honorifics that can stand before a name (compared folded, without dots).
TITLES = frozenset("""
mr mrs ms miss dr prof sen rep gov gen lt col sgt capt maj adm rev hon pres sec st sir dame
president senator governor secretary representative congressman congresswoman mayor judge
justice general admiral chairman chairwoman speaker leader former vice candidate nominee
chief professor attorney ambassador commissioner sheriff
""".split())


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore")
    return re.sub(r"\s+", " ", re.sub(r"[^\w'\- ]", " ", text.decode().lower())).strip()


def _runs(text: str) -> list[list[str]]:
    """Capitalised word runs of a phrase, titles, suffixes and possessives dropped: "Lee's
    campaign manager Tom Hale" -> [["lee"], ["tom", "hale"]]."""
    runs: list[list[str]] = []
    current: list[str] = []
    for raw in re.findall(r"[\w.'’-]+|[,;:()]", text):
        word = re.sub(r"['’]s?$", "", raw).strip(".-")
        folded = fold(word).replace("'", "")
        if current and folded in _SUFFIXES:
            continue  # "Robert P. Casey Jr.": the surname is Casey, as for the entity
        if word[:1].isupper() and folded and folded not in TITLES:
            current.append(folded)
            if raw.endswith(("'s", "’s", "'", "’")):
                runs.append(current)
                current = []
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def is_named_source_in(source: str, start: int, text: str) -> bool:
    """``is_named_source`` for a source at ``start`` in ``text``: a single word at the start
    of a sentence ("Critics said", "Aides said") is a name only where the text also writes
    it capitalised inside a sentence; there its capital says nothing."""
    if not is_named_source(source):
        return False
    words = source.split()
    before = text[max(0, start - 3) : start]
    if len(words) != 1 or not (start == 0 or re.search(r"(^|[.!?\n][\"”’']?\s*)$", before)):
        return True
    return re.search(r"[a-z,;]\s+" + re.escape(words[0]) + r"\b", text) is not None


def is_named_source(source: str) -> bool:
    """Whether an annotated source is a name (of a person or organization) rather than a
    pronoun or a description: before its first comma, after determiners, its first and last
    words are capitalised and so are at least half of its words ("the Florida senator" and
    "the Heritage Foundation website" are descriptions)."""
    head = re.split(r"[,(]", source, maxsplit=1)[0]
    words = [w for w in re.findall(r"[\w.'’-]+", head) if any(c.isalpha() for c in w)]
    while words and words[0].lower() in _DETERMINERS:
        words.pop(0)
    if not words or words[0].lower() in _PRONOUNS:
        return False
    if not (words[0][:1].isupper() and words[-1][:1].isupper()):
        return False
    return sum(w[:1].isupper() for w in words) / len(words) >= 0.5


def names_source(name: str | None, source: str) -> bool:
    """Whether an entity name names the annotated source: the entity's last word is the last
    word of a capitalised run of the source, and where both give more than one word, the
    entity's first word is one of the run's (titles such as "Rear Admiral" stand before
    it; an initial agrees with its word); or the source is the entity's first name alone
    ("Donald")."""
    if not name:
        return False
    entity = [w for w in fold(name).replace("'", "").split()
              if w not in TITLES and w not in _SUFFIXES]
    if not entity:
        return False
    for run in _runs(source):
        if run[-1] not in (entity[-1], f"{entity[-1]}s"):  # a group: "Republican", "Republicans"
            if len(run) == 1 and len(entity) > 1 and run[0] == entity[0]:
                return True
            continue
        if len(run) > 1 and len(entity) > 1 and not any(
                _same_first(word, entity[0]) for word in run[:-1]):
            continue
        return True
    return False


def _same_first(a: str, b: str) -> bool:
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return a == b
