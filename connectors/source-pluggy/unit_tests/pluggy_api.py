"""Pluggy's endpoints and answers for the HttpMocker tests, on connector_kit's request/response builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.test.state_builder import StateBuilder
from connector_kit.testing.mock_server import RequestBuilder, Responses
from connector_kit.testing.runner import Outcome, run

from source_pluggy.run import main

BASE_URL = "https://api.pluggy.ai"
CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret"
KEY = "key-one"
SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "pluggy"
responses = Responses(Path(__file__).parent / "resource" / "http" / "response")
template = responses.template


def config(**overrides: Any) -> dict[str, Any]:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **overrides}


def record(stream: str, **fields: Any) -> dict[str, Any]:
    """The stream's template record with some fields replaced."""
    return responses.record(stream, () if stream == "identity" else ("results", 0), **fields)


# ---- requests -----------------------------------------------------------------------------------------------
def auth_request() -> HttpRequest:
    return RequestBuilder(f"{BASE_URL}/auth").with_body({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}).build()


def get(path: str, key: str = KEY, **params: str) -> HttpRequest:
    return RequestBuilder(f"{BASE_URL}{path}", headers={"X-API-KEY": key}).with_params(**params).build()


def paged(path: str, page: Optional[int] = None, key: str = KEY, **params: str) -> HttpRequest:
    """A page-numbered endpoint: pageSize=500 always, `page` from the second page on."""
    if page and page > 1:
        params["page"] = str(page)
    return get(path, key=key, pageSize="500", **params)


# ---- responses ----------------------------------------------------------------------------------------------
json_response = responses.json


def auth_response(key: str = KEY) -> HttpResponse:
    return responses.json({"apiKey": key})


def page_response(records: list[dict], page: int = 1, total_pages: int = 1) -> HttpResponse:
    return responses.json({"total": len(records), "totalPages": total_pages, "page": page, "results": records})


def cursor_response(records: list[dict], next_query: Optional[str] = None) -> HttpResponse:
    return responses.json({"results": records, "next": next_query})


def error_response(status: int, headers: Optional[dict] = None) -> HttpResponse:
    return responses.error(status, headers=headers)


# ---- running the source -------------------------------------------------------------------------------------
def read_streams(streams: Iterable[str], cfg: dict, sync_mode: SyncMode = SyncMode.full_refresh,
                 state: Optional[list] = None) -> Outcome:
    builder = CatalogBuilder()
    for name in streams:
        builder = builder.with_stream(name, sync_mode)
    return run(main, "read", config=cfg, catalog=builder.build(), state=state)


def run_check(cfg: dict) -> Outcome:
    return run(main, "check", config=cfg)


def stream_state(stream: str, value: dict) -> list:
    return StateBuilder().with_stream_state(stream, value).build()


def mock_parents(http_mocker, items: list[dict], accounts: Optional[list[dict]] = None) -> None:
    """Auth, the item listing and (optionally) each item's accounts."""
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response(items))
    for item in items if accounts is not None else []:
        mine = [a for a in accounts if a["itemId"] == item["id"]]
        http_mocker.get(paged("/accounts", itemId=item["id"]), page_response(mine))
