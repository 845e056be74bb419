"""The analyst's overrides (data/aliases.yml) on the sample's real mentions."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from newsdesk.config import ALIASES_FILE
from newsdesk.corpus import CorpusError, read_aliases
from newsdesk.entities import parse_overrides
from newsdesk.ingest import resolve_store
from newsdesk.resolution import resolve
from newsdesk.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def raw(sample_db) -> tuple[pd.DataFrame, pd.DataFrame]:
    with Store(sample_db, read_only=True) as store:
        return store.query("SELECT * FROM raw_mentions"), store.query("SELECT * FROM raw_roles")


def _resolve(raw, overrides: dict):
    mentions, roles = raw
    return resolve(mentions, raw_roles=roles, overrides=parse_overrides(overrides))


def _names(result, kind: str | None = None) -> set[str]:
    entities = result.entities
    return set(entities[entities["kind"] == kind]["name"] if kind else entities["name"])


def test_overrides_none_is_the_automatic_resolution(raw):
    assert _names(_resolve(raw, {})) == _names(_resolve(raw, None))


def test_overrides_merge_folds_names_into_one_entity(raw):
    result = _resolve(raw, {"merge": {"Russian Federation": ["Russia", "Moscow"]}})
    assert "Russia" not in _names(result) and "Moscow" not in _names(result)
    merged = result.entities.set_index("name").loc["Russian Federation"]
    assert {"Russia", "Moscow"} <= set(merged["aliases"])
    before = _resolve(raw, {}).entities.set_index("name")
    assert merged["mentions"] == before.loc["Russia", "mentions"] + before.loc[
        "Moscow", "mentions"]


def test_overrides_split_keeps_surname_apart(raw):
    result = _resolve(raw, {"split": [["Putin", "Vladimir Putin"]]})
    people = result.entities[result.entities["kind"] == "person"].set_index("name")
    assert "Putin" in people.index and "Vladimir Putin" in people.index
    assert "Putin" not in people.loc["Vladimir Putin", "aliases"]


@pytest.mark.parametrize(
    ("section", "value", "check"),
    [
        ("rename", {"Kremlin": "Russian presidency"},
         lambda r: "Russian presidency" in _names(r, "organization") and "Kremlin" not in
         _names(r)),
        ("kind", {"Zaryadye Park": "organization"},
         lambda r: "Zaryadye Park" in _names(r, "organization")),
        ("ignore", ["Reuters", "cnn"],
         lambda r: not {"Reuters", "CNN"} & _names(r)
         and not r.mentions["text"].isin(["Reuters", "CNN"]).any()),
    ],
)
def test_overrides_rename_kind_ignore(raw, section, value, check):
    assert check(_resolve(raw, {section: value}))


def test_overrides_place_pinned_by_coordinates_or_name(raw):
    result = _resolve(raw, {"place": {"Donbas": {"country": "Ukraine", "lat": 48.0,
                                                 "lon": 37.8},
                                      "Washington": "Washington, United Kingdom"}})
    ents = result.entities.set_index("name")
    assert (ents.loc["Donbas", "country"], ents.loc["Donbas", "lat"]) == ("Ukraine", 48.0)
    assert ents.loc["Washington", "country"] == "United Kingdom"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("merge: [a, b]\n", "merge"),
        ("kind:\n  Kremlin: building\n", "building"),
        ("colour: {}\n", "unknown section"),
        ("merge: {a: [b\n", "aliases.yml"),
    ],
)
def test_overrides_malformed_file_names_file_and_problem(tmp_path, text, message):
    path = tmp_path / "aliases.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=message) as info:
        read_aliases(path)
    assert str(path) in str(info.value)


def test_overrides_committed_example_file_parses_and_is_inert():
    assert read_aliases(ALIASES_FILE) == parse_overrides(
        yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8")))


def test_overrides_applied_to_store_without_reparsing(sample_db, tmp_path):
    db = tmp_path / "copy.duckdb"
    db.write_bytes(sample_db.read_bytes())
    aliases = tmp_path / "aliases.yml"
    aliases.write_text("rename:\n  Vladimir Putin: V. Putin\n", encoding="utf-8")
    with Store(db) as store:
        resolve_store(store, aliases=aliases)
        names = set(store.table("entities")["name"])
        runs = store.query("SELECT count(*) AS n FROM runs")["n"][0]
    assert "V. Putin" in names and "Vladimir Putin" not in names
    assert runs == 1, "re-resolving must not ingest"
