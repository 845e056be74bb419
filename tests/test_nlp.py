"""The spaCy step: annotation order, article offsets, model checks, fingerprint."""

from __future__ import annotations

import importlib.metadata

import pytest

from newsdesk.clean import Segment, clean_text
from newsdesk.config import DEFAULT_MODEL, EXTRACTION_VERSION, MODEL_INSTALL_HINT
from newsdesk.nlp import (
    LABEL_KINDS,
    ModelNotFoundError,
    Task,
    annotate,
    fingerprint,
    require_model,
)

HEADED = (
    "Putin Meets Trump In Moscow\n\n"
    "2025-04-02 / WIRE\n\n"
    "Russian President Vladimir Putin met Donald Trump in Moscow on Tuesday. The Kremlin said "
    "the talks with Steve Witkoff were useful.\n\n"
    "Later, officials from Ukraine and Germany joined the meeting in Berlin.\n"
)
PLAIN = "Angela Merkel visited Paris on Monday. She met Emmanuel Macron at the Elysee Palace.\n"


def _task(article_id: str, text: str) -> Task:
    return Task(article_id, text, clean_text(text).segments)


@pytest.mark.slow
def test_nlp_annotate_one_per_task_in_order_including_empty(nlp):
    tasks = [
        Task("empty-first", "", ()),
        _task("headed", HEADED),
        Task("no-segments", "Some text that was all furniture.", ()),
        _task("plain", PLAIN),
        Task("empty-last", "", ()),
    ]
    annotations = list(annotate(iter(tasks), nlp=nlp, batch_size=2))
    assert [a.article_id for a in annotations] == [t.article_id for t in tasks]
    by_id = {a.article_id: a for a in annotations}
    for empty in ("empty-first", "no-segments", "empty-last"):
        assert by_id[empty].mentions == () and by_id[empty].sentences == ()
    assert by_id["headed"].mentions and by_id["plain"].mentions


@pytest.mark.slow
def test_nlp_mention_offsets_in_article_coordinates(nlp):
    prefix = "Ignored preamble line that is not parsed at all. " * 3
    body = "Angela Merkel visited Paris on Monday with officials from Germany."
    text = prefix + body + "\nTrailing furniture. Joe Biden"
    segment = Segment(len(prefix), len(prefix) + len(body))
    [annotation] = annotate([Task("mid", text, (segment,))], nlp=nlp)
    assert annotation.mentions, "expected the pipeline to find entities"
    for m in annotation.mentions:
        assert text[m.start : m.end] == m.text
        assert segment.start <= m.start < m.end <= segment.end
        assert m.label in LABEL_KINDS
        assert m.sent_start <= m.start and m.end <= m.sent_end
    texts = {m.text for m in annotation.mentions}
    assert "Angela Merkel" in texts and "Joe Biden" not in texts
    merkel = next(m for m in annotation.mentions if m.text == "Angela Merkel")
    assert merkel.start == len(prefix)


@pytest.mark.slow
def test_nlp_mentions_leave_out_list_dashes_and_read_wide_spaces_as_spaces(nlp):
    text = ("Polls this week.\n\n-Craig Fehrman explains why Indiana is weird.\n\n"
            "Senator Elizabeth\u00a0Warren spoke in Boston on Monday.\n\n"
            "The candidate's @realDonaldTrump Twitter feed serves as a sort of direct line to "
            "his mind.\n")
    [annotation] = annotate([_task("list", text)], nlp=nlp)
    names = {m.text: m for m in annotation.mentions}
    assert "Craig Fehrman" in names and not any(t.startswith("-") for t in names)
    assert not any("@" in t for t in names)  # a handle is no person's name
    assert text[names["Craig Fehrman"].start : names["Craig Fehrman"].end] == "Craig Fehrman"
    warren = names["Elizabeth Warren"]  # one name, its offsets still in the article's text
    assert text[warren.start : warren.end] == "Elizabeth\u00a0Warren"


@pytest.mark.slow
def test_nlp_quote_speakers_the_model_missed_are_names(nlp):
    text = ('"They took his slogan and gave it to Trump," Hale said.\n\n'
            '“It is a shame,” said the mayor of the town.\n')
    [annotation] = annotate([_task("speakers", text)], nlp=nlp)
    persons = {m.text for m in annotation.mentions if m.label == "PERSON"}
    assert "Hale" in persons and not persons & {"the mayor", "mayor"}


@pytest.mark.slow
def test_nlp_offsets_and_in_title_on_cleaned_article(nlp):
    cleaned = clean_text(HEADED)
    title = cleaned.segments[0]
    assert title.in_title and cleaned.segments[1].start > title.end
    [annotation] = annotate([Task("headed", HEADED, cleaned.segments)], nlp=nlp)
    assert len(annotation.mentions) >= 5
    for m in annotation.mentions:
        assert HEADED[m.start : m.end] == m.text
        assert m.in_title == (m.end <= title.end)
        assert "2025-04-02" not in m.text  # the removed header line is never parsed
    assert any(m.in_title for m in annotation.mentions)
    body_texts = {m.text for m in annotation.mentions if not m.in_title}
    assert {"Vladimir Putin", "Donald Trump", "Berlin"} <= body_texts


@pytest.mark.slow
def test_nlp_sentences_inside_segments(nlp):
    cleaned = clean_text(HEADED)
    [annotation] = annotate([Task("headed", HEADED, cleaned.segments)], nlp=nlp)
    assert len(annotation.sentences) >= len(cleaned.segments)
    assert list(annotation.sentences) == sorted(annotation.sentences)
    for start, end in annotation.sentences:
        assert start < end
        assert any(s.start <= start and end <= s.end for s in cleaned.segments)
        assert HEADED[start:end] == HEADED[start:end].strip()
    starts = {s for s, _ in annotation.sentences}
    assert {seg.start for seg in cleaned.segments} <= starts


def test_nlp_require_model_unknown_name_from_env(monkeypatch):
    monkeypatch.setenv("NEWSDESK_MODEL", "no_such_model_xyz")
    with pytest.raises(ModelNotFoundError) as info:
        require_model()
    message = str(info.value)
    assert "no_such_model_xyz" in message
    assert "pip install no_such_model_xyz" in message
    assert "\n" not in message


def test_nlp_require_model_default_missing_names_project_install(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelNotFoundError) as info:
        require_model(DEFAULT_MODEL)
    assert MODEL_INSTALL_HINT in str(info.value)


def test_nlp_require_model_installed_and_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("NEWSDESK_MODEL", raising=False)
    assert require_model() == DEFAULT_MODEL
    assert require_model(str(tmp_path)) == str(tmp_path)


def test_nlp_fingerprint_names_model_and_version(monkeypatch):
    monkeypatch.delenv("NEWSDESK_MODEL", raising=False)
    version = importlib.metadata.version(DEFAULT_MODEL)
    fp = fingerprint()
    assert fp == f"{DEFAULT_MODEL}=={version}+extract{EXTRACTION_VERSION}"
    assert fingerprint(DEFAULT_MODEL) == fp


def test_nlp_fingerprint_unknown_model_version(monkeypatch):
    monkeypatch.setenv("NEWSDESK_MODEL", "no_such_model_xyz")
    assert fingerprint() == f"no_such_model_xyz==unknown+extract{EXTRACTION_VERSION}"
