"""Separating body from page furniture: titles, header lines, trailers, spans."""

from __future__ import annotations

import re

import pytest

from newsdesk.clean import Cleaned, clean_text, split_lines

TITLE = "Leaders Agree On New Trade Rules"
BODY = (
    "Officials met in Geneva on Tuesday to discuss the plan. They said more talks would "
    "follow soon.\n\n"
    "The delegation included ministers from several countries. A statement was issued "
    "afterwards.\n\n"
    "Analysts expect a decision before the end of the month, according to people familiar "
    "with the talks.\n"
)
BODY_PARAGRAPHS = [p.strip() for p in BODY.split("\n\n") if p.strip()]


def segment_texts(text: str, cleaned: Cleaned, *, body_only: bool = True) -> list[str]:
    return [text[s.start : s.end] for s in cleaned.segments if not (body_only and s.in_title)]


def removed_by_reason(cleaned: Cleaned) -> dict[str, str]:
    return {r.text: r.reason for r in cleaned.removed}


def assert_spans_consistent(text: str, cleaned: Cleaned) -> None:
    for r in cleaned.removed:
        assert text[r.start : r.end] == r.text, r
        assert r.text == r.text.strip()
    for s in cleaned.segments:
        assert 0 <= s.start < s.end <= len(text), s
        chunk = text[s.start : s.end]
        assert chunk == chunk.strip(" \t\r\n\ufeff\u00a0"), s
    spans = sorted([(r.start, r.end) for r in cleaned.removed]
                   + [(s.start, s.end) for s in cleaned.segments])
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start, "a removed span overlaps a segment or another removed span"


# -- title -----------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_clean_title_heading_followed_by_blank_line(newline):
    text = (TITLE + "\n\n" + BODY).replace("\n", newline)
    cleaned = clean_text(text)
    assert cleaned.title == TITLE
    assert cleaned.title_basis == "heading"
    title_seg = cleaned.segments[0]
    assert title_seg.in_title and text[title_seg.start : title_seg.end] == TITLE
    assert sum(s.in_title for s in cleaned.segments) == 1
    assert segment_texts(text, cleaned) == [p.replace("\n", newline) for p in BODY_PARAGRAPHS]
    assert cleaned.removed == ()
    assert_spans_consistent(text, cleaned)


def test_clean_headline_without_blank_line_is_not_a_title():
    text = TITLE + "\n" + BODY
    cleaned = clean_text(text)
    assert cleaned.title_basis == "lead"
    assert not any(s.in_title for s in cleaned.segments)
    assert text[cleaned.segments[0].start : cleaned.segments[0].end] == TITLE


@pytest.mark.parametrize(
    ("first_line", "expected_title"),
    [
        ("Leaders agreed on new trade rules in Geneva. Markets rose.",
         "Leaders agreed on new trade rules in Geneva"),
        ("Leaders agreed on Tuesday to adopt a long list of new trade rules in Geneva after "
         "weeks of talks.",
         "Leaders agreed on Tuesday to adopt a long list of new trade …"),
    ],
)
def test_clean_sentence_first_line_gives_lead_title(first_line, expected_title):
    text = first_line + "\n\n" + BODY
    cleaned = clean_text(text)
    assert cleaned.title_basis == "lead"
    assert cleaned.title == expected_title
    assert not any(s.in_title for s in cleaned.segments)
    assert segment_texts(text, cleaned)[0] == first_line  # the lead stays body text
    assert_spans_consistent(text, cleaned)


def test_clean_empty_text_has_nothing():
    cleaned = clean_text(" \n\n\t\n")
    assert (cleaned.title, cleaned.title_basis) == (None, "none")
    assert cleaned.segments == () and cleaned.removed == ()


