"""Requests and responses of the Protime API for HttpMocker tests: one method per endpoint, `with_*` for parameters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import urlencode

from airbyte_cdk.models import ConfiguredAirbyteCatalog, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.test.state_builder import StateBuilder

HOST = "https://acme.myprotime.eu"
API = f"{HOST}/connector/protimeapi/api/v1"
TOKEN_URL = "https://authentication.myprotime.eu/tenants/acme/connect/token"
RESPONSES = Path(__file__).parent / "resource" / "http" / "response"
USER_AGENT = "airbyte-source-protime/0.1.0"


def config(**overrides: Any) -> dict[str, Any]:
    base = {"tenant": "acme", "client_id": "test-client", "client_secret": "test-secret", "start_date": "2026-01-01"}
    return {**base, **overrides}


def scope(*collections: str) -> str:
    return " ".join(f"connector-protimeapi-{c}.read" for c in collections)


def token_request(scopes: str) -> HttpRequest:
    body = urlencode({"grant_type": "client_credentials", "client_id": "test-client",
                      "client_secret": "test-secret", "scope": scopes})
    return HttpRequest(url=TOKEN_URL, body=body)


def token_response(token: str = "tok-1", expires_in: int = 1800) -> HttpResponse:
    return HttpResponse(json.dumps({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}), 200)


class CollectionRequest:
    """GET /<collection> (or a nextLink / deltaLink path) with its query parameters."""

    def __init__(self, path: str) -> None:
        self._url = path if path.startswith("http") else (f"{HOST}{path}" if path.startswith("/") else f"{API}/{path}")
        self._params: dict[str, str] = {}
        self._headers: dict[str, str] = {"User-Agent": USER_AGENT}

    def with_window(self, start: str, end: str) -> "CollectionRequest":
        self._params["filter"] = f"date ge '{start}' and date le '{end}'"
        return self

    def with_filter(self, expression: str) -> "CollectionRequest":
        self._params["filter"] = expression
        return self

    def with_external_references(self, raw: str) -> "CollectionRequest":
        self._params["externalReferences"] = raw
        return self

    def with_param(self, name: str, value: str) -> "CollectionRequest":
        self._params[name] = value
        return self

    def with_token(self, token: str) -> "CollectionRequest":
        self._headers["Authorization"] = f"Bearer {token}"
        return self

    def build(self) -> HttpRequest:
        return HttpRequest(url=self._url, query_params=self._params or None, headers=self._headers)


def collection(path: str) -> CollectionRequest:
    return CollectionRequest(path)


def template(name: str) -> dict[str, Any]:
    return json.loads((RESPONSES / f"{name}.json").read_text())


def page(records: list[Mapping[str, Any]], next_link: Optional[str] = None, delta_link: Optional[str] = None,
         status: int = 200) -> HttpResponse:
    body: dict[str, Any] = {"value": list(records)}
    if next_link:
        body["nextLink"] = next_link
    if delta_link:
        body["deltaLink"] = delta_link
    return HttpResponse(json.dumps(body), status)


def error(name: str, status: int, headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
    return HttpResponse(json.dumps(template(name)), status, headers=dict(headers or {}))


def catalog(*streams: str, mode: SyncMode = SyncMode.full_refresh) -> ConfiguredAirbyteCatalog:
    builder = CatalogBuilder()
    for name in streams:
        builder.with_stream(name, mode)
    return builder.build()


def state(stream: str, value: Mapping[str, Any]) -> list:
    return StateBuilder().with_stream_state(stream, dict(value)).build()
