"""Build benchmark corpora of distinct articles from the sample (never committed).

Each article takes 12-24 sentences drawn from the sample's body sentences (a seeded shuffle),
with a numbered tag in its first line, so every article is distinct in content hash and in
word 5-grams (none is flagged as a copy), and its length and vocabulary stay those of real
news text. A manifest.csv dates the articles over two years (2024-2025, seeded), so charts
over time and the explorer have months and weeks to show.
"""

from __future__ import annotations

import csv
import datetime
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "sample"
FIRST_DAY = datetime.date(2024, 1, 1)
DAYS = 731  # 2024-01-01 .. 2025-12-31


def sample_sentences() -> list[str]:
    """Body sentences of the sample (furniture and headings left out)."""
    from newsdesk.clean import clean_text

    sentences = []
    for path in sorted(SAMPLE.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        cleaned = clean_text(text)
        for seg in cleaned.segments:
            if seg.in_title or seg.heading:
                continue
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", text[seg.start : seg.end])
                          if len(s.split()) >= 6]
    return sentences


def build(target: Path, n: int, *, seed: int = 7) -> Path:
    """Write ``n`` distinct articles into ``target`` (reused when already complete) and
    their manifest.csv (written when missing)."""
    target.mkdir(parents=True, exist_ok=True)
    if len(list(target.glob("*.txt"))) != n:
        write_articles(target, n, seed=seed)
    if not (target / "manifest.csv").exists():
        write_manifest(target, n, seed=seed)
    return target


def write_articles(target: Path, n: int, *, seed: int) -> None:
    pool = sample_sentences()
    rng = random.Random(seed)
    for i in range(n):
        k = rng.randint(12, 24)
        chosen = rng.sample(pool, k)
        paragraphs = [" ".join(chosen[j : j + 3]) for j in range(0, k, 3)]
        head = f"Report {i:06d}: " + " ".join(chosen[0].split()[:8])
        (target / f"bench_{i:06d}.txt").write_text(head + "\n\n" + "\n\n".join(paragraphs)
                                                    + "\n", encoding="utf-8")


def write_manifest(target: Path, n: int, *, seed: int) -> None:
    """A publication day for each article, drawn uniformly from 2024-2025."""
    rng = random.Random(seed + 1)
    with (target / "manifest.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "published", "published_precision"])
        for i in range(n):
            day = FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS))
            writer.writerow([f"bench_{i:06d}.txt", day.isoformat(), "day"])


if __name__ == "__main__":
    build(Path(sys.argv[1]), int(sys.argv[2]))