# -- header lines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "date", "source"),
    [
        ("2025-04-02 19:49:31 / SOME PRESS", "2025-04-02", "SOME PRESS"),
        ("2025-04-02", "2025-04-02", None),
        ("April 2, 2025 | The Daily Planet", "April 2, 2025", "The Daily Planet"),
        ("2 April 2025 - Wire Service", "2 April 2025", "Wire Service"),
        ("02.04.2025 10:15 AM CET — Local News", "02.04.2025", "Local News"),
        ("Apr. 2, 2025 by Jane Doe", "Apr. 2, 2025", "Jane Doe"),
    ],
)
def test_clean_date_source_header_line_parsed_and_removed(header, date, source):
    text = f"{TITLE}\n\n{header}\n\n{BODY}"
    cleaned = clean_text(text)
    assert (cleaned.published, cleaned.source) == (date, source)
    assert removed_by_reason(cleaned) == {header: "header: date/source line"}
    assert cleaned.title == TITLE and cleaned.title_basis == "heading"
    assert segment_texts(text, cleaned) == BODY_PARAGRAPHS
    assert_spans_consistent(text, cleaned)


def test_clean_header_line_after_title_makes_title():
    # No blank line after the title: the removed header line right after it is enough.
    text = f"{TITLE}\n2025-04-02 / WIRE\n{BODY}"
    cleaned = clean_text(text)
    assert cleaned.title == TITLE and cleaned.title_basis == "heading"
    assert cleaned.published == "2025-04-02" and cleaned.source == "WIRE"


def test_clean_date_inside_body_not_taken_as_header():
    late = "2025-04-02 / NOT A HEADER"
    text = f"{TITLE}\n\n{BODY}\n{BODY}\n{late}\n\nA final sentence closes the story.\n"
    cleaned = clean_text(text)
    assert cleaned.published is None
    assert late in segment_texts(text, cleaned)


@pytest.mark.parametrize(
    ("repeat", "reason"),
    [
        (TITLE, "repeated title"),
        ("Leaders Agree On New Trade", "repeated (truncated) title"),
        ("LEADERS AGREE ON NEW TRADE RULES", "repeated title"),
    ],
)
def test_clean_repeated_title_line_removed(repeat, reason):
    text = f"{TITLE}\n\n2025-04-02 19:49:31 / SOME PRESS\n\n{repeat}\n\n{BODY}"
    cleaned = clean_text(text)
    reasons = removed_by_reason(cleaned)
    assert reasons[repeat] == reason
    assert cleaned.title == TITLE
    assert segment_texts(text, cleaned) == BODY_PARAGRAPHS
    assert_spans_consistent(text, cleaned)


def test_clean_short_prefix_of_title_not_removed():
    # Fewer than three words is too little evidence of a repeated title.
    text = f"{TITLE}\n\nLeaders Agree\n\n{BODY}"
    cleaned = clean_text(text)
    assert "Leaders Agree" in segment_texts(text, cleaned)
    assert cleaned.removed == ()


# -- trailers --------------------------------------------------------------------------------

OTHER_STORIES = [
    "Fashion designer found dead on yacht club boat after brand launch",
    "Former club owner confirms interest in another takeover",
    "Seaside town with hidden gem beach that feels like a world away",
]


@pytest.mark.parametrize("cue", ["You may also like", "Related", "Comments", "Read more:",
                                 "Popular posts from this blog", "3 Comments"])
def test_clean_trailer_cue_and_headlines_removed(cue):
    tail = "\n".join([cue, *OTHER_STORIES])
    text = f"{TITLE}\n\n{BODY}\n{tail}\n"
    cleaned = clean_text(text)
    reasons = removed_by_reason(cleaned)
    assert reasons[cue] == "page furniture: cue line"
    for story in OTHER_STORIES:
        assert reasons[story] == f"page furniture: after '{cue}'"
    assert len(cleaned.removed) == 1 + len(OTHER_STORIES)
    assert segment_texts(text, cleaned) == BODY_PARAGRAPHS
    assert_spans_consistent(text, cleaned)


def test_clean_cue_followed_by_prose_is_kept():
    # "Related" followed by long sentences is not a list of links.
    prose = ("Related talks in Vienna last year ended without agreement after three days of "
             "meetings between the delegations. Officials blamed the lack of preparation, "
             "and said a new round would need more groundwork before it could start.")
    paragraphs = [prose, prose.replace("Vienna", "Oslo"), prose.replace("Vienna", "Rome")]
    text = f"{TITLE}\n\n{BODY}\nRelated\n" + "\n".join(paragraphs) + "\n"
    cleaned = clean_text(text)
    assert not any(r.reason.startswith("page furniture") for r in cleaned.removed)
    assert segment_texts(text, cleaned)[-3:] == paragraphs


