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
    date_label,
    entities_table,
    entity_mentions,
    mentions_over_time,
    profile_facts,
    top_entities,
    undated,
    who_said_what,
)
from newsdesk.clean import clean_text
from newsdesk.config import model_name
from newsdesk.corpus import Article, read_corpus
from newsdesk.ingest import ingest, open_workbook
from newsdesk.plots import plot_mentions_over_time, plot_top_entities
from newsdesk.store import Store, StoreError, Workbook

__version__ = "0.1.0"

__all__ = [
    "ACTOR_KINDS",
    "ALL_KINDS",
    "Article",
    "Store",
    "StoreError",
    "Workbook",
    "article_actors",
    "article_places",
    "article_quotes",
    "articles_overview",
    "clean_text",
    "date_label",
    "entities_table",
    "entity_mentions",
    "ingest",
    "markup",
    "mentions_over_time",
    "model_name",
    "open_workbook",
    "plot_mentions_over_time",
    "plot_top_entities",
    "profile_facts",
    "read_corpus",
    "top_entities",
    "undated",
    "who_said_what",
]
