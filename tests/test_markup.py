"""HTML fragments: untrusted text is escaped, mentions are wrapped in <mark>."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from newsdesk.markup import facts, highlight, legend

HOSTILE = (
    'Putin said <script>alert(1)</script> & "quotes" \'single\' '
    '<img src=x onerror=alert(2)></textarea><b>Moscow</b>'
)


def mention_frame(spans: list[tuple[int, int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(spans, columns=["start", "end", "kind", "name"])


def visible_text(fragment: str) -> str:
    """The text a browser would show: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_markup_highlight_escapes_everything():
    out = highlight(HOSTILE, mention_frame([]))
    assert "<script" not in out.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<img" not in out and "&lt;img src=x onerror=alert(2)&gt;" in out
    assert "</textarea>" not in out and "&lt;/textarea&gt;" in out
    assert "<b>" not in out
    assert "&amp;" in out and "&quot;quotes&quot;" in out and "&#x27;single&#x27;" in out
    assert re.fullmatch(r'<div style="[^"<>]*">[^<>]*</div>', out)
    assert visible_text(out) == HOSTILE


def test_markup_highlight_wraps_mentions():
    text = "Putin met Witkoff in Moscow."
    out = highlight(text, mention_frame([(21, 27, "place", "Moscow"),
                                         (0, 5, "person", "Vladimir Putin")]))
    marks = re.findall(r'<mark style="([^"]*)" title="([^"]*)">([^<]*)</mark>', out)
    assert marks == [
        ("background:#dbeafe", "Vladimir Putin (person)", "Putin"),
        ("background:#dcfce7", "Moscow (place)", "Moscow"),
    ]
    assert visible_text(out) == text


def test_markup_highlight_mention_inside_hostile_text():
    start = HOSTILE.index("<b>Moscow</b>")
    end = start + len("<b>Moscow</b>")
    name = '"><script>alert(3)</script>'
    out = highlight(HOSTILE, mention_frame([(start, end, "weird-kind", name)]))
    assert "<script" not in out.lower()
    assert '<mark style="background:#f3f4f6" title="&quot;&gt;&lt;script&gt;alert(3)' in out
    assert ">&lt;b&gt;Moscow&lt;/b&gt;</mark>" in out
    assert out.count("<mark") == 1 and out.count("</mark>") == 1
    assert visible_text(out) == HOSTILE


@pytest.mark.parametrize(
    "spans",
    [
        [(0, 14, "person", "Vladimir Putin"), (9, 14, "person", "Putin")],  # nested
        [(0, 9, "person", "A"), (5, 20, "place", "B")],  # overlapping
        [(9, 14, "person", "Putin"), (0, 14, "person", "Vladimir Putin")],  # unsorted
        [(0, 14, "person", "X"), (0, 14, "place", "Y")],  # identical
    ],
)
def test_markup_highlight_overlapping_spans_keep_text_intact(spans):
    text = "Vladimir Putin visited Moscow <today>."
    out = highlight(text, mention_frame(spans))
    assert visible_text(out) == text  # nothing lost or duplicated
    assert out.count("<mark") == out.count("</mark>") == 1
    assert re.search(r"<mark[^>]*>[^<]*<mark", out) is None  # never nested
    first = min(spans, key=lambda s: (s[0], s[1]))
    marked = re.search(r"<mark[^>]*>([^<]*)</mark>", out).group(1)
    assert html.unescape(marked) == text[first[0] : first[1]]


def test_markup_highlight_adjacent_spans_both_marked():
    text = "Putin Trump"
    out = highlight(text, mention_frame([(0, 5, "person", "Putin"),
                                         (6, 11, "person", "Trump")]))
    assert out.count("<mark") == 2
    assert visible_text(out) == text


def test_markup_facts_escapes_keys_and_values():
    out = facts({"Headline": "<script>alert(1)</script>", "<i>key</i>": 'a "b" & c',
                 "Empty": None, "Words": 460})
    assert "<script" not in out and "<i>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;i&gt;key&lt;/i&gt;" in out
    assert "a &quot;b&quot; &amp; c" in out
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", out)
    assert cells == ["&lt;script&gt;alert(1)&lt;/script&gt;", "a &quot;b&quot; &amp; c", "",
                     "460"]
    assert out.count("<tr>") == 4


def test_markup_legend_lists_kinds():
    out = legend()
    assert [m for m in re.findall(r">([a-z]+)</span>", out)] == [
        "person", "organization", "place", "group"]


def test_markup_facts_heading_escaped():
    out = facts({"A": 1}, heading="<b>Profile</b>")
    assert out.startswith("<h2>&lt;b&gt;Profile&lt;/b&gt;</h2><table>")
    assert facts({"A": 1}).startswith("<table>")