def test_clean_trailing_run_of_headlines_removed_without_cue():
    text = f"{TITLE}\n\n{BODY}\n" + "\n".join(OTHER_STORIES) + "\n"
    cleaned = clean_text(text)
    reasons = removed_by_reason(cleaned)
    assert [reasons[s] for s in OTHER_STORIES] == [
        "page furniture: run of headline-shaped lines at the end"] * 3
    assert segment_texts(text, cleaned) == BODY_PARAGRAPHS


def test_clean_two_trailing_headline_lines_are_kept():
    text = f"{TITLE}\n\n{BODY}\n" + "\n".join(OTHER_STORIES[:2]) + "\n"
    cleaned = clean_text(text)
    assert cleaned.removed == ()
    assert segment_texts(text, cleaned)[-2:] == OTHER_STORIES[:2]


@pytest.mark.parametrize(
    ("line", "publisher"),
    [
        ("© The Asia Business Daily(www.asiae.co.kr). All rights reserved.",
         "The Asia Business Daily"),
        ("Copyright 2025 Some Press. All rights reserved.", "Some Press"),
        ("(c) 2019-2025 Daily Planet", "Daily Planet"),
        ("© 2025 https://example.org", None),
    ],
)
def test_clean_copyright_line_removed_publisher_extracted(line, publisher):
    text = f"{TITLE}\n\n{BODY}\n{line}\n\n\n"
    cleaned = clean_text(text)
    assert removed_by_reason(cleaned) == {line: "copyright line"}
    assert cleaned.publisher == publisher
    assert segment_texts(text, cleaned) == BODY_PARAGRAPHS
    assert_spans_consistent(text, cleaned)


@pytest.mark.parametrize("prompt", ["Share this article", "Advertisement", "Subscribe now",
                                    "Follow us on X"])
def test_clean_prompt_lines_removed_anywhere(prompt):
    paragraphs = BODY_PARAGRAPHS
    text = f"{TITLE}\n\n{paragraphs[0]}\n\n{prompt}\n\n" + "\n\n".join(paragraphs[1:])
    cleaned = clean_text(text)
    assert removed_by_reason(cleaned) == {prompt: "share/subscribe prompt"}
    assert segment_texts(text, cleaned) == paragraphs


def test_clean_subheadings_in_middle_kept():
    p1, p2, p3 = BODY_PARAGRAPHS
    text = (f"{TITLE}\n\n{p1}\n\nEconomic Ties at the Forefront\n\n{p2}\n\n"
            f"Dmitriev’s Role in US-Russia Relations\n\n{p3}")
    cleaned = clean_text(text)
    assert cleaned.removed == ()
    assert segment_texts(text, cleaned) == [
        p1, "Economic Ties at the Forefront", p2, "Dmitriev’s Role in US-Russia Relations",
        p3,
    ]
    assert_spans_consistent(text, cleaned)


@pytest.mark.parametrize("tag", ["/ABC", "/REL", "/AFP"])
def test_clean_agency_signature_at_end_removed(tag):
    last = "He is seen as a key figure in the negotiations."
    text = f"{TITLE}\n\n{BODY}\n{last} {tag}\n"
    cleaned = clean_text(text)
    [sig] = cleaned.removed
    assert (sig.text, sig.reason) == (tag, "agency signature")
    assert text[sig.start : sig.end] == tag
    assert segment_texts(text, cleaned)[-1] == last
    assert_spans_consistent(text, cleaned)


def test_clean_slash_tag_not_at_end_kept():
    line = "Officials said the EU/UN plan was discussed /ABC"
    text = f"{TITLE}\n\n{line}\n\n{BODY}"
    cleaned = clean_text(text)
    assert cleaned.removed == ()
    assert line in segment_texts(text, cleaned)


