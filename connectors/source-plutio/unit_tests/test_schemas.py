"""Every stream of the manifest: its records validate against its JSON Schema (vendor-shaped templates where the
repo has one; the sandbox tests validate every stream's records too)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from connector_kit.manifest import load_manifest, resolve

from plutio_api import (SCHEMAS, config, page, read_streams, resource, responses, template, the_end, token_request,
                        token_response)

STREAMS = {s["name"]: s for s in resolve(load_manifest("source_plutio"))["streams"]}
WITH_TEMPLATE = sorted(name for name in STREAMS if (responses.folder / f"{name}.json").exists() and name != "comments")


@pytest.mark.parametrize("stream", WITH_TEMPLATE)
def test_given_vendor_payload_when_read_then_every_record_matches_schema(stream: str) -> None:
    incremental = "incremental_sync" in STREAMS[stream]
    path = STREAMS[stream]["$parameters"]["resource"]
    with HttpMocker() as http_mocker:  # one mocker per parameter set (a decorator would share one)
        http_mocker.post(token_request(), token_response())
        http_mocker.get(resource(path, since="2024-01-01T00:00:00.000Z" if incremental else None), page(template(stream)))
        the_end(http_mocker, path, after=len(template(stream)))
        output = read_streams(config(), {stream: SyncMode.incremental if incremental else SyncMode.full_refresh})
    schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
    assert len(output.records) == 1
    for message in output.records:
        jsonschema.validate(message.record.data, schema)


@HttpMocker()
def test_given_comments_when_read_then_every_record_matches_schema(http_mocker) -> None:
    task = template("tasks")[0]
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("tasks"), page([task]))
    the_end(http_mocker, "tasks", after=1)
    http_mocker.get(resource("comments", entityType="task", entityId=task["_id"]), page(template("comments")))
    the_end(http_mocker, "comments", after=1, entityType="task", entityId=task["_id"])  # 1 of 1 served: it reads on
    output = read_streams(config(), {"comments": SyncMode.full_refresh})
    schema = json.loads((SCHEMAS / "comments.json").read_text())
    assert len(output.records) == 1
    jsonschema.validate(output.records[0].record.data, schema)


def test_given_every_manifest_stream_then_it_has_a_schema_that_allows_additional_properties() -> None:
    for name in STREAMS:
        schema = json.loads((SCHEMAS / f"{name}.json").read_text())
        jsonschema.Draft7Validator.check_schema(schema)
        assert schema.get("additionalProperties") is not False, name


def test_given_a_record_of_the_wrong_type_when_validated_then_schema_rejects_it() -> None:
    # Guards the guard: the schemas are strict enough to fail a wrong type.
    schema = json.loads((SCHEMAS / "people.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"_id": 12345}, schema)
