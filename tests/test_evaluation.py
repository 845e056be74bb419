"""The accuracy harness (``make eval``) and the regression guard: a fast subset of every task
on the real development sets, with floors just under the figures measured on that subset, so
that no change loses accuracy without a failing test.

The guard needs ``../shared/eval`` (present in CI); in a clone without it, it is skipped with
a message saying so. The figures of the whole sets are in ``benchmarks/accuracy.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.config import eval_dir, model_name
from newsdesk.evaluation import Limits, Workspace, render, run_task, update_markdown
from newsdesk.evaluation import data as ds
from newsdesk.evaluation import scoring as sc

EVAL = eval_dir()
needs_data = pytest.mark.skipif(
    not (EVAL / "README.md").is_file(),
    reason=f"no evaluation data at {EVAL} (../shared/eval): the accuracy guard is skipped",
)
#: The guard's subsets: 300 CoNLL sentences, 60 PolNeAR articles, 40 pages.
GUARD = Limits(conll_sentences=300, polnear_articles=60, pages=40)

#: Floors (at least) and ceilings (at most) for the guard subsets, set just under (over) the
#: figures measured on them; raise them when accuracy improves.
FLOORS: dict[tuple[str, str], float] = {
    ("ner", "newsdesk_micro_f1"): 0.555,
    ("ner", "newsdesk_PER_f1"): 0.75,
    ("quotes", "newsdesk_direct_recall"): 0.955,
    ("quotes", "newsdesk_direct_precision"): 0.935,
    ("quotes", "newsdesk_direct_speaker"): 0.84,
    ("quotes", "newsdesk_reported_recall"): 0.885,
    ("quotes", "newsdesk_reported_speaker"): 0.91,
    ("furniture", "newsdesk_body_mentions_kept"): 0.945,
    ("furniture", "newsdesk_char_precision"): 0.865,
    ("html", "newsdesk_f1"): 0.955,
    ("corpus", "newsdesk_min_surname_share"): 0.465,
    ("corpus", "newsdesk_median_monthly_r"): 0.95,
}
CEILINGS: dict[tuple[str, str], float] = {
    ("furniture", "newsdesk_furniture_counted"): 0.13,
    ("html", "newsdesk_lost"): 0,
    ("corpus", "newsdesk_title_places"): 0,
    ("corpus", "newsdesk_digit_names_top100"): 0,
}


# -- the pieces ---------------------------------------------------------------------------------
def test_evaluation_brat_discontinuous_content_and_links():
    ann = ("T1\tCue 10 14\tsaid\nT2\tContent 20 30;35 40\tx\nT3\tSource 0 5\tSmith\n"
           "E1\tAttribution:T4 Source:T3 Content:T2 Cue:T1\n")
    (attr,) = ds.parse_brat(ann)
    assert attr.content == ((20, 30), (35, 40))
    assert attr.content_hull == (20, 40)
    assert (attr.source_text, attr.cue_text) == ("Smith", "said")


def test_evaluation_conll_spans_index_the_text(tmp_path: Path):
    path = tmp_path / "x.txt"
    path.write_text("-DOCSTART- -X- -X- O\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n"
                    "in IN O O\nBonn NNP B-NP B-LOC\n. . O O\n\nEU NNP B-NP B-ORG\n"
                    "rejects VBZ O O\n", encoding="utf-8")
    (doc,) = ds.conll_documents(path)
    assert [(doc.text[s.start:s.end], s.label) for s in doc.spans] == [
        ("Peter Blackburn", "PER"), ("Bonn", "LOC"), ("EU", "ORG")]
    assert doc.sentences == 2 and "\n\n" in doc.text


def test_evaluation_visible_text_is_what_a_reader_sees():
    html = ("<html><head><title>T</title><style>p{}</style></head><body><nav><ul><li>Home"
            "</li><li>World</li></ul></nav><p>First <b>para</b>.</p><script>x()</script>"
            "<div hidden>secret</div><p>Second.</p></body></html>")
    assert ds.visible_text(html) == "Home\nWorld\n\nFirst para.\n\nSecond.\n"


@pytest.mark.parametrize(("name", "source", "expected"), [
    ("Donald J. Trump", "Mr. Trump", True),
    ("Hillary Clinton", "Bill Clinton", False),
    ("Bill Clinton", "former President Bill Clinton", True),
    ("Corey Lewandowski", "Trump's campaign manager Corey Lewandowski", True),
    ("Washington Post", "the Washington Post", True),
    ("Brent Bozell III", "Bozell", True),
    ("Robert P. Casey Jr", "Sen. Robert P. Casey Jr. (D-Pa.), a Clinton backer.", True),
    ("Harry B. Harris Jr", "Admiral Harris", True),
    ("Robert P. Casey Jr", "Sen. Robert P. Jones Jr.", False),
    ("Republican", "Republicans on Capitol Hill", True),
    ("Lee Epstein", "Professor Epstein", True),
    ("Calvin Williams", "Chief Williams", True),
    ("Republican", "Democrats", False),
    ("Ted Cruz", "a campaign aide", False),
    (None, "Mr. Trump", False),
])
def test_evaluation_names_source(name, source, expected):
    assert sc.names_source(name, source) is expected


@pytest.mark.parametrize(("source", "expected"), [
    ("Mr. Kelly, a retired astronaut", True), ("Senate Majority Leader Mitch McConnell", True),
    ("the Washington Post", True), ("he", False), ("a spokesperson for the campaign", False),
    ("The snarky, anti-GOP/Obama water-carrying headline", False),
    ("the Florida senator", False), ("the Heritage Foundation website", False),
])
def test_evaluation_named_source(source, expected):
    assert sc.is_named_source(source) is expected


def test_evaluation_quote_matching():
    assert sc.within_or_covers((11, 49), (10, 50))
    assert sc.within_or_covers((8, 52), (10, 50))
    assert not sc.within_or_covers((40, 90), (10, 50))
    assert sc.same_quote((20, 60), (10, 50))
    assert not sc.same_quote((45, 90), (10, 50))


def test_evaluation_label_lines_by_article_body():
    from newsdesk.evaluation.tasks import label_lines

    text = "Menu\nThe mayor spoke.\nShare this\nShe left.\n"
    lines = label_lines(text, "The mayor spoke.\n\nShe left.")
    assert [text[s:e] for s, e in lines.body] == ["The mayor spoke.", "She left."]
    assert [text[s:e] for s, e in lines.other] == ["Menu", "Share this"]


GERMAN = ("Die Regierung hat am Dienstag beschlossen, dass die neuen Regeln für den Hafen ab "
          "dem nächsten Monat gelten sollen, und der Bürgermeister sagte, er sei mit dem "
          "Ergebnis der Verhandlungen sehr zufrieden, auch wenn noch nicht alles geklärt ist.")
ENGLISH = ("The government decided on Tuesday that the new rules for the port should apply "
           "from next month, and the mayor said he was very pleased with the outcome of the "
           "talks, even though not everything has been settled yet.")


@pytest.mark.parametrize(("lang", "body", "english"), [
    ("en", ENGLISH, True), ("", ENGLISH, True), ("en-US", ENGLISH, True),
    ("en", GERMAN, False),  # declared English in its markup, written in German
    ("", GERMAN, False), ("de", ENGLISH, False),
])
def test_evaluation_english_page_needs_an_english_body(lang, body, english):
    assert ds.Page("p", "", "<html></html>", body, lang).english is english


def test_evaluation_score_furniture_counts_mentions_and_characters():
    from newsdesk.evaluation.tasks import label_lines, score_furniture

    text = "Menu\nThe mayor spoke.\nShare this\nShe left.\n"
    page = label_lines(text, "The mayor spoke.\n\nShe left.")
    refs = [([(5, 14, "the mayor")], [(0, 4, "menu")])]
    assert score_furniture([page], refs, [[]])["furniture_counted"] == 1.0
    cut = score_furniture([page], refs, [[(0, 4), (22, 32)]])
    assert (cut["body_mentions_kept"], cut["furniture_counted"]) == (1.0, 0.0)
    assert cut["char_precision"] == cut["char_recall"] == 1.0


def test_evaluation_markdown_replaces_one_section():
    first = update_markdown("", {"ner": "<!-- task:ner -->\nA\n<!-- /task:ner -->\n",
                                 "html": "<!-- task:html -->\nB\n<!-- /task:html -->\n"},
                            header="# H\n", order=["ner", "html"])
    second = update_markdown(first, {"html": "<!-- task:html -->\nC\n<!-- /task:html -->\n"},
                             header="# H\n", order=["ner", "html"])
    assert "A" in second and "C" in second and "B" not in second
    assert second.index("A") < second.index("C")


# -- the guard ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def guard_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    ws = Workspace(EVAL, tmp_path_factory.mktemp("eval"), model=model_name(), limits=GUARD)
    return {name: run_task(name, ws) for name in ("ner", "quotes", "furniture", "html",
                                                   "corpus")}


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("task", ["ner", "quotes", "furniture", "html", "corpus"])
def test_evaluation_guard(guard_results: dict, task: str):
    result = guard_results[task]
    print(render(result, model=model_name(), date="guard"))
    low = {k: v for (t, k), v in FLOORS.items() if t == task}
    high = {k: v for (t, k), v in CEILINGS.items() if t == task}
    assert low or high, f"no floors for {task}"
    failed = [f"{k} = {result.figures[k]:.3f} < {v}" for k, v in low.items()
              if result.figures[k] < v]
    failed += [f"{k} = {result.figures[k]:.3f} > {v}" for k, v in high.items()
               if result.figures[k] > v]
    assert not failed, "accuracy fell: " + "; ".join(failed)


@pytest.mark.parametrize(("text", "source", "expected"), [
    ("It rained. Critics said so.", "Critics", False),
    ("It rained. Democrats said so, and some Democrats agreed.", "Democrats", True),
    ("It rained. Sanders said so.", "Sanders", True),
])
def test_evaluation_sentence_initial_word_is_a_name_only_if_written_so_elsewhere(
        text, source, expected):
    if source == "Sanders":
        text += " Then Sanders left."
    assert sc.is_named_source_in(source, text.index(source), text) is expected