def test_clean_hard_wrapped_paragraph_is_one_segment():
    text = (f"{TITLE}\n\nOfficials met in Geneva on Tuesday to discuss\nthe plan and said more "
            "talks\nwould follow.\nA second paragraph starts here.\n")
    cleaned = clean_text(text)
    assert segment_texts(text, cleaned) == [
        "Officials met in Geneva on Tuesday to discuss\nthe plan and said more talks\n"
        "would follow.",
        "A second paragraph starts here.",
    ]


def test_clean_everything_at_once_spans_consistent():
    text = (
        "\ufeff  " + TITLE + "  \r\n\r\n"
        "2025-04-02 19:49:31 / SOME PRESS\r\n\r\n"
        "Leaders Agree On New Trade\r\n\r\n"
        + BODY.replace("\n", "\r\n")
        + "\u00a0Share this article\r\n"
        + "Talks resume next week. /ABC\r\n"
        + "You may also like\r\n" + "\r\n".join(OTHER_STORIES) + "\r\n"
        + "© 2025 Some Press. All rights reserved.\r\n"
    )
    cleaned = clean_text(text)
    assert_spans_consistent(text, cleaned)
    reasons = removed_by_reason(cleaned)
    assert reasons["2025-04-02 19:49:31 / SOME PRESS"] == "header: date/source line"
    assert reasons["Leaders Agree On New Trade"] == "repeated (truncated) title"
    assert reasons["Share this article"] == "share/subscribe prompt"
    assert reasons["You may also like"] == "page furniture: cue line"
    assert reasons["© 2025 Some Press. All rights reserved."] == "copyright line"
    assert cleaned.publisher == "Some Press"
    assert reasons["/ABC"] == "agency signature"
    assert cleaned.title == TITLE
    assert segment_texts(text, cleaned) == [*BODY_PARAGRAPHS, "Talks resume next week."]


def test_clean_title_line_never_removed():
    text = ("Weather Update\n\nSunny skies ahead\n\nRain later in the week\n\n"
            "Winds from the north\n")
    cleaned = clean_text(text)
    assert cleaned.title == "Weather Update"
    title = cleaned.segments[0]
    assert title.in_title
    assert all(r.start >= title.end for r in cleaned.removed)


def test_clean_split_lines_spans_exclude_blanks():
    text = "\ufeff  One \r\n\u00a0\r\n\tTwo\u00a0\n"
    lines = split_lines(text)
    assert [ln.text for ln in lines] == ["One", "Two"]
    assert all(text[ln.start : ln.end] == ln.text for ln in lines)


# -- the sample ------------------------------------------------------------------------------


def test_clean_sample_keeps_body_paragraphs(sample_texts):
    assert len(sample_texts) == 5
    for stem, text in sample_texts.items():
        cleaned = clean_text(text)
        assert_spans_consistent(text, cleaned)
        kept = set(segment_texts(text, cleaned, body_only=False))
        for r in cleaned.removed:
            # Nothing removed reads like a body paragraph (long and ending a sentence).
            is_paragraph = len(r.text.split()) > 25 and re.search(r"[.!?\"”]$", r.text)
            assert not is_paragraph, (stem, r)
        for line in split_lines(text):
            if re.search(r"[.!?\"”]$", line.text) and "rights reserved" not in line.text:
                # Every line that ends a sentence is body text and survives in a segment.
                assert any(line.text in seg for seg in kept), (stem, line.text[:60])
        words = sum(len(text[s.start : s.end].split()) for s in cleaned.segments
                    if not s.in_title)
        assert words > 300, (stem, words)


def test_clean_sample_furniture_found(sample_texts):
    by_stem = {stem.split("_")[0]: clean_text(text) for stem, text in sample_texts.items()}
    assert by_stem["001"].publisher == "The Asia Business Daily"
    assert removed_by_reason(by_stem["002"])["Comments"] == "page furniture: cue line"
    assert removed_by_reason(by_stem["004"])["You may also like"] == "page furniture: cue line"
    c003 = by_stem["003"]
    assert (c003.published, c003.source) == ("2025-04-02", "BOTA ALFA PRESS")
    assert c003.title_basis == "heading"
    assert removed_by_reason(c003)["/REL"] == "agency signature"
