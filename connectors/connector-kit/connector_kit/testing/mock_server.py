"""Request and response builders for `HttpMocker` tests, in the shape source-stripe uses.

A connector's test package defines one small module: an `Api` with one method per endpoint returning a
`RequestBuilder` (`with_*` for parameters and headers, `build()`), and `Responses` over its JSON templates in
`unit_tests/resource/http/response/` (bodies for the documented answers and the 400/401/403/429/500 errors).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Mapping, Optional

from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse


class RequestBuilder:
    def __init__(self, url: str, headers: Optional[Mapping[str, str]] = None) -> None:
        self._url = url
        self._params: dict[str, str] = {}
        self._headers: dict[str, str] = dict(headers or {})
        self._body: Optional[str] = None

    def with_param(self, name: str, value: Any) -> "RequestBuilder":
        self._params[name] = str(value)
        return self

    def with_params(self, **params: Any) -> "RequestBuilder":
        for name, value in params.items():
            self.with_param(name, value)
        return self

    def with_header(self, name: str, value: str) -> "RequestBuilder":
        self._headers[name] = value
        return self

    def with_body(self, body: Any) -> "RequestBuilder":
        self._body = body if isinstance(body, str) else json.dumps(body)
        return self

    def build(self) -> HttpRequest:
        return HttpRequest(url=self._url, query_params=self._params or None, headers=self._headers or None,
                           body=self._body)


class Responses:
    """JSON templates on disk, and responses built from them or from any body."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def template(self, name: str) -> Any:
        return json.loads((self.folder / f"{name}.json").read_text())

    def json(self, body: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
        return HttpResponse(json.dumps(body), status_code=status, headers=dict(headers or {}))

    def raw(self, text: str, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
        return HttpResponse(text, status_code=status, headers=dict(headers or {}))

    def error(self, status: int, name: Optional[str] = None, headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
        """The template `<name or status>.json` with that status."""
        return self.json(self.template(name or str(status)), status, headers)

    def record(self, template: str, path: tuple = (0,), **fields: Any) -> dict[str, Any]:
        """A record of a template (at `path` inside it) with some fields replaced."""
        node: Any = self.template(template)
        for part in path:
            node = node[part]
        return {**copy.deepcopy(node), **fields}


class SentRequests:
    """The requests the connector really put on the wire (URL as sent, blank parameters included), recorded by
    wrapping `requests.Session.send`: HttpMocker's matching normalises queries, this shows the raw form.
    Create it inside the test, once HttpMocker has put its own `send` in place."""

    def __init__(self, monkeypatch: Any) -> None:
        import requests

        self.urls: list[str] = []
        original = requests.Session.send

        def send(session: Any, request: Any, **kwargs: Any) -> Any:
            self.urls.append(request.url)
            return original(session, request, **kwargs)

        monkeypatch.setattr(requests.Session, "send", send)

    def queries(self, containing: str = "") -> list[str]:
        from urllib.parse import urlsplit

        return [urlsplit(url).query for url in self.urls if containing in url]
