"""Protime's endpoints and answers for the HttpMocker tests, on connector_kit's request/response builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import urlencode

import jsonschema
from airbyte_cdk.models import ConfiguredAirbyteCatalog, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.test.state_builder import StateBuilder
from connector_kit.testing.mock_server import RequestBuilder, Responses
from connector_kit.testing.runner import Outcome, run

from source_protime.run import main

HOST = "https://acme.myprotime.eu"
API = f"{HOST}/connector/protimeapi/api/v1"
TOKEN_URL = "https://authentication.myprotime.eu/tenants/acme/connect/token"
SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "protime"
USER_AGENT = "airbyte-source-protime/0.3.0"
responses = Responses(Path(__file__).parent / "resource" / "http" / "response")
template = responses.template


def config(**overrides: Any) -> dict[str, Any]:
    return {"tenant": "acme", "client_id": "test-client", "client_secret": "test-secret", "start_date": "2026-01-01",
            **overrides}


def scope(*collections: str) -> str:
    return " ".join(f"connector-protimeapi-{c}.read" for c in collections)


# ---- requests -----------------------------------------------------------------------------------------------
def token_request(scopes: str, host: str = TOKEN_URL) -> HttpRequest:
    body = urlencode({"grant_type": "client_credentials", "client_id": "test-client", "client_secret": "test-secret",
                      "scope": scopes})
    return RequestBuilder(host).with_body(body).build()


class CollectionRequest(RequestBuilder):
    """GET /<collection> (or a nextLink / deltaLink path) with its query parameters and the User-Agent."""

    def __init__(self, path: str) -> None:
        url = path if path.startswith("http") else (f"{HOST}{path}" if path.startswith("/") else f"{API}/{path}")
        super().__init__(url, headers={"User-Agent": USER_AGENT})

    def with_window(self, start: str, end: str) -> "CollectionRequest":
        self.with_param("filter", f"date ge '{start}' and date le '{end}'")
        return self

    def with_filter(self, expression: str) -> "CollectionRequest":
        self.with_param("filter", expression)
        return self

    def with_external_references(self, raw: str) -> "CollectionRequest":
        self.with_param("externalReferences", raw)
        return self

    def with_token(self, token: str) -> "CollectionRequest":
        self.with_header("Authorization", f"Bearer {token}")
        return self


def collection(path: str) -> CollectionRequest:
    return CollectionRequest(path)


# ---- responses ----------------------------------------------------------------------------------------------
def token_response(token: str = "tok-1", expires_in: int = 1800) -> HttpResponse:
    return responses.json({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"})


def page(records: list[Mapping[str, Any]], next_link: Optional[str] = None, delta_link: Optional[str] = None,
         status: int = 200) -> HttpResponse:
    body: dict[str, Any] = {"value": list(records)}
    if next_link:
        body["nextLink"] = next_link
    if delta_link:
        body["deltaLink"] = delta_link
    return responses.json(body, status)


def error(name: str, status: int, headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
    return responses.error(status, name, headers)


# ---- running the source -------------------------------------------------------------------------------------
def catalog(*streams: str, mode: SyncMode = SyncMode.full_refresh) -> ConfiguredAirbyteCatalog:
    builder = CatalogBuilder()
    for name in streams:
        builder.with_stream(name, mode)
    return builder.build()


def state(stream: str, value: Mapping[str, Any]) -> list:
    return StateBuilder().with_stream_state(stream, dict(value)).build()


def read(cfg: Mapping[str, Any], streams: ConfiguredAirbyteCatalog, state_: Optional[list] = None) -> Outcome:
    return run(main, "read", config=dict(cfg), catalog=streams, state=state_)


def run_check(cfg: Mapping[str, Any]) -> Outcome:
    return run(main, "check", config=dict(cfg))


def records(output: Outcome, stream: Optional[str] = None) -> list[dict]:
    return [r.record.data for r in output.records if stream is None or r.record.stream == stream]


def states(output: Outcome, stream: str) -> list[Mapping[str, Any]]:
    found = [s.state.stream.stream_state for s in output.state_messages if s.state.stream.stream_descriptor.name == stream]
    return [value.__dict__ if hasattr(value, "__dict__") else dict(value) for value in found]


def last_state(output: Outcome, stream: str) -> Mapping[str, Any]:
    found = states(output, stream)
    assert found, f"no state for {stream}"
    return found[-1]


def assert_valid(output: Outcome) -> None:
    """Every emitted record validates against its stream's JSON schema (as the source discovers it)."""
    import json

    from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader

    loader = ResourceSchemaLoader("source_protime")
    assert output.records, "nothing to validate"
    for message in output.records:
        assert json.dumps(message.record.data)
        jsonschema.validate(message.record.data, loader.get_schema(message.record.stream))
