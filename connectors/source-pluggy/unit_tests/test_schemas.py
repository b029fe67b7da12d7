"""Every record each stream emits validates against its JSON Schema in schemas/pluggy/, parent ids included."""

from __future__ import annotations

import json

import jsonschema
import pytest
from airbyte_cdk.test.mock_http import HttpMocker

from pluggy_api import (SCHEMAS, auth_request, auth_response, config, cursor_response, get, json_response,
                        mock_parents, page_response, paged, read_streams, record, template)

ITEM = record("items")
ACCOUNT = record("accounts", itemId=ITEM["id"], type="CREDIT")
INVESTMENT = record("investments", itemId=ITEM["id"])
EPOCH = "1970-01-01T00:00:00.000Z"
PARENT_ID = {"bills": ("accountId", ACCOUNT["id"]), "investment_transactions": ("investmentId", INVESTMENT["id"]),
             "loans": ("itemId", ITEM["id"]), "identity": ("itemId", ITEM["id"])}


def mock_endpoints_of(stream: str, http_mocker) -> None:
    """Exactly the calls a read of `stream` makes (HttpMocker fails a test whose mocks are not all called)."""
    if stream in ("categories", "connectors"):
        http_mocker.post(auth_request(), auth_response())
    else:
        needs_accounts = stream in ("accounts", "transactions", "bills")
        mock_parents(http_mocker, [ITEM], [ACCOUNT] if needs_accounts else None)
    if stream in ("investments", "investment_transactions"):
        http_mocker.get(paged("/investments", itemId=ITEM["id"]), page_response([INVESTMENT]))
    own = {
        "transactions": (get("/v2/transactions", accountId=ACCOUNT["id"], createdAtFrom=EPOCH),
                         cursor_response(template("transactions")["results"])),
        "bills": (paged("/bills", accountId=ACCOUNT["id"]), json_response(template("bills"))),
        "investment_transactions": (paged(f"/investments/{INVESTMENT['id']}/transactions"),
                                    json_response(template("investment_transactions"))),
        "loans": (paged("/loans", itemId=ITEM["id"]), json_response(template("loans"))),
        "identity": (get("/identity", itemId=ITEM["id"]), json_response(template("identity"))),
        "categories": (paged("/categories"), json_response(template("categories"))),
        "connectors": (paged("/connectors"), json_response(template("connectors"))),
    }
    if stream in own:
        http_mocker.get(*own[stream])


STREAMS = sorted(p.stem for p in SCHEMAS.glob("*.json"))


@pytest.mark.parametrize("stream", STREAMS)
def test_given_vendor_payload_when_reading_stream_then_every_record_validates_against_its_schema(stream):
    with HttpMocker() as http_mocker:
        mock_endpoints_of(stream, http_mocker)
        output = read_streams([stream], config())

    schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    assert output.records, f"{stream} emitted nothing"
    for message in output.records:
        jsonschema.validate(message.record.data, schema)
        if stream in PARENT_ID:
            field, value = PARENT_ID[stream]
            assert message.record.data[field] == value


def test_given_all_schemas_then_none_forbids_additional_properties():
    for path in SCHEMAS.glob("*.json"):
        assert json.loads(path.read_text()).get("additionalProperties") is not False, path.name
