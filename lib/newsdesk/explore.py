"""An interactive explorer for JupyterLab, built on ipywidgets.

``Explorer(wb).show()`` puts controls over a store: a search box over actors and places (the
50 most-mentioned of each until you type), a filter by kind, a period and the chart's
frequency. The chart (mentions over time), the keyword-in-context sentences and the list of
articles follow the selection; picking an article shows its profile. All the logic is here,
so it is tested by setting ``.value`` on the real widgets.

It is built for stores of tens of thousands of articles: the mentions are indexed once (month
of each, kind), every update filters arrays and draws the chart, and only what is shown
(the first ``max_rows`` sentences, ``max_articles`` articles, ``list_size`` names per list)
is turned into HTML or options (``benchmarks/explorer.py`` measures it).

Article text is untrusted: every fragment shown in an HTML widget is escaped
(``html.escape``, ``markup.highlight``, pandas' escaping ``to_html``).
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

import ipywidgets as W
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from newsdesk import markup
from newsdesk.analysis import (
    ACTOR_KINDS,
    ALL_KINDS,
    article_actors,
    article_places,
    article_quotes,
    counts_over_time,
    dated_mentions,
    profile_facts,
)
from newsdesk.plots import plot_mentions_over_time
from newsdesk.store import Workbook

#: Kinds listed under "Actors"; places have their own list.
ACTOR_LIST_KINDS = (*ACTOR_KINDS, "group")
PLACE_KINDS = ("place",)
UNDATED = "undated"
#: Characters of context kept on each side of a keyword (the table clips what does not fit).
CONTEXT_CHARS = 120
#: Names listed in each list until something is typed in the search box (and at most after).
LIST_SIZE = 50
MENTION_COLUMNS = ["article_id", "entity_id", "name", "kind", "text", "start", "sentence",
                   "sent_start"]


def plural(n: int, noun: str, nouns: str = "") -> str:
    """``n`` and the noun in the right number: "1 entity", "24 mentions", "1,200 articles"."""
    if n == 1:
        return f"1 {noun}"
    if not nouns:
        nouns = noun[:-1] + "ies" if re.search(r"[^aeiou]y$", noun) else noun + "s"
    return f"{n:,} {nouns}"


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


def fold(text: str) -> str:
    """Text as the search compares it: case and accents folded ("Zelenskyy" ~ "zelenskyy",
    "Sánchez" ~ "sanchez")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_keys(entities: pd.DataFrame) -> pd.Series:
    """What the search box matches for each entity: its name and every alias, folded."""
    aliases = entities["aliases"] if "aliases" in entities else pd.Series(
        [()] * len(entities), index=entities.index)
    return pd.Series(
        [fold("\n".join([name, *(forms if forms is not None else ())]))
         for name, forms in zip(entities["name"], aliases, strict=True)],
        index=entities.index)


def match_entities(
    entities: pd.DataFrame,
    query: str,
    *,
    kinds: Sequence[str],
    keys: pd.Series | None = None,
) -> pd.DataFrame:
    """The entities of ``kinds`` whose name or an alias contains every word of ``query``
    (case and accents ignored), in the order of ``entities``; all of ``kinds`` when the query
    is blank. ``keys`` are ``search_keys(entities)``, computed once by the caller."""
    keys = search_keys(entities) if keys is None else keys
    mask = entities["kind"].isin(kinds).to_numpy()
    for term in fold(query).split():
        mask = mask & keys.str.contains(term, regex=False).to_numpy(dtype=bool)
    return entities[mask]


def kwic(mentions: pd.DataFrame, *, width: int = CONTEXT_CHARS) -> pd.DataFrame:
    """Keyword in context: for each mention, its sentence split into left, keyword, right.

    ``mentions`` needs article_id, name, text, start, end, sentence and sent_start (the
    sentence's offset in the article), so ``left + keyword + right`` is the sentence as read
    (``width`` characters each side at most, clipped with "…").
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


#: The KWIC table takes the panel's width whatever it is: fixed columns, each clipped with
#: an ellipsis (the left context at its start, so the words next to the keyword stay).
KWIC_STYLE = """<style>
table.newsdesk-kwic {table-layout: fixed; width: 100%; border-collapse: collapse;}
table.newsdesk-kwic td, table.newsdesk-kwic th {overflow: hidden; white-space: nowrap;
  text-overflow: ellipsis; padding: 1px 4px;}
