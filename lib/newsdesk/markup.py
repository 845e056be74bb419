"""HTML fragments for notebook output. Article text is untrusted: every character is escaped."""

from __future__ import annotations

import html

import pandas as pd

_KIND_STYLE = {
    "person": "background:#dbeafe",
    "organization": "background:#ffedd5",
    "place": "background:#dcfce7",
    "group": "background:#ede9fe",
}


def highlight(text: str, mentions: pd.DataFrame) -> str:
    """The article text as HTML with each mention highlighted by kind; all text escaped.

    ``mentions`` needs start, end, kind and name. Overlapping spans keep the first.
    """
    parts: list[str] = []
    pos = 0
    for m in mentions.sort_values(["start", "end"]).itertuples(index=False):
        if m.start < pos:
            continue
        parts.append(html.escape(text[pos : m.start]))
        style = _KIND_STYLE.get(m.kind, "background:#f3f4f6")
        tip = html.escape(f"{m.name} ({m.kind})", quote=True)
        parts.append(
            f'<mark style="{style}" title="{tip}">{html.escape(text[m.start : m.end])}</mark>'
        )
        pos = m.end
    parts.append(html.escape(text[pos:]))
    body = "".join(parts)
    return f'<div style="white-space:pre-wrap;line-height:1.5;max-width:50em">{body}</div>'


def legend() -> str:
    items = "".join(
        f'<span style="{style};padding:0 .4em;margin-right:.5em">{kind}</span>'
        for kind, style in _KIND_STYLE.items()
    )
    return f"<p>{items}</p>"


def facts(rows: dict[str, object], *, heading: str = "") -> str:
    """A two-column table of labelled values under an optional heading (all escaped)."""
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td style='text-align:left'>{html.escape('' if v is None else str(v))}</td></tr>"
        for k, v in rows.items()
    )
    title = f"<h2>{html.escape(heading)}</h2>" if heading else ""
    return f"{title}<table>{body}</table>"


def configure_display(*, max_rows: int = 500) -> None:
    """pandas display settings for reading text in notebooks and reports: whole quotes and
    sentences (no truncation to 50 characters), more rows. Text stays HTML-escaped."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", max_rows)
    pd.set_option("display.min_rows", max_rows)


def whats_new(changes: dict[str, pd.DataFrame], *, previous_run: str | None) -> str:
    """The "what is new" section: each table under its heading (text escaped by pandas)."""
    if previous_run is None:
        return ("<p>This is the first report of this store: there is no earlier report to "
                "compare with. The next report will list what changed since this one.</p>")
    parts = [f"<p>Compared with the report of {html.escape(previous_run)}.</p>"]
    for heading, table in changes.items():
        parts.append(f"<h3>{html.escape(heading.capitalize())}</h3>")
        parts.append(table.to_html(escape=True) if not table.empty else "<p>None.</p>")
    return "".join(parts)
