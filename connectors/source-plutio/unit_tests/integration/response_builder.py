"""Responses from the JSON templates in unit_tests/resource/http/response/ and a small record builder."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterable, Optional

from airbyte_cdk.test.mock_http import HttpResponse

RESPONSES = Path(__file__).resolve().parents[1] / "resource" / "http" / "response"


def template(name: str) -> Any:
    return json.loads((RESPONSES / f"{name}.json").read_text())


def record(stream: str, _id: str, updated_at: Optional[str] = None, **fields: Any) -> dict:
    """A record of `stream` from its template, with its own `_id` and cursor value."""
    doc = copy.deepcopy(template(stream)[0])
    doc["_id"] = _id
    if updated_at is not None:
        doc["updatedAt"] = updated_at
    doc.update(fields)
    return doc


def page(records: Iterable[dict], status: int = 200, headers: Optional[dict] = None) -> HttpResponse:
    return HttpResponse(body=json.dumps(list(records)), status_code=status, headers=headers or {})


def from_template(name: str, status: int = 200, headers: Optional[dict] = None) -> HttpResponse:
    return HttpResponse(body=json.dumps(template(name)), status_code=status, headers=headers or {})


def token(access_token: str = "mock-access-token-1", expires_at: str = "2099-01-01T00:00:00.000Z") -> HttpResponse:
    body = template("token")
    body.update(accessToken=access_token, accessTokenExpiresAt=expires_at)
    return HttpResponse(body=json.dumps(body), status_code=200)