table.newsdesk-kwic td.before {direction: rtl; text-align: right;}
table.newsdesk-kwic td.mention, table.newsdesk-kwic th.mention {text-align: center;}
table.newsdesk-kwic tr:nth-child(even) {background: rgba(127, 127, 127, 0.08);}
</style>"""


def kwic_html(table: pd.DataFrame, titles: dict[str, str], *, total: int | None = None) -> str:
    """The KWIC table as escaped HTML that fits any width: article (its title as tooltip),
    left context, keyword, right context."""
    if table.empty:
        return "<p><em>No mentions for this selection.</em></p>"
    esc = html.escape
    rows = "".join(
        "<tr>"
        f"<td title='{esc(titles.get(r.article_id, r.article_id), quote=True)}'>"
        f"{esc(titles.get(r.article_id, r.article_id))}</td>"
        f"<td class='before'><span dir='ltr'>{esc(r.left)}</span></td>"
        f"<td class='mention'><mark title='{esc(r.entity, quote=True)}'>"
        f"{esc(r.keyword)}</mark></td>"
        f"<td>{esc(r.right)}</td>"
        "</tr>"
        for r in table.itertuples(index=False)
    )
    shown = len(table)
    note = (f"<p>{plural(total, 'mention')}; the first {shown:,} are shown.</p>"
            if total is not None and total > shown else f"<p>{plural(shown, 'mention')}.</p>")
    return (f"{KWIC_STYLE}{note}<table class='newsdesk-kwic'><colgroup>"
            "<col style='width:18%'><col style='width:36%'><col style='width:12%'>"
            "<col style='width:34%'></colgroup>"
            "<thead><tr><th>article</th><th style='text-align:right'>before</th>"
            "<th class='mention'>mention</th><th style='text-align:left'>after</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")


#: Profile tables wrap their text to the panel's width.
PROFILE_STYLE = """<style>
div.newsdesk-profile table {max-width: 100%; border-collapse: collapse;}
div.newsdesk-profile td, div.newsdesk-profile th {white-space: normal;
  overflow-wrap: anywhere; padding: 1px 6px; text-align: left; vertical-align: top;}
