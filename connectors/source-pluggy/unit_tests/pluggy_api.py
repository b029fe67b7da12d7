"""Request and response builders of the mock-server tests: one method per Pluggy endpoint, templates on disk."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any, Iterable, Optional

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command, make_file, read
from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse
from airbyte_cdk.test.state_builder import StateBuilder

from source_pluggy import SourcePluggy

BASE_URL = "https://api.pluggy.ai"
CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret"
KEY = "key-one"
TEMPLATES = Path(__file__).parent / "resource" / "http" / "response"
SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "pluggy"


def config(**overrides: Any) -> dict[str, Any]:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **overrides}


def template(name: str) -> Any:
    return json.loads((TEMPLATES / f"{name}.json").read_text())


def record(stream: str, **fields: Any) -> dict[str, Any]:
    """The stream's template record with some fields replaced."""
    body = template(stream)
    found = body if stream == "identity" else body["results"][0]
    return {**copy.deepcopy(found), **fields}


# ---- requests -----------------------------------------------------------------------------------------------
def auth_request() -> HttpRequest:
    return HttpRequest(f"{BASE_URL}/auth", body=json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}))


def get(path: str, key: str = KEY, **params: str) -> HttpRequest:
    return HttpRequest(f"{BASE_URL}{path}", query_params=params or None, headers={"X-API-KEY": key})


def paged(path: str, page: Optional[int] = None, key: str = KEY, **params: str) -> HttpRequest:
    """A page-numbered endpoint: pageSize=500 always, `page` from the second page on."""
    if page and page > 1:
        params["page"] = str(page)
    return get(path, key=key, pageSize="500", **params)


# ---- responses ----------------------------------------------------------------------------------------------
def json_response(body: Any, status: int = 200, headers: Optional[dict] = None) -> HttpResponse:
    return HttpResponse(json.dumps(body), status_code=status, headers=headers or {})


def auth_response(key: str = KEY) -> HttpResponse:
    return json_response({"apiKey": key})


def page_response(records: list[dict], page: int = 1, total_pages: int = 1) -> HttpResponse:
    return json_response({"total": len(records), "totalPages": total_pages, "page": page, "results": records})


def cursor_response(records: list[dict], next_query: Optional[str] = None) -> HttpResponse:
    return json_response({"results": records, "next": next_query})


def error_response(status: int, headers: Optional[dict] = None) -> HttpResponse:
    return json_response(template(str(status)), status=status, headers=headers)


# ---- running the source -------------------------------------------------------------------------------------
def read_streams(streams: Iterable[str], cfg: dict, sync_mode: SyncMode = SyncMode.full_refresh,
                 state: Optional[list] = None, expect_error: bool = False) -> EntrypointOutput:
    builder = CatalogBuilder()
    for name in streams:
        builder = builder.with_stream(name, sync_mode)
    catalog = builder.build()
    source = SourcePluggy(catalog=catalog, config=cfg, state=state)  # state at construction (CDK 7)
    return read(source, cfg, catalog, state, expecting_exception=expect_error)


def stream_state(stream: str, value: dict) -> list:
    return StateBuilder().with_stream_state(stream, value).build()


def mock_parents(http_mocker, items: list[dict], accounts: Optional[list[dict]] = None) -> None:
    """Auth, the item listing and (optionally) each item's accounts."""
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response(items))
    for item in items if accounts is not None else []:
        mine = [a for a in accounts if a["itemId"] == item["id"]]
        http_mocker.get(paged("/accounts", itemId=item["id"]), page_response(mine))


def run_check(cfg: dict) -> tuple[EntrypointOutput, str]:
    """`check` in-process (the CDK has no public helper for it): the output and all it printed, as text."""
    with tempfile.TemporaryDirectory() as folder:
        config_path = make_file(Path(folder) / "config.json", cfg)
        output = _run_command(SourcePluggy(config=cfg), ["check", "--config", config_path])
    printed = "\n".join(str(m) for m in output.get_message_iterator())
    return output, printed
