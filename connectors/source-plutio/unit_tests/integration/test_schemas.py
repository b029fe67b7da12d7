"""Every stream's records validate against its JSON Schema (templates taken from the sandbox's data)."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .request_builder import PlutioRequestBuilder
from .response_builder import page, template, token
from .source_runner import assert_records_match_schema, run_read

INCREMENTAL = {
    "people": "people", "companies": "companies", "projects": "projects", "tasks": "tasks",
    "task_boards": "task-boards", "task_groups": "task-groups", "time_tracks": "time-tracks",
    "invoices": "invoices", "invoice_subscriptions": "invoice-subscriptions", "proposals": "proposals",
    "contracts": "contracts", "items": "items", "notes": "notes", "events": "events", "forms": "forms",
    "form_responses": "form-responses", "file_folders": "file-folders", "files": "files",
}
FULL_REFRESH = {"custom_fields": "custom-fields", "statuses": "statuses", "categories": "categories"}


@pytest.mark.parametrize("stream,path", sorted(INCREMENTAL.items()))
def test_given_incremental_stream_when_read_then_every_record_matches_schema(stream: str, path: str) -> None:
    with HttpMocker() as http_mocker:  # one mocker per parameter set (a decorator would share one)
        http_mocker.post(PlutioRequestBuilder.token(), token())
        http_mocker.get(
            PlutioRequestBuilder.resource(path).with_limit(100).with_updated_since("2024-01-01T00:00:00.000Z").build(),
            page(template(stream)),
        )
        output = run_read(ConfigBuilder().build(), {stream: SyncMode.incremental})
    assert assert_records_match_schema(output) == 1


@pytest.mark.parametrize("stream,path", sorted(FULL_REFRESH.items()))
def test_given_full_refresh_stream_when_read_then_every_record_matches_schema(stream: str, path: str) -> None:
    with HttpMocker() as http_mocker:
        http_mocker.post(PlutioRequestBuilder.token(), token())
        http_mocker.get(PlutioRequestBuilder.resource(path).with_limit(100).build(), page(template(stream)))
        output = run_read(ConfigBuilder().build(), {stream: SyncMode.full_refresh})
    assert assert_records_match_schema(output) == 1


@HttpMocker()
def test_given_comments_when_read_then_every_record_matches_schema(http_mocker: HttpMocker) -> None:
    task = template("tasks")[0]
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(PlutioRequestBuilder.resource("tasks").with_limit(100).build(), page([task]))
    http_mocker.get(
        PlutioRequestBuilder.resource("comments").with_limit(100).with_param("entityType", "task")
        .with_param("entityId", task["_id"]).build(),
        page(template("comments")),
    )
    output = run_read(ConfigBuilder().build(), {"comments": SyncMode.full_refresh})
    assert assert_records_match_schema(output) == 1


def test_given_a_record_of_the_wrong_type_when_validated_then_schema_rejects_it() -> None:
    # Guards the guard: the schemas are strict enough to fail a wrong type.
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[4] / "schemas" / "plutio" / "people.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"_id": 12345}, schema)