</style>"""


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
    return f"{PROFILE_STYLE}<div class='newsdesk-profile'>{''.join(parts)}</div>"


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
    """Widgets over a store: find actors and places, filter by kind, choose a period; see
    the chart, the sentences (keyword in context) and an article's profile.

    The controls are attributes: ``search`` (a text box filtering the ``actors`` and
    ``places`` lists as you type), ``kinds`` (a toggle button per kind), ``period``, ``freq``,
    ``undated``, ``article``; so are the outputs (``chart`` an Image widget, ``status``,
    ``kwic`` and ``profile`` HTML widgets) and the data behind them (``counts`` the chart's
    table, ``selection`` every mention shown, ``kwic_rows`` the sentences listed).
    """

    def __init__(
        self,
        workbook: Workbook | str | Path | None = None,
        *,
        freq: str = "month",
        top_n: int = 8,
        max_rows: int = 200,
        max_articles: int = 200,
        list_size: int = LIST_SIZE,
    ) -> None:
        if not isinstance(workbook, Workbook):
            from newsdesk.ingest import open_workbook

            workbook = open_workbook(workbook)
        self.wb = workbook
        self.top_n, self.max_rows = top_n, max_rows
        self.max_articles, self.list_size = max_articles, list_size
        self._index(workbook)
        self._quiet_depth = 0

        self.search = W.Text(placeholder="type to find actors and places (names and aliases)",
                             description="Search", continuous_update=True,
                             layout=W.Layout(width="34em"))
        self.kinds = {kind: W.ToggleButton(value=True, description=kind,
                                           tooltip=f"show {kind} entities",
                                           layout=W.Layout(width="auto"))
                      for kind in ALL_KINDS}
        self.matches = W.HTML()
        self.actors = W.SelectMultiple(rows=10, description="Actors",
                                       layout=W.Layout(width="28em"))
        self.places = W.SelectMultiple(rows=10, description="Places",
                                       layout=W.Layout(width="24em"))
        months = self._month_names
        self.period = W.SelectionRangeSlider(options=months, index=(0, len(months) - 1),
                                             description="Period", layout=W.Layout(width="32em"),
                                             continuous_update=False)
        self.freq = W.Dropdown(options=["day", "week", "month"], value=freq,
                               description="Per", style={"description_width": "initial"},
                               layout=W.Layout(width="10em"))
        self.undated = W.Checkbox(value=True, description="include undated articles",
                                  indent=False, layout=W.Layout(width="auto"))
        self.article = W.Dropdown(options=[], description="Article",
                                  layout=W.Layout(width="100%"))
        self.status = W.HTML()
        self.chart = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.kwic = W.HTML(layout=W.Layout(width="100%"))
        self.profile = W.HTML(layout=W.Layout(width="100%"))
        self.counts = pd.DataFrame()
        self.kwic_rows = kwic(self.selection)
        self.shown: list[str] = []

        tabs = W.Tab(children=[self.kwic, W.VBox([self.article, self.profile])],
                     titles=("Sentences", "Article profile"),
                     layout=W.Layout(width="100%"))
        self.widget = W.VBox([
            W.HBox([self.search, W.HBox(list(self.kinds.values()))]),
            self.matches,
            W.HBox([self.actors, self.places]),
            W.HBox([self.period, self.freq, self.undated]),
            self.status, self.chart, tabs,
        ], layout=W.Layout(width="100%"))
        self.search.observe(self._on_search, names="value")
        for control in (self.actors, self.places, self.period, self.freq, self.undated,
                        *self.kinds.values()):
            control.observe(self._on_selection, names="value")
        self.article.observe(self._on_article, names="value")
        self.update_lists()
        self.refresh()

    def _index(self, wb: Workbook) -> None:
        """What every update reads, computed once (see the three steps)."""
        self._index_entities(wb.entities)
        self._index_articles(wb.articles)
        self._index_mentions(wb.mentions)

    def _index_entities(self, entities: pd.DataFrame) -> None:
        """The entities in order of mentions, with their labels and search keys."""
        entities = entities.sort_values(["mentions", "name"], ascending=[False, True])
        self._entities = entities.reset_index(drop=True)
        self._keys = search_keys(self._entities)
        self._labels = [f"{r.name} ({r.kind}, {r.mentions:,})"
                        for r in self._entities.itertuples(index=False)]
        self._entity_ids = self._entities["entity_id"].to_numpy()
        self._kind_of = dict(zip(self._entity_ids, self._entities["kind"], strict=True))

    def _index_articles(self, articles: pd.DataFrame) -> None:
        """The articles counted (status ok) in the order the sentences are listed (by month,
        undated last, then id), each with its month as a position on the period slider
        (-1: undated), its title and its label in the article list."""
        articles = articles[articles["status"] == "ok"]
        months = article_months(articles)
        self._month_names = month_range(list(months)) or [UNDATED]
        position = {month: i for i, month in enumerate(self._month_names)}
        pos = articles["article_id"].map(months).map(position).fillna(-1).astype("int32")
        articles = articles.assign(_pos=pos, _undated=pos < 0).sort_values(
            ["_undated", "_pos", "article_id"])
        self._article_pos = articles["_pos"].to_numpy()
        self._articles = articles.drop(columns=["_pos", "_undated"]).reset_index(drop=True)
        self._article_ids = self._articles["article_id"].to_numpy()
        self._titles = {a: t if isinstance(t, str) and t else a for a, t in zip(
            self._article_ids, self._articles["title"], strict=True)}
        self._article_labels = {
            a: f"{_short_date(p)} — {self._titles[a]}"
            for a, p in zip(self._article_ids, self._articles["published"], strict=True)}

    def _index_mentions(self, mentions: pd.DataFrame) -> None:
        """The mentions of those articles in the articles' order (then by offset), with their
        article, month position, entity and kind as arrays; and the dated ones counted per
        entity and day, which is all the chart needs."""
        art = pd.Categorical(mentions["article_id"], categories=self._article_ids).codes
        mentions, art = mentions[art >= 0], art[art >= 0]
        order = np.lexsort((mentions["start"].to_numpy(), art))
        self._mentions = mentions[[c for c in MENTION_COLUMNS if c in mentions]].iloc[
            order].reset_index(drop=True)
        self._art = art[order].astype("int32")
        self._pos = self._article_pos[self._art]
        self._ent = pd.Categorical(self._mentions["entity_id"],
                                   categories=self._entity_ids).codes.astype("int32")
        self._kind = self._mentions["kind"].to_numpy()
        self._kinds_seen = set(pd.unique(self._kind))
        self._selected = np.zeros(0, dtype="int64")

        days = dated_mentions(self._articles[["article_id"]], self._articles)["date"]
        dated = (self._pos >= 0) & (self._ent >= 0)
        daily = pd.DataFrame({"entity": self._ent[dated], "pos": self._pos[dated],
                              "date": days.to_numpy()[self._art[dated]]})
        daily = daily.groupby(["entity", "pos", "date"]).size().rename("mentions")
        self._daily = daily.reset_index().assign(
            name=lambda d: self._entities["name"].to_numpy()[d["entity"]])

    # -- display ---------------------------------------------------------------------------
    def show(self) -> None:
        """Display the explorer in the notebook."""
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Changes made by the explorer itself do not trigger an update."""
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    # -- selection -------------------------------------------------------------------------
    def selected_kinds(self) -> list[str]:
        return [kind for kind, button in self.kinds.items() if button.value]

    def _period_mask(self, pos: np.ndarray) -> np.ndarray:
        """Which of the items whose month positions are ``pos`` fall in the chosen period
        (undated ones when the checkbox says so)."""
        first, last = (self._month_names.index(m) for m in self.period.value)
        mask = (pos >= first) & (pos <= last) & (pos >= 0)
        return mask | (pos < 0) if self.undated.value else mask

    def _kind_mask(self) -> np.ndarray:
        """Which mentions are of the chosen kinds."""
        kinds = set(self.selected_kinds())
        mask = np.zeros(len(self._kind), dtype=bool)
        for kind in kinds.intersection(self._kinds_seen):
            mask |= self._kind == kind
        return mask

    def selected_articles(self) -> list[str]:
        """Ids of the articles in the period (and the undated ones, when included)."""
        return list(self._article_ids[self._period_mask(self._article_pos)])

    def selected_entities(self) -> list[str]:
        """The entities shown: those chosen (of the chosen kinds), else the top N by mentions
        in the selected articles."""
        kinds = set(self.selected_kinds())
        chosen = [*self.actors.value, *self.places.value]
        if chosen:
            return [e for e in chosen if self._kind_of.get(e) in kinds]
        mask = self._period_mask(self._pos) & self._kind_mask() & (self._ent >= 0)
        counts = np.bincount(self._ent[mask], minlength=len(self._entity_ids))
        top = np.argsort(-counts, kind="stable")[:self.top_n]  # ties: the entities' order
        return list(self._entity_ids[top[counts[top] > 0]])

    @property
    def selection(self) -> pd.DataFrame:
        """Every mention the sentences table is made of (of the entities shown, in the
        period), in its order."""
        return self._mentions.iloc[self._selected]

    def update_lists(self) -> None:
        """Fill the actors and places lists from the search box and the kinds: the matching
        entities, most-mentioned first, ``list_size`` at most; chosen ones always stay."""
        query = self.search.value.strip()
        kinds = set(self.selected_kinds())
        found = []
        for widget, listed, noun in ((self.actors, ACTOR_LIST_KINDS, "actor"),
                                     (self.places, PLACE_KINDS, "place")):
            matches = match_entities(self._entities, query, keys=self._keys,
                                     kinds=[k for k in listed if k in kinds])
            chosen = widget.value
            options = [(self._labels[i], self._entities.at[i, "entity_id"])
                       for i in matches.index[:self.list_size]]
            values = {value for _, value in options}
            kept = [(self._labels[self._entity_row(e)], e) for e in chosen if e not in values]
            with self._quiet(), widget.hold_sync():
                widget.options = kept + options
                widget.value = chosen
            found.append((len(matches), noun))
        if query:
            text = " and ".join(f"{plural(n, noun)} match" + ("es" if n == 1 else "")
                                for n, noun in found)
            self.matches.value = f"<small>{html.escape(text)} “{html.escape(query)}”.</small>"
        else:
            text = " and ".join(f"{min(n, self.list_size):,} of {plural(n, noun)}"
                                for n, noun in found)
            self.matches.value = (f"<small>The most-mentioned: {html.escape(text)}. Type to "
                                  "search.</small>")

    def _entity_row(self, entity_id: str) -> int:
        return int(np.flatnonzero(self._entities["entity_id"].to_numpy() == entity_id)[0])

    def refresh(self) -> None:
        """Recompute the chart, the KWIC table and the article list from the controls."""
        self.shown = self.selected_entities()
        codes = np.flatnonzero(np.isin(self._entity_ids, self.shown))
        mask = self._period_mask(self._pos) & np.isin(self._ent, codes)
        self._selected = np.flatnonzero(mask)
        self.counts = self._chart_counts(codes)
        self.chart.value = chart_png(self.counts, title=f"Mentions per {self.freq.value}")

        self.kwic_rows = kwic(self._mentions.iloc[self._selected[:self.max_rows]])
        self.kwic.value = kwic_html(self.kwic_rows, self._titles, total=len(self._selected))
        in_selection = pd.unique(self._art[self._selected])
        ids = (list(self._article_ids[in_selection]) if len(in_selection)
               else self.selected_articles())
        articles = int(self._period_mask(self._article_pos).sum())
        listed = ("" if len(ids) <= self.max_articles else
                  f" The article list shows the first {self.max_articles:,}.")
        self.status.value = (
            f"<p>{plural(len(self._selected), 'mention')} of "
            f"{plural(len(self.shown), 'entity')} in {len(in_selection):,} of "
            f"{plural(articles, 'article')} in the period.{listed}</p>"
        )
        self._set_article_options(ids[:self.max_articles])

    def _chart_counts(self, codes: np.ndarray) -> pd.DataFrame:
        """Mentions per period of the entities ``codes`` in the chosen months (the chart
        leaves undated articles out), from the counts per entity and day."""
        first, last = (self._month_names.index(m) for m in self.period.value)
        daily = self._daily
        rows = daily[daily["entity"].isin(codes) & daily["pos"].between(first, last)]
        return counts_over_time(rows, freq=self.freq.value, weight="mentions")

    def _set_article_options(self, ids: Sequence[str]) -> None:
        current = self.article.value
        with self._quiet(), self.article.hold_sync():
            self.article.options = [(self._article_labels.get(a, a), a) for a in ids]
            self.article.value = current if current in ids else (ids[0] if ids else None)
        if not ids:
            self.profile.value = "<p><em>No article in this selection.</em></p>"
        elif self.article.value != current or not self.profile.value:
            self.profile.value = profile_html(self.wb, self.article.value)

    def _on_search(self, change: dict) -> None:
        self.update_lists()

    def _on_selection(self, change: dict) -> None:
        if self._quiet_depth:
            return
        if change["owner"] in self.kinds.values():
            self.update_lists()
        self.refresh()

    def _on_article(self, change: dict) -> None:
        if change["new"] and not self._quiet_depth:
            self.profile.value = profile_html(self.wb, change["new"])

    def show_article(self, article_id: str) -> None:
        """Show one article's profile (it is added to the list if the selection left it out)."""
        if article_id not in dict(self.article.options).values():
            current = self.article.value
            with self._quiet(), self.article.hold_sync():
                self.article.options = [*self.article.options, (self._article_labels.get(
                    article_id, article_id), article_id)]
                self.article.value = current
        self.article.value = article_id
