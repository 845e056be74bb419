"""newsdesk: an analyst workbook for news coverage.

The public API, re-exported here, is what notebooks call. Names are imported on first use
(PEP 562), so `import newsdesk` is light: the command line starts fast and nothing loads
spaCy, matplotlib or the widgets before they are needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "ACTOR_KINDS": "newsdesk.analysis",
    "ALL_KINDS": "newsdesk.analysis",
    "CHART_KINDS": "newsdesk.analysis",
    "article_actors": "newsdesk.analysis",
    "article_places": "newsdesk.analysis",
    "article_quotes": "newsdesk.analysis",
    "articles_by_month": "newsdesk.analysis",
    "articles_by_source": "newsdesk.analysis",
    "articles_list": "newsdesk.analysis",
    "articles_overview": "newsdesk.analysis",
    "cooccurrence": "newsdesk.analysis",
    "corpus_summary": "newsdesk.analysis",
    "cooccurrence_matrix": "newsdesk.analysis",
    "date_label": "newsdesk.analysis",
    "drilldown": "newsdesk.analysis",
    "entities_table": "newsdesk.analysis",
    "entity_mentions": "newsdesk.analysis",
    "event_timeline": "newsdesk.analysis",
    "first_last_seen": "newsdesk.analysis",
    "mentions_over_time": "newsdesk.analysis",
    "not_counted": "newsdesk.analysis",
    "profile_facts": "newsdesk.analysis",
    "profile_links": "newsdesk.analysis",
    "quality_checks": "newsdesk.analysis",
    "quality_counts": "newsdesk.analysis",
    "quality_table": "newsdesk.analysis",
    "select_mentions": "newsdesk.analysis",
    "top_entities": "newsdesk.analysis",
    "top_pairs": "newsdesk.analysis",
    "undated": "newsdesk.analysis",
    "whats_new": "newsdesk.analysis",
    "who_said_what": "newsdesk.analysis",
    "clean_text": "newsdesk.clean",
    "model_name": "newsdesk.config",
    "Article": "newsdesk.corpus",
    "read_corpus": "newsdesk.corpus",
    "Explorer": "newsdesk.explore",
    "ingest": "newsdesk.ingest",
    "open_workbook": "newsdesk.ingest",
    "markup": "newsdesk.markup",
    "plot_articles_by_month": "newsdesk.plots",
    "plot_heatmap": "newsdesk.plots",
    "plot_mentions_over_time": "newsdesk.plots",
    "plot_network": "newsdesk.plots",
    "plot_top_entities": "newsdesk.plots",
    "Store": "newsdesk.store",
    "StoreError": "newsdesk.store",
    "Workbook": "newsdesk.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsdesk' has no attribute {name!r}")
    value = importlib.import_module(module)
    if module != f"newsdesk.{name}":
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
