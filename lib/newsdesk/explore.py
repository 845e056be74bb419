"""An interactive explorer for JupyterLab, built on ipywidgets.

``Explorer(wb).show()`` puts controls over a store: actors, places, kinds, a period and the
chart's frequency. The chart (mentions over time), the keyword-in-context sentences and the
list of articles follow the selection; picking an article shows its profile. All the logic is
here, so it is tested by setting ``.value`` on the real widgets. Article text is untrusted:
every fragment shown in an HTML widget is escaped (``html.escape``, ``markup.highlight``,
pandas' escaping ``to_html``).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as W
import pandas as pd
from matplotlib.figure import Figure

from newsdesk import markup
from newsdesk.analysis import (
    ACTOR_KINDS,
    ALL_KINDS,
    article_actors,
    article_places,
    article_quotes,
    mentions_over_time,
    profile_facts,
)
from newsdesk.plots import plot_mentions_over_time
from newsdesk.store import Workbook

#: Kinds listed under "Actors"; places have their own list.
ACTOR_LIST_KINDS = (*ACTOR_KINDS, "group")
UNDATED = "undated"
CONTEXT_CHARS = 70


def article_months(articles: pd.DataFrame) -> pd.Series:
    """article_id -> 'YYYY-MM' of its publication (a year-precision date counts as January);
    undated articles are left out."""
    published = articles.set_index("article_id")["published"]
    published = published[published.map(lambda v: isinstance(v, str) and len(v) >= 4)]
    return published.map(lambda v: v[:7] if len(v) >= 7 else f"{v[:4]}-01")


def month_range(months: Sequence[str]) -> list[str]:
    """Every month from the earliest to the latest of ``months`` ('YYYY-MM')."""
    if not len(months):
        return []
    periods = pd.period_range(min(months), max(months), freq="M")
    return [str(p) for p in periods]


def kwic(mentions: pd.DataFrame, *, width: int = CONTEXT_CHARS) -> pd.DataFrame:
    """Keyword in context: for each mention, its sentence split into left, keyword, right.

    ``mentions`` needs article_id, name, text, start, end, sentence and sent_start (the
    sentence's offset in the article), so ``left + keyword + right`` is the sentence as read.
    """
    rows = []
    for m in mentions.itertuples(index=False):
        sentence = m.sentence if isinstance(m.sentence, str) else ""
        offset = int(m.start) - int(m.sent_start) if pd.notna(m.sent_start) else -1
        if sentence and 0 <= offset and sentence[offset:offset + len(m.text)] == m.text:
            left, right = sentence[:offset], sentence[offset + len(m.text):]
        else:  # a mention in the title or outside a sentence: show it alone
            left, right = "", ""
        rows.append({
            "article_id": m.article_id, "entity": m.name, "left": _clip(left, width, True),
            "keyword": m.text, "right": _clip(right, width, False),
        })
    return pd.DataFrame(rows, columns=["article_id", "entity", "left", "keyword", "right"])


def _clip(text: str, width: int, left: bool) -> str:
    text = re.sub(r"\s+", " ", text)
    if len(text) <= width:
        return text
    return "…" + text[-width:] if left else text[:width] + "…"


def kwic_html(table: pd.DataFrame, titles: dict[str, str], *, total: int | None = None) -> str:
    """The KWIC table as escaped HTML: article, left context, keyword, right context."""
    if table.empty:
        return "<p><em>No mentions for this selection.</em></p>"
    esc = html.escape
    rows = "".join(
        "<tr>"
        f"<td style='text-align:left;white-space:nowrap' "
        f"title='{esc(titles.get(r.article_id, r.article_id), quote=True)}'>"
        f"{esc(_clip(titles.get(r.article_id, r.article_id), 36, False))}</td>"
        f"<td style='text-align:right;white-space:nowrap'>{esc(r.left)}</td>"
        f"<td style='text-align:center;white-space:nowrap'>"
        f"<mark title='{esc(r.entity, quote=True)}'>"
        f"{esc(r.keyword)}</mark></td>"
        f"<td style='text-align:left;white-space:nowrap'>{esc(r.right)}</td>"
        "</tr>"
        for r in table.itertuples(index=False)
    )
    shown = len(table)
    note = (f"<p>{total} sentences; the first {shown} are shown.</p>"
            if total is not None and total > shown else f"<p>{shown} sentences.</p>")
    return (f"{note}<div style='overflow-x:auto'><table class='newsdesk-kwic'>"
            "<thead><tr><th>article</th><th style='text-align:right'>before</th>"
            f"<th>mention</th><th style='text-align:left'>after</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def profile_html(wb: Workbook, article_id: str) -> str:
    """One article's profile as escaped HTML: facts, actors, places, quotes, the text."""
    article = wb.article(article_id)
    mentions = wb.article_mentions(article_id)
    parts = [markup.facts(profile_facts(article), heading=article.get("title") or article_id)]
    sections = [
        ("People, groups and organizations",
         article_actors(mentions, wb.entities, wb.roles)),
        ("Places", article_places(mentions, wb.entities)),
        ("Who said what", article_quotes(wb.article_quotes(article_id))),
    ]
    for heading, frame in sections:
        parts.append(f"<h3>{html.escape(heading)}</h3>")
        parts.append(frame.to_html(escape=True, na_rep="", border=0) if len(frame)
                     else "<p><em>None.</em></p>")
    parts.append("<h3>The text</h3>")
    parts.append(markup.legend() + markup.highlight(article["text"], mentions))
    return "".join(parts)


def _short_date(published: object) -> str:
    return published if isinstance(published, str) and published else "undated"


def chart_png(counts: pd.DataFrame, *, title: str) -> bytes:
    """The mentions-over-time chart as PNG bytes (no pyplot state involved)."""
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    plot_mentions_over_time(counts, ax=ax, title=title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


class Explorer:
    """Widgets over a store: choose actors, places, kinds and a period; see the chart, the
    sentences (keyword in context) and an article's profile.

    The controls are attributes (``actors``, ``places``, ``kinds``, ``period``, ``freq``,
    ``undated``, ``article``); so are the outputs (``chart`` an Image widget, ``kwic`` and
    ``profile`` HTML widgets) and the data behind them (``counts``, ``kwic_rows``).
    """

    def __init__(
        self,
        workbook: Workbook | str | Path | None = None,
        *,
        freq: str = "month",
        top_n: int = 8,
        max_rows: int = 200,
    ) -> None:
        if not isinstance(workbook, Workbook):
            from newsdesk.ingest import open_workbook

            workbook = open_workbook(workbook)
        self.wb = workbook
        self.top_n = top_n
        self.max_rows = max_rows
        entities = workbook.entities.sort_values(["mentions", "name"], ascending=[False, True])
        self._kind_of = dict(zip(entities["entity_id"], entities["kind"], strict=True))
        articles = workbook.articles
        self._articles = articles[articles["status"] == "ok"]
        self._months = article_months(self._articles)
        self._titles = {
            r.article_id: (r.title or r.article_id)
            for r in self._articles.itertuples(index=False)
        }
        months = month_range(list(self._months)) or [UNDATED]

        def options(kinds: Sequence[str]) -> list[tuple[str, str]]:
            chosen = entities[entities["kind"].isin(kinds)]
            return [(f"{r.name} ({r.kind}, {r.mentions})", r.entity_id)
                    for r in chosen.itertuples(index=False)]

        wide = W.Layout(width="auto")
        self.actors = W.SelectMultiple(options=options(ACTOR_LIST_KINDS), rows=8,
                                       description="Actors", layout=W.Layout(width="22em"))
        self.places = W.SelectMultiple(options=options(["place"]), rows=8,
                                       description="Places", layout=W.Layout(width="20em"))
        self.kinds = W.SelectMultiple(options=list(ALL_KINDS), value=list(ALL_KINDS), rows=4,
                                      description="Kinds", layout=W.Layout(width="16em"))
        self.period = W.SelectionRangeSlider(options=months, index=(0, len(months) - 1),
                                             description="Period", layout=W.Layout(width="32em"),
                                             continuous_update=False)
        self.freq = W.Dropdown(options=["day", "week", "month"], value=freq,
                               description="Per", layout=W.Layout(width="12em"))
        self.undated = W.Checkbox(value=True, description="include undated articles",
                                  indent=False, layout=wide)
        self.article = W.Dropdown(options=[], description="Article",
                                  layout=W.Layout(width="60em"))
        self.status = W.HTML()
        self.chart = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.kwic = W.HTML()
        self.profile = W.HTML()
        self.counts = pd.DataFrame()
        self.kwic_rows = pd.DataFrame()
        self.shown: list[str] = []

        tabs = W.Tab(children=[self.kwic, W.VBox([self.article, self.profile])],
                     titles=("Keyword in context", "Article profile"))
        self.widget = W.VBox([
            W.HBox([self.actors, self.places, self.kinds]),
            W.HBox([self.period, self.freq, self.undated]),
            self.status, self.chart, tabs,
        ])
        for control in (self.actors, self.places, self.kinds, self.period, self.freq,
                        self.undated):
            control.observe(self._on_selection, names="value")
        self.article.observe(self._on_article, names="value")
        self.refresh()

    # -- display ---------------------------------------------------------------------------
    def show(self) -> None:
        """Display the explorer in the notebook."""
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- selection -------------------------------------------------------------------------
    def selected_articles(self) -> list[str]:
        """Ids of the articles in the period (and the undated ones, when included)."""
        start, end = self.period.value
        ids = [aid for aid, month in self._months.items()
               if start == UNDATED or start <= month <= end]
        if self.undated.value:
            ids += [aid for aid in self._articles["article_id"] if aid not in self._months]
        return ids

    def selected_entities(self) -> list[str]:
        """The entities shown: those chosen (of the chosen kinds), else the top N by mentions
        in the selected articles."""
        kinds = set(self.kinds.value)
        chosen = [e for e in (*self.actors.value, *self.places.value)
                  if self._kind_of.get(e) in kinds]
        if self.actors.value or self.places.value:
            return chosen
        mentions = self.wb.mentions
        articles = self.selected_articles()
        frame = mentions[mentions["article_id"].isin(articles) & mentions["kind"].isin(kinds)]
        return list(frame["entity_id"].value_counts().head(self.top_n).index)

    def refresh(self) -> None:
        """Recompute the chart, the KWIC table and the article list from the controls."""
        mentions = self.wb.mentions
        articles = self.selected_articles()
        self.shown = self.selected_entities()
        in_period = mentions[mentions["article_id"].isin(articles)]
        if self.shown:
            self.counts = mentions_over_time(
                in_period, self._articles, kinds=list(self.kinds.value), freq=self.freq.value,
                entities=self.shown,
            )
        else:
            self.counts = pd.DataFrame()
        self.chart.value = chart_png(self.counts, title=f"Mentions per {self.freq.value}")

        rows = in_period[in_period["entity_id"].isin(self.shown)].copy()
        rows["month"] = rows["article_id"].map(self._months)
        rows = rows.sort_values(["month", "article_id", "start"], na_position="last")
        self.kwic_rows = kwic(rows)
        self.kwic.value = kwic_html(self.kwic_rows.head(self.max_rows), self._titles,
                                    total=len(self.kwic_rows))
        self.status.value = (
            f"<p>{len(self.kwic_rows)} mentions of {len(self.shown)} entities in "
            f"{rows['article_id'].nunique()} of {len(articles)} articles in the period.</p>"
        )
        ids = list(dict.fromkeys(rows["article_id"])) or articles
        self._set_article_options(ids)

    def _set_article_options(self, ids: Sequence[str]) -> None:
        current = self.article.value
        info = self._articles.set_index("article_id")
        labels = [(f"{_short_date(info.at[a, 'published'])} — {self._titles.get(a, a)}", a)
                  for a in ids]
        self.article.options = labels
        if current in ids:
            self.article.value = current
        elif ids:
            self.article.value = ids[0]
        else:
            self.profile.value = "<p><em>No article in this selection.</em></p>"

    def _on_selection(self, change: dict) -> None:
        self.refresh()

    def _on_article(self, change: dict) -> None:
        if change["new"]:
            self.profile.value = profile_html(self.wb, change["new"])

    def show_article(self, article_id: str) -> None:
        """Show one article's profile (it is added to the list if the selection left it out)."""
        if article_id not in dict(self.article.options).values():
            self.article.options = [*self.article.options, (self._titles.get(
                article_id, article_id), article_id)]
        self.article.value = article_id
