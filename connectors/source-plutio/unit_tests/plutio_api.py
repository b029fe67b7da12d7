"""Plutio's endpoints and answers for the HttpMocker tests, on connector_kit's request/response builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import urlencode

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.test.state_builder import StateBuilder
from connector_kit.testing.mock_server import RequestBuilder, Responses
from connector_kit.testing.runner import Outcome, run

from source_plutio.run import main

BASE_URL = "https://api.plutio.com/v1.8"
CLIENT_ID, CLIENT_SECRET, BUSINESS = "mock-client-id", "mock-client-secret", "acme"
START_DATE = "2024-01-01T00:00:00Z"
TOKEN = "mock-access-token-1"
SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "plutio"
responses = Responses(Path(__file__).parent / "resource" / "http" / "response")
template = responses.template


def config(**overrides: Any) -> dict[str, Any]:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "business": BUSINESS, "base_url": BASE_URL,
            "start_date": START_DATE, **overrides}


def record(stream: str, _id: str, updated_at: Optional[str] = None, **fields: Any) -> dict:
    """A record of `stream` from its template, with its own `_id` and cursor value."""
    values = {"_id": _id, **({"updatedAt": updated_at} if updated_at is not None else {}), **fields}
    return responses.record(stream, (0,), **values)


# ---- requests -----------------------------------------------------------------------------------------------
def token_request(client_secret: str = CLIENT_SECRET, business: str = BUSINESS) -> HttpRequest:
    # Form-encoded, in the order the kit builds it; the Business header rides along like Plutio's own clients.
    body = urlencode({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": client_secret})
    return RequestBuilder(f"{BASE_URL}/oauth/token", headers={"Business": business}).with_body(body).build()


def resource(path: str, limit: int = 100, skip: Optional[int] = None, since: Optional[str] = None,
             token: str = TOKEN, business: str = BUSINESS, **params: str) -> HttpRequest:
    """GET /<path>: `limit` always, `skip` from the second page on, `q` on updatedAt for incremental reads."""
    builder = RequestBuilder(f"{BASE_URL}/{path}", headers={"Business": business, "Authorization": f"Bearer {token}"})
    builder.with_param("limit", limit)
    if skip is not None:
        builder.with_param("skip", skip)
    if since is not None:
        builder.with_param("q", json.dumps({"updatedAt": {"$gte": since}}, separators=(",", ":")))
    return builder.with_params(**params).build()


# ---- responses ----------------------------------------------------------------------------------------------
def page(records: list[dict], status: int = 200, headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
    return responses.json(list(records), status, headers)


def token_response(access_token: str = TOKEN, expires_at: str = "2099-01-01T00:00:00.000Z") -> HttpResponse:
    return responses.json({**template("token"), "accessToken": access_token, "accessTokenExpiresAt": expires_at})


# ---- running the source -------------------------------------------------------------------------------------
def read_streams(cfg: dict, streams: Mapping[str, SyncMode], state: Optional[Mapping[str, Any]] = None) -> Outcome:
    builder = CatalogBuilder()
    for name, mode in streams.items():
        builder.with_stream(name, mode)
    states = StateBuilder()
    for name, value in (state or {}).items():
        states.with_stream_state(name, value)
    return run(main, "read", config=cfg, catalog=builder.build(), state=states.build() if state else None)


def run_check(cfg: dict) -> Outcome:
    return run(main, "check", config=cfg)


def final_state(output: Outcome) -> dict:
    return output.most_recent_state.stream_state.__dict__
