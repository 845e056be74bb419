"""The line model that finds the body region of a plain text (``layout``), as ``clean_text``
uses it, and its training (``evaluation.layout_model``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from newsdesk.clean import clean_text, split_lines
from newsdesk.evaluation import layout_model
from newsdesk.layout import FEATURES, MODEL_FILE, Model, best_region, features, load_model

NAV = ["Home", "World", "Politics", "Business", "Tech", "Sport", "Culture", "Opinion",
       "Video", "Podcasts", "Newsletters", "Subscribe", "Sign in", "Search"]
HEAD = ["Port reopens after three days of storm damage",
        "By Ana Ruiz", "March 5, 2024 8:00 AM", "Share", "Tweet", "Email"]
BODY = [
    "The port of Valencia reopened on Tuesday after a storm closed it for three days, the "
    "harbour authority said, and the first container ships were unloaded by the afternoon.",
    "Mayor Maria Catala thanked the crews who cleared the quays overnight, and said the city "
    "would ask the regional government for help with the cost of the repairs.",
    "The ferries that were delayed by the storm will sail on this timetable:",
    "Palma, 9:00, Balearia",
    "Ibiza, 11:30, Trasmed",
    "Mahon, 15:00, Balearia",
    "Shipping agents said the backlog of about forty vessels would take a week to clear, and "
    "warned that fresh produce bound for northern Europe would be delayed further.",
    "Exporters in Murcia said some lorries had already been sent to the port of Cartagena "
    "instead, where the storm did less damage to the container terminal.",
]
TAIL = ["Read on:", "Latest related coverage", "Storm damage in Alicante tops estimates",
        "Kevin Durant joins charity match in Madrid", "Giorgio Armani opens a store in Seville",
        "Discuss this story on the Courier message board",
        "Comments (3), Blocked Comments (0):", "harbourfan77", "Jan 09 2024 07:52 PM PST |",
        "Glad to see the ships back, what a week it has been for everyone in the city.",
        "Latest Comments", "About us", "Contact", "Privacy policy", "Terms of use",
        "© 2024 The Courier. All rights reserved."]


def web_text() -> str:
    """A page's visible text as a select-all copy gives it: menus and sharing prompts one a
    line, paragraphs between blank lines."""
    return ("\n".join(NAV + HEAD) + "\n\n" + "\n\n".join(BODY[:3]) + "\n" + "\n".join(
        BODY[3:6]) + "\n\n" + "\n\n".join(BODY[6:]) + "\n\n" + "\n".join(TAIL) + "\n")


def test_layout_model_file_loads_with_this_codes_features():
    model = load_model()
    assert model.line.shape == model.start.shape == model.end.shape == (len(FEATURES) + 1,)
    about = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["about"]
    held_out = next(v for k, v in about.items() if k.startswith("cross_validated_by_site"))
    assert set(held_out) >= {"body_mentions_kept", "furniture_counted"}
    assert about["in_sample"]["body_mentions_kept"] > 0.9


def test_layout_model_with_other_features_refused(tmp_path):
    data = load_model().to_json()
    data["features"] = data["features"][:-1]
    with pytest.raises(ValueError, match="train it again"):
        Model.from_json(data)


@pytest.mark.parametrize(("line", "expected"), [
    ([-3, -3, 2, 2, -1, 2, -3, -3], (2, 5)),  # a weak line between strong ones is kept
    ([-3, 2, 2, -3, -3, -3, -3, 2], (1, 2)),  # a long weak run splits: the larger part
    ([1, 1, 1], (0, 2)),
])
def test_layout_best_region_maximises_the_sum(line, expected):
    scores = np.array(line, dtype=float)
    flat = np.zeros(len(line) + 1)
    assert best_region(scores, flat[:-1], flat, bias=0.0, start_weight=1.0,
                       end_weight=1.0) == expected


def test_layout_boundary_scores_move_the_edges():
    line = np.array([1.0, 1.0, 1.0, 1.0])
    start = np.array([0.0, 5.0, 0.0, 0.0])
    end = np.array([0.0, 0.0, 0.0, 5.0, 0.0])
    assert best_region(line, start, end, bias=0.0, start_weight=1.0, end_weight=1.0) == (1, 2)


def test_layout_features_one_row_per_line_and_finite():
    text = web_text()
    x = features(split_lines(text), text)
    assert x.shape == (len(split_lines(text)), len(FEATURES))
    assert np.isfinite(x).all()
    assert features([], "").shape == (0, len(FEATURES))


def test_layout_web_page_text_body_kept_furniture_removed_with_reasons():
    text = web_text()
    cleaned = clean_text(text)
    reasons = {r.text: r.reason for r in cleaned.removed}
    kept = "\n".join(text[s.start : s.end] for s in cleaned.segments)
    for line in BODY:  # the paragraphs, the list between them
        assert line in kept, line
    for line in NAV + HEAD[1:]:
        assert reasons[line] in ("page furniture: before the body",
                                 "share/subscribe prompt"), line
    for line in TAIL[:-1]:  # related links, a comment's user, time and text, cues
        assert reasons[line].startswith("page furniture"), line
    assert all(text[r.start : r.end] == r.text for r in cleaned.removed)


def test_layout_title_kept_when_the_body_shares_its_words():
    text = (HEAD[0] + "\n\n" + "\n".join(NAV + HEAD[1:]) + "\n\n" + "\n\n".join(BODY)
            + "\n\n" + "\n".join(TAIL) + "\n")
    cleaned = clean_text(text)
    assert cleaned.title == HEAD[0] and cleaned.title_basis == "heading"
    assert {r.text for r in cleaned.removed} >= set(HEAD[1:] + NAV)
    text = "Menu\n\n" + web_text()  # a heading-shaped first line the body never mentions
    cleaned = clean_text(text)
    assert cleaned.title_basis == "lead" and cleaned.title.startswith("The port of Valencia")
    assert ("Menu", "page furniture: before the body") in {
        (r.text, r.reason) for r in cleaned.removed}


@pytest.mark.parametrize("text", [
    "Short note\n\nOne line.\n\nTwo lines.\n",  # too few lines for runs at both edges
    "\n".join(NAV) + "\n",  # no prose at all
])
def test_layout_left_out_without_enough_evidence(text):
    assert clean_text(text).removed == () or all(
        not r.reason.endswith("the body") for r in clean_text(text).removed)


def test_layout_off_for_extracted_text():
    text = web_text()
    assert not any(r.reason.endswith("the body") for r in clean_text(text, layout=False).removed)


def test_layout_model_training_learns_the_region():
    pages = []
    text = web_text()
    start, end = text.index(BODY[0]), text.index(BODY[-1]) + len(BODY[-1])
    for k in range(6):  # pages of one made-up shape, told apart by their site
        page = text.replace("Tuesday", f"Tuesday {k:02d}")
        shift = len(f" {k:02d}")
        body = [(m.start, m.end) for m in split_lines(page)
                if start <= m.start and m.end <= end + shift]
        pages.append(layout_model.page_example(f"site{k}.example", page, body, []))
    model = layout_model.fit(pages)
    text = web_text()
    cleaned = clean_text(text, model=model)
    kept = "\n".join(text[s.start : s.end] for s in cleaned.segments)
    assert all(line in kept for line in BODY)
    assert "Kevin Durant" not in kept and "Subscribe" not in kept
    assert layout_model.site_folds(["a", "b", "a", "c"], 2) == layout_model.site_folds(
        ["c", "a", "b"], 2)  # sites, not pages, are dealt into folds


def test_layout_fit_logistic_weights_apply_to_raw_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2)) * [1.0, 50.0] + [0.0, 100.0]
    y = (x[:, 0] + (x[:, 1] - 100.0) / 50.0 > 0).astype(float)
    beta = layout_model.fit_logistic(x, y, l2=0.01)
    predicted = (np.hstack([x, np.ones((400, 1))]) @ beta) > 0
    assert (predicted == y.astype(bool)).mean() > 0.97
