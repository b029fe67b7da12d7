"""Schemas: valid JSON Schema, never closed, and every stream's response template validates; versions agree."""

import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader
from connector_kit.manifest import load_manifest, resolve

from protime_api import USER_AGENT, template

CONNECTOR = Path(__file__).resolve().parents[1]
STREAMS = [s["name"] for s in resolve(load_manifest("source_protime"))["streams"]]
DELTA_STREAMS = [s["name"] for s in resolve(load_manifest("source_protime"))["streams"] if s["$parameters"].get("delta")]


def schemas(_config=None) -> dict:
    loader = ResourceSchemaLoader("source_protime")
    return {name: loader.get_schema(name) for name in STREAMS}


def _closed(node) -> bool:
    if isinstance(node, dict):
        return node.get("additionalProperties") is False or any(_closed(v) for v in node.values())
    if isinstance(node, list):
        return any(_closed(v) for v in node)
    return False


def test_given_discovered_schemas_when_checked_then_all_streams_are_valid_open_schemas() -> None:
    by_stream = schemas()
    assert sorted(by_stream) == sorted(STREAMS)
    for name, schema in by_stream.items():
        jsonschema.Draft7Validator.check_schema(schema)
        assert not _closed(schema), name
        assert schema["properties"]["id"]["type"] == "integer"
        assert "changeVersion" in schema["properties"]


@pytest.mark.parametrize("stream", STREAMS)
def test_given_response_template_when_validated_then_it_fits_the_stream_schema(stream: str) -> None:
    schema = schemas()[stream]
    for record in template(stream)["value"]:
        jsonschema.validate(record, schema)


def test_given_a_delete_marker_when_validated_then_delta_schemas_accept_it() -> None:
    by_stream = schemas()
    for stream in DELTA_STREAMS:
        jsonschema.validate({"id": 1, "changeVersion": "0A", "_ab_cdc_deleted_at": "2026-01-10T08:00:00Z"}, by_stream[stream])


def test_given_package_metadata_when_compared_then_versions_and_user_agent_agree() -> None:
    version = tomllib.loads((CONNECTOR / "pyproject.toml").read_text())["project"]["version"]
    metadata = yaml.safe_load((CONNECTOR / "metadata.yaml").read_text())["data"]
    assert metadata["dockerImageTag"] == version
    assert USER_AGENT == f"airbyte-source-protime/{version}"
    assert resolve(load_manifest("source_protime"))["definitions"]["base_requester"]["request_headers"]["User-Agent"] \
        == USER_AGENT
