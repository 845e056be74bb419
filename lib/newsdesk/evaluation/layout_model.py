"""Fit the line model of ``newsdesk.layout`` on the development pages and measure it.

    python -m newsdesk.evaluation.layout_model [--data DIR] [--out FILE] [--folds 5]

The English pages of the scrapinghub benchmark, as plain text (their visible text), with
``articleBody`` saying which lines are body (as ``make eval TASK=furniture`` labels them).
The body region of a page runs from its first to its last body line of five words or more;
three logistic regressions (L2, on standardised features) learn whether a line lies in it,
starts it, or is the first line after it; lines are weighted by the entity mentions they
carry (the bare model's, as the furniture task counts them), since a line full of names
costs more when it is misjudged.

It prints, and records in the model file, the furniture figures of ``clean_text`` with the
fitted model on the pages it was fitted on (in-sample) and with cross-validation by site
(every page scored by a model fitted without any page of its site): the held-out figure is
what to expect on sites the model has never seen.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from newsdesk.clean import clean_text, split_lines
from newsdesk.config import eval_dir, model_name
from newsdesk.layout import MODEL_FILE, Model, features

#: How the region is chosen from the scores (see ``layout.best_region``), fixed beforehand
#: from a cross-validated comparison: each line in the region counts ``region_bias`` extra
#: (keep lists and tables inside the body), start and end scores count three times.
DECODE = {"region_bias": 2.0, "start_weight": 3.0, "end_weight": 3.0}
#: A body line this long (in words) anchors the region's first and last lines.
ANCHOR_WORDS = 5
L2 = 1.0


@dataclass(frozen=True)
class Example:
    """One page for training: its site, features, labels and line weights."""

    site: str
    x: np.ndarray
    inside: np.ndarray  # 1 for lines from the first to the last anchor body line
    start: np.ndarray  # 1 for the region's first line
    end: np.ndarray  # 1 for the first line after the region (n + 1 entries: the last is
    weight: np.ndarray  # "the region runs to the last line")


def page_example(site: str, text: str, body: Sequence[tuple[int, int]],
                 mentions: Sequence[tuple[int, int, str]]) -> Example:
    """The training example of a page's text, its body lines' spans and its mentions."""
    lines = split_lines(text)
    n = len(lines)
    is_body = [any(s <= ln.start and ln.end <= e for s, e in body) for ln in lines]
    anchors = [i for i, ln in enumerate(lines) if is_body[i] and ln.words >= ANCHOR_WORDS]
    inside, start, end = np.zeros(n), np.zeros(n), np.zeros(n + 1)
    if anchors:
        inside[anchors[0]:anchors[-1] + 1] = 1
        start[anchors[0]] = 1
        end[anchors[-1] + 1] = 1
    weight = np.array([1 + sum(ln.start <= m[0] < ln.end for m in mentions) for ln in lines],
                      dtype=float)
    return Example(site, features(lines, text), inside, start, end, weight)


def fit_logistic(x: np.ndarray, y: np.ndarray, *, weight: np.ndarray | None = None,
                 l2: float = L2, iterations: int = 100) -> np.ndarray:
    """Weighted L2 logistic regression by Newton's method on standardised features; the
    weights returned apply to the raw features (the last one is the intercept)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.ones(len(x)) if weight is None else weight
    beta = np.zeros(z.shape[1])
    penalty = l2 * np.eye(z.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        gradient = z.T @ (w * (p - y)) + penalty @ beta
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-7:
            break
    raw = beta[:-1] / scale
    return np.append(raw, beta[-1] - raw @ mean)


def fit(examples: Sequence[Example], *, about: dict | None = None) -> Model:
    """The three heads fitted on ``examples``, with the fixed ``DECODE``."""
    x = np.vstack([e.x for e in examples])
    line = fit_logistic(x, np.concatenate([e.inside for e in examples]),
                        weight=np.concatenate([e.weight for e in examples]))
    start = fit_logistic(x, np.concatenate([e.start for e in examples]))
    end = fit_logistic(x, np.concatenate([e.end[:-1] for e in examples]))
    at_last = float(np.mean([e.end[-1] for e in examples]))
    return Model(line, start, end, math.log(max(at_last, 1e-3)), about=about or {},
                 **DECODE)


def cleaned_cuts(text: str, model: Model) -> list[tuple[int, int]]:
    """What ``newsdesk ingest`` takes out of ``text`` with ``model`` (everything, when the
    article would not be counted: no body left, or not in English)."""
    from newsdesk.corpus import Article
    from newsdesk.ingest import screen

    cleaned = clean_text(text, model=model)
    status, _ = screen(Article(article_id="page", path="page.txt", text=text), cleaned)
    if status != "ok":
        return [(0, len(text))]
    return [(r.start, r.end) for r in cleaned.removed]


def site_folds(sites: Sequence[str], folds: int, *, seed: int = 0) -> list[set[str]]:
    """The sites dealt at random into ``folds`` groups."""
    unique = sorted(set(sites))
    random.Random(seed).shuffle(unique)
    return [set(unique[i::folds]) for i in range(folds)]


def main(argv: list[str] | None = None) -> int:
    from newsdesk.evaluation.tasks import Workspace, furniture_pages, score_furniture

    parser = argparse.ArgumentParser(prog="python -m newsdesk.evaluation.layout_model",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/newsdesk-layout-model"))
    args = parser.parse_args(argv)
    data = (args.data or eval_dir()).resolve()
    ws = Workspace(data, args.work, model=model_name(), bare_processes=2)
    print("layout model: reading pages and the bare model's mentions ...", file=sys.stderr)
    ids, pages, refs = furniture_pages(ws)
    by_id = {p.page_id: p for p in ws.pages}
    sites = [urlsplit(by_id[i].url).hostname or i for i in ids]
    examples = [page_example(site, page.text, page.body, [*b, *f])
                for site, page, (b, f) in zip(sites, pages, refs, strict=True)]
    held_out: list[list[tuple[int, int]]] = [[] for _ in pages]
    for fold in site_folds(sites, args.folds):
        model = fit([e for e in examples if e.site not in fold])
        for i, page in enumerate(pages):
            if sites[i] in fold:
                held_out[i] = cleaned_cuts(page.text, model)
    model = fit(examples)
    in_sample = score_furniture(pages, refs, [cleaned_cuts(p.text, model) for p in pages])
    cross = score_furniture(pages, refs, held_out)
    about = {
        "trained_on": f"{len(pages)} English pages of {len(set(sites))} sites of the "
                      "scrapinghub article-extraction benchmark, as plain text",
        "in_sample": {k: round(v, 3) for k, v in in_sample.items()},
        f"cross_validated_by_site_{args.folds}_folds": {k: round(v, 3)
                                                        for k, v in cross.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(replace(model, about=about).to_json(), indent=1) + "\n",
                        encoding="utf-8")
    print(json.dumps(about, indent=1))
    print(f"layout model: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
