"""Quotes measured against our hand-made gold list of the sample (tests/gold/quotes.yml).

Prints recall and speaker accuracy and asserts: at least 90% of the sample's quotes found
with the right speaker, and no quote given to the wrong person.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from newsdesk.store import Store

pytestmark = pytest.mark.slow
GOLD = yaml.safe_load((Path(__file__).parent / "gold" / "quotes.yml").read_text("utf-8"))
_WORD = re.compile(r"[a-z]{4,}")


def _gold_spans(texts: dict[str, str]) -> list[dict]:
    spans = []
    for article_id, quotes in GOLD.items():
        for q in quotes:
            start = texts[article_id].find(q["quote"])
            assert start >= 0, (article_id, q["quote"])
            spans.append({**q, "article_id": article_id, "start": start,
                          "end": start + len(q["quote"])})
    return spans


def _overlap(a_start, a_end, b_start, b_end) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def match_quotes(gold: list[dict], found: pd.DataFrame) -> list[tuple[dict, dict | None]]:
    """Pair each gold quote with the best-overlapping found quote of the same kind: the
    overlap covers 60% of the gold span and 40% of the found one. Each found quote is used
    once."""
    used: set[int] = set()
    pairs = []
    for g in gold:
        same = found[(found["article_id"] == g["article_id"]) & (found["kind"] == g["kind"])]
        best, best_overlap = None, 0
        for index, f in same.iterrows():
            if index in used:
                continue
            o = _overlap(g["start"], g["end"], f["start"], f["end"])
            if (o >= 0.6 * (g["end"] - g["start"]) and o >= 0.4 * (f["end"] - f["start"])
                    and o > best_overlap):
                best, best_overlap = index, o
        if best is not None:
            used.add(best)
        pairs.append((g, None if best is None else found.loc[best].to_dict()))
    return pairs


def speaker_verdict(g: dict, f: dict) -> str:
    """right, anonymous-kept (both anonymous), unknown (no speaker found) or wrong."""
    named = {g["speaker"], *(g.get("speakers") or [])}
    speaker = f["speaker"] if isinstance(f["speaker"], str) else ""
    if not g.get("anonymous"):
        if speaker in named or (speaker and set(speaker.split(" and ")) <= named):
            return "right"
        return "unknown" if pd.isna(f["speaker_entity_id"]) else "wrong"
    if not pd.isna(f["speaker_entity_id"]):
        return "wrong"
    shared = set(_WORD.findall(g["speaker"].lower())) & set(
        _WORD.findall(speaker.lower()))
    return "right" if shared else "unknown"


@pytest.fixture(scope="module")
def result(sample_db):
    with Store(sample_db, read_only=True) as store:
        texts = dict(store.query("SELECT article_id, text FROM articles").values.tolist())
        found = store.table("quotes")
    gold = _gold_spans(texts)
    return gold, found, match_quotes(gold, found)


def test_gold_quotes_recall_and_speaker_accuracy(result, capsys):
    gold, found, pairs = result
    verdicts = [speaker_verdict(g, f) if f else "missed" for g, f in pairs]
    n = len(gold)
    found_n = sum(v != "missed" for v in verdicts)
    right = verdicts.count("right")
    matched_ids = {(f["article_id"], f["start"]) for _, f in pairs if f}
    extra = found[[(a, s) not in matched_ids for a, s in zip(found["article_id"],
                                                              found["start"], strict=True)]]
    with capsys.disabled():
        print(f"\nquotes in gold: {n}; found: {found_n} ({found_n / n:.0%}); with the right "
              f"speaker: {right} ({right / n:.0%}); speaker accuracy on found: "
              f"{right / max(found_n, 1):.0%}; wrong person: {verdicts.count('wrong')}; "
              f"extra (not in gold): {len(extra)}")
        for (g, f), v in zip(pairs, verdicts, strict=True):
            if v != "right":
                got = f["speaker"] if f else "-"
                print(f"  {v:<8} {g['article_id'][:3]} {g['kind']:<8} gold={g['speaker']!r} "
                      f"got={got!r}: {g['quote'][:60]!r}")
        for f in extra.itertuples(index=False):
            print(f"  extra    {f.article_id[:3]} {f.kind:<8} {f.speaker!r}: {f.quote[:60]!r}")
    assert verdicts.count("wrong") == 0
    assert right / n >= 0.9


def test_gold_quotes_spans_trace_to_text(result, sample_db):
    _, found, _ = result
    with Store(sample_db, read_only=True) as store:
        texts = dict(store.query("SELECT article_id, text FROM articles").values.tolist())
    for q in found.itertuples(index=False):
        assert texts[q.article_id][q.start : q.end] == q.quote


def test_gold_quotes_anonymous_sources_never_named(result):
    gold, _, pairs = result
    for g, f in pairs:
        if f and g.get("anonymous"):
            assert pd.isna(f["speaker_entity_id"]), (g["quote"], f["speaker"])
