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
    sentences (no truncation to 50 characters), more rows; in IPython, DataFrames shown as
    lean tables (``frame_html``). Text stays HTML-escaped."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", max_rows)
    pd.set_option("display.min_rows", max_rows)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, frame_html)


def frame_html(frame: pd.DataFrame) -> str:
    """A DataFrame as an HTML table, every cell escaped, truncated as pandas' own display
    is (``display.max_rows``), without the style block and borders pandas repeats for
    each table (the report's stylesheet styles them)."""
    return frame.to_html(max_rows=pd.get_option("display.max_rows"),
                         show_dimensions="truncate", border=0, justify="left", escape=True)


def whats_new(changes: dict[str, pd.DataFrame], *, previous_run: str | None,
              limit: int = 20) -> str:
    """The "what is new" section: each table under its heading, its first ``limit`` rows
    (text escaped by pandas)."""
    if previous_run is None:
        return ("<p>This is the first report of this store: there is no earlier report to "
                "compare with. The next report will list what changed since this one.</p>")
    parts = [f"<p>Compared with the report of {html.escape(previous_run)}.</p>"]
    for heading, table in changes.items():
        count = f" ({len(table):,})" if len(table) > limit else ""
        parts.append(f"<h3>{html.escape(heading.capitalize())}{count}</h3>")
        if table.empty:
            parts.append("<p>None.</p>")
            continue
        parts.append(table.head(limit).fillna("").to_html(escape=True, border=0,
                                                          justify="left"))
        if len(table) > limit:
            parts.append(f"<p class='note'>… and {len(table) - limit:,} more.</p>")
    return "".join(parts)


# -- the overview and the list of articles ---------------------------------------------------
def _esc(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return html.escape(f"{value:,}" if isinstance(value, int) else str(value))


def _link(text: object, href: str | None) -> str:
    """``text`` escaped, as a link to ``href`` when there is one."""
    return f'<a href="{html.escape(href)}">{_esc(text)}</a>' if href else _esc(text)


def table(frame: pd.DataFrame, *, columns: list[str] | None = None,
          links: dict[str, str] | None = None, link_column: str = "title",
          numeric: tuple[str, ...] = ("words", "mentions", "articles", "lines", "count")
          ) -> str:
    """A plain HTML table of ``frame``'s ``columns`` (default: all; the index left out),
    every cell escaped ("None." when it has no row). With ``links`` (article_id -> href),
    the ``link_column`` cell of a row links to its article's page."""
    if frame.empty:
        return "<p>None.</p>"
    columns = list(frame.columns) if columns is None else columns
    links = links or {}

    def cls(column: str) -> str:
        return " class=num" if column in numeric else ""

    head = "".join(f"<th{cls(c)}>{_esc(c)}</th>" for c in columns)
    body = []
    for row in frame.to_dict("records"):
        href = links.get(row.get("article_id"))
        cells = "".join(
            f"<td{cls(c)}>{_link(row[c], href) if c == link_column else _esc(row[c])}</td>"
            for c in columns)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def summary(facts: dict[str, object]) -> str:
    """The overview's opening figures (from ``analysis.corpus_summary``)."""
    period = (f"from {_esc(facts['from'])} to {_esc(facts['to'])}" if facts.get("from")
              else "on no known date")
    items = [
        (facts["articles counted"], "articles counted"),
        (facts["dated"], f"dated ({facts['undated']:,} undated)"),
        (facts["not counted"], "read, not counted"),
        (facts["sources"], "sources"),
        (facts["actors"], "actors"),
        (facts["places"], "places"),
        (facts["quotes"], "quotes"),
    ]
    cells = "".join(f"<div><b>{_esc(value)}</b>{_esc(label)}</div>" for value, label in items)
    return (f"<div class='summary-facts'>{cells}</div>"
            f"<p>Articles published {period}. Every article: "
            "<a href='articles.html'>the full list, by month</a>.</p>")


def month_anchor(month: str) -> str:
    """The id of a month's section in the full list of articles."""
    return f"m-{month}"


def _month_title(month: str, n: int) -> str:
    from newsdesk.analysis import is_month

    if is_month(month):
        label = pd.Timestamp(f"{month}-01").strftime("%B %Y")
    elif month.isdigit():
        label = f"{month} (month not known)"
    else:
        label = "Undated"
    return f"{label}: {n:,} article{'s' if n != 1 else ''}"


ARTICLE_COLUMNS = ["date", "title", "source", "words"]


def articles_by_month(listed: pd.DataFrame, *, links: dict[str, str] | None = None,
                      per_month: int = 0, full_list: str = "") -> str:
    """Articles (``analysis.articles_list``) grouped by month, newest month first, the
    undated last.

    With ``per_month``: each month a collapsed section (it opens without scripts) showing
    that many articles, then a link to the month in ``full_list``. Without: every article
    of each month under its heading (the full list)."""
    months = list(dict.fromkeys(listed["month"]))
    order = sorted((m for m in months if m != "undated"), reverse=True) + [
        m for m in months if m == "undated"]
    parts = []
    for month in order:
        rows = listed[listed["month"] == month]
        title = _esc(_month_title(month, len(rows)))
        if not per_month:
            parts.append(f"<h2 id='{month_anchor(month)}'>{title}</h2>"
                         + table(rows, columns=ARTICLE_COLUMNS, links=links))
            continue
        more = len(rows) - per_month
        tail = (f"<p><a href='{html.escape(full_list)}#{month_anchor(month)}'>… and "
                f"{more:,} more in the full list</a></p>" if more > 0 and full_list else "")
        parts.append(f"<details><summary>{title}</summary>"
                     f"{table(rows.head(per_month), columns=ARTICLE_COLUMNS, links=links)}"
                     f"{tail}</details>")
    return "".join(parts) if parts else "<p>No counted articles.</p>"


def quality(checks: dict[str, pd.DataFrame], *, links: dict[str, str] | None = None,
            limit: int = 50) -> str:
    """The "could not settle" section: a count per check (``analysis.QUALITY_CHECKS``),
    then each check's rows in a collapsed section, the first ``limit`` of them."""
    from newsdesk.analysis import QUALITY_CHECKS

    rows = "".join(
        f"<tr><td>{_esc(QUALITY_CHECKS[check])}</td><td class=num>{len(found):,}</td></tr>"
        for check, found in checks.items())
    parts = [f"<table><thead><tr><th>what</th><th class=num>count</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>"]
    for check, found in checks.items():
        if found.empty:
            continue
        more = len(found) - limit
        tail = (f"<p class='note'>… and {more:,} more: <code>newsdesk export quality</code> "
                "lists them all.</p>" if more > 0 else "")
        link_column = "article_id" if "article_id" in found.columns else ""
        parts.append(f"<details><summary>{_esc(QUALITY_CHECKS[check])} ({len(found):,})"
                     f"</summary>{table(found.head(limit), links=links, link_column=link_column)}"
                     f"{tail}</details>")
    return "".join(parts)
