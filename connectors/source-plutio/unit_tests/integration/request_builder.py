"""Fluent builder of the HTTP requests the connector must send (one method per endpoint)."""

from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import urlencode

from airbyte_cdk.test.mock_http import HttpRequest

from .config import BASE_URL, BUSINESS, CLIENT_ID, CLIENT_SECRET


class PlutioRequestBuilder:
    @classmethod
    def token(cls, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET, business: str = BUSINESS) -> HttpRequest:
        # Form-encoded, in the order the CDK builds it; the Business header rides along like Plutio's own clients.
        body = urlencode({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret})
        return HttpRequest(
            url=f"{BASE_URL}/oauth/token",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Business": business},
        )

    @classmethod
    def resource(cls, path: str) -> "PlutioRequestBuilder":
        return cls(path)

    def __init__(self, path: str) -> None:
        self._path = path
        self._params: dict[str, Any] = {}
        self._headers: dict[str, str] = {"Business": BUSINESS, "Authorization": "Bearer mock-access-token-1"}

    def with_limit(self, limit: int) -> "PlutioRequestBuilder":
        self._params["limit"] = str(limit)
        return self

    def with_skip(self, skip: int) -> "PlutioRequestBuilder":
        self._params["skip"] = str(skip)
        return self

    def with_updated_since(self, moment: str) -> "PlutioRequestBuilder":
        self._params["q"] = json.dumps({"updatedAt": {"$gte": moment}}, separators=(",", ":"))
        return self

    def with_param(self, name: str, value: str) -> "PlutioRequestBuilder":
        self._params[name] = value
        return self

    def with_token(self, token: str) -> "PlutioRequestBuilder":
        self._headers["Authorization"] = f"Bearer {token}"
        return self

    def with_business(self, business: str) -> "PlutioRequestBuilder":
        self._headers["Business"] = business
        return self

    def build(self, with_headers: Optional[bool] = True) -> HttpRequest:
        return HttpRequest(
            url=f"{BASE_URL}/{self._path}",
            query_params=dict(self._params),
            headers=dict(self._headers) if with_headers else None,
        )
