"""Plutio's endpoints and answers for the HttpMocker tests, on connector_kit's request/response builders."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit

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


def the_end(http_mocker: Any, path: str, after: int, limit: int = 100, **params: str) -> None:
    """What follows a short page while the sync does not know Plutio's page cap, answered with no record: the sync's
    probe (the collection without `q`, past the page) or a read's next page (the same request for a read without `q`)."""
    http_mocker.get(resource(path, limit, skip=after, **params), page([]))


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
    output = run(main, "read", config=cfg, catalog=builder.build(), state=states.build() if state else None)
    # A call the test did not mock fails inside the connector, where a stream's error could go unnoticed.
    assert "NoMockAddress" not in output.text(), "the sync made a call the test did not mock"
    return output


def run_check(cfg: dict) -> Outcome:
    return run(main, "check", config=cfg)


def final_state(output: Outcome) -> dict:
    return output.most_recent_state.stream_state.__dict__


# ---- a Plutio that serves at most `cap` records per call ---------------------------------------------------------
class CappedPlutio:
    """Plutio as requests_mock callbacks: skip/limit over each resource's records, `limit` silently cut to `cap`, the
    `q` filter on updatedAt ($gte); every call (the token's included) counted by request (path and parameters)."""

    def __init__(self, requests_mock: Any, cap: int, records: Mapping[str, list[dict]]) -> None:
        self.cap, self.records = cap, records
        self.calls: Counter = Counter()
        self._lock = threading.Lock()
        requests_mock.post(f"{BASE_URL}/oauth/token", json=self._token)
        requests_mock.get(re.compile(re.escape(BASE_URL) + r"/[a-z-]+(\?.*)?$"), json=self._page)

    def _token(self, request: Any, context: Any) -> dict:
        with self._lock:
            self.calls[("oauth/token", ())] += 1
        return {**template("token"), "accessToken": TOKEN, "accessTokenExpiresAt": "2099-01-01T00:00:00.000Z"}

    def _page(self, request: Any, context: Any) -> list[dict]:
        parts = urlsplit(request.url)
        params = dict(parse_qsl(parts.query))
        with self._lock:
            self.calls[(parts.path.rsplit("/", 1)[-1], tuple(sorted(params.items())))] += 1
        rows = self.matching(parts.path.rsplit("/", 1)[-1], params.get("q"))
        skip = int(params.get("skip", 0))
        return rows[skip: skip + min(int(params["limit"]), self.cap)]

    def matching(self, resource_: str, q: Optional[str] = None) -> list[dict]:
        since = json.loads(q)["updatedAt"]["$gte"] if q else None
        return [r for r in self.records.get(resource_, []) if since is None or r["updatedAt"] >= since]

    def total_calls(self) -> int:
        return sum(self.calls.values())

    def minimum(self, page_size: int, reads: Mapping[str, Optional[str]]) -> int:
        """The calls a sync needs knowing the cap: per read (resource -> its `since`, or None), records // page + 1,
        a page being min(cap, page_size); plus the token call."""
        served = min(self.cap, page_size)
        return 1 + sum(len(self.matching(r, _q(since))) // served + 1 for r, since in reads.items())


def _q(since: Optional[str]) -> Optional[str]:
    return json.dumps({"updatedAt": {"$gte": since}}) if since else None


def people(count: int, updated_at: str = "2024-02-01T00:00:00.000Z", prefix: str = "p") -> list[dict]:
    return [record("people", f"{prefix}{n}", updated_at) for n in range(count)]
