"""newsdesk: an analyst workbook for news coverage.

The public API, re-exported here, is what notebooks call. Importing newsdesk does not load
spaCy: only ``ingest`` (and ``nlp.load_pipeline``) do, and only when there is work to do.
"""

from newsdesk import markup
from newsdesk.analysis import (
    ACTOR_KINDS,
    ALL_KINDS,
    article_actors,
    article_places,
    article_quotes,
    articles_overview,
    cooccurrence,
    cooccurrence_matrix,
    date_label,
    drilldown,
    entities_table,
    entity_mentions,
    event_timeline,
    first_last_seen,
    mentions_over_time,
    profile_facts,
    select_mentions,
    top_entities,
    top_pairs,
    undated,
    whats_new,
    who_said_what,
)
from newsdesk.clean import clean_text
from newsdesk.config import model_name
from newsdesk.corpus import Article, read_corpus
from newsdesk.explore import Explorer
from newsdesk.ingest import ingest, open_workbook
from newsdesk.plots import (
    plot_heatmap,
    plot_mentions_over_time,
    plot_network,
    plot_top_entities,
)
from newsdesk.store import Store, StoreError, Workbook

__version__ = "0.1.0"

__all__ = [
    "ACTOR_KINDS",
    "ALL_KINDS",
    "Article",
    "Explorer",
    "Store",
    "StoreError",
    "Workbook",
    "article_actors",
    "article_places",
    "article_quotes",
    "articles_overview",
    "cooccurrence",
    "cooccurrence_matrix",
    "clean_text",
    "date_label",
    "drilldown",
    "entities_table",
    "entity_mentions",
    "event_timeline",
    "first_last_seen",
    "ingest",
    "markup",
    "mentions_over_time",
    "model_name",
    "open_workbook",
    "plot_heatmap",
    "plot_mentions_over_time",
    "plot_network",
    "plot_top_entities",
    "profile_facts",
    "read_corpus",
    "select_mentions",
    "top_entities",
    "top_pairs",
    "undated",
    "whats_new",
    "who_said_what",
]
