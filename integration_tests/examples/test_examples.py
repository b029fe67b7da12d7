"""Each connector's example config and configured catalog (connectors/<name>/examples/, linked from its docs page)
are what the connector accepts: the config is valid for its printed spec, and every stream of the catalog is one
that `discover` prints, in a sync mode, cursor and primary key it supports. The README runs them for real against
the sandbox (integration_tests/readme/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer
from jsonschema import Draft7Validator

from conftest import CONNECTORS, SOURCES, connector_dir, printed_catalog, printed_spec

DESTINATION_SYNC_MODES = {"append", "overwrite", "append_dedup", "overwrite_dedup"}


def example(connector: str, name: str) -> Path:
    return connector_dir(connector) / "examples" / name


def load(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_example_config_when_validated_against_the_printed_spec_then_it_is_valid(connector):
    errors = Draft7Validator(printed_spec(connector)["connectionSpecification"]).iter_errors(
        load(example(connector, "config.json")))
    assert [error.message for error in errors] == []


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_example_catalog_when_loaded_then_it_is_a_configured_catalog(connector):
    catalog = load(example(connector, "configured_catalog.json"))
    ConfiguredAirbyteCatalogSerializer.load(catalog)
    for entry in catalog["streams"]:
        assert entry["destination_sync_mode"] in DESTINATION_SYNC_MODES
        assert entry["destination_sync_mode"] not in ("append_dedup", "overwrite_dedup") or entry.get("primary_key")


@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_source_example_catalog_when_compared_with_discover_then_each_stream_is_offered_as_configured(
        connector):
    offered = printed_catalog(connector, example(connector, "config.json"))
    for entry in load(example(connector, "configured_catalog.json"))["streams"]:
        stream = offered.get(entry["stream"]["name"])
        assert stream is not None, f"{entry['stream']['name']} is not a stream of {connector}"
        assert entry["sync_mode"] in stream["supported_sync_modes"], stream["name"]
        assert entry.get("primary_key") == stream.get("source_defined_primary_key"), stream["name"]
        if entry["sync_mode"] == "incremental":
            assert entry.get("cursor_field") == stream.get("default_cursor_field"), stream["name"]


def test_given_the_destination_example_when_compared_with_its_spec_then_every_catalog_stream_is_mapped():
    connector = "destination-plecto"
    supported = set(printed_spec(connector)["supported_destination_sync_modes"])
    mapped = {mapping["stream"] for mapping in load(example(connector, "config.json"))["streams"]}
    for entry in load(example(connector, "configured_catalog.json"))["streams"]:
        assert entry["destination_sync_mode"] in supported
        assert entry["stream"]["name"] in mapped
