"""HTTP client of the Plecto API: Basic auth, pacing to the hourly limit, retries with backoff.

Pacing uses the CDK's call-rate machinery (a moving one-hour window, `requests_per_hour` calls), so the
connector waits before Plecto has to answer 429. The retry loop is our own: the CDK's HttpClient is built
around declarative streams and its error handlers; a destination needs only "retry 429 / 5xx / timeouts /
dropped connections, honour Retry-After, otherwise surface the status and body to the writer".
"""

from __future__ import annotations

import email.utils
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.call_rate import APIBudget, LimiterSession, MovingWindowCallRatePolicy, Rate
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_plecto.config import PlectoConfig

USER_AGENT = "airbyte-destination-plecto/0.1.0"
MAX_RETRY_AFTER_SECONDS = 3600.0
MAX_BACKOFF_SECONDS = 60.0


class PlectoError(AirbyteTracedException):
    """An API answer the connector cannot go on with (after retries, where retrying makes sense)."""

    def __init__(self, message: str, failure_type: FailureType = FailureType.system_error,
                 status: int | None = None, body: Any = None) -> None:
        super().__init__(message=message, internal_message=message, failure_type=failure_type)
        self.status = status
        self.body = body


class PlectoBadRequest(PlectoError):
    """400: Plecto rejected the request's content (for a batch: at least one registration in it)."""


def describe(body: Any) -> str:
    """The reason in an error body, short enough for a log line."""
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "errors"):
            if body.get(key):
                reason = str(body[key])
                if body.get("id") is not None:
                    reason += f" (id {body['id']})"
                return reason[:500]
    return str(body)[:500]


class PlectoClient:
    def __init__(
        self,
        config: PlectoConfig,
        logger: logging.Logger | None = None,
        rate_window: timedelta = timedelta(hours=1),
        timeout: tuple[float, float] = (10.0, 120.0),
        backoff_factor: float = 1.0,
        max_retries: int | None = None,
    ) -> None:
        self.base_url = config.base_url.rstrip("/")
        self.max_retries = config.max_retries if max_retries is None else max_retries
        self.timeout = timeout
        self.backoff_factor = backoff_factor
        self.logger = logger or logging.getLogger("airbyte")
        budget = APIBudget(policies=[MovingWindowCallRatePolicy(
            rates=[Rate(limit=config.requests_per_hour, interval=rate_window)], matchers=[])])
        self.session = LimiterSession(api_budget=budget)
        self.session.auth = (config.username, config.password)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})

    # ---- endpoints ----------------------------------------------------------------------------------
    def post_registrations(self, registrations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST a list (Plecto's bulk form); returns Plecto's answer per registration. 400 -> PlectoBadRequest."""
        response = self._request("POST", "/registrations/", json=registrations)
        body = self._json(response)
        return body if isinstance(body, list) else [body]

    def iter_registrations(self, data_source: str, reference: str | None = None) -> Iterator[dict[str, Any]]:
        params = {"data_source": data_source, **({"reference": reference} if reference is not None else {})}
        yield from self._paged("/registrations/", params)

    def delete_registration(self, data_source: str, registration_id: str) -> bool:
        """True when deleted, False when it was already gone."""
        response = self._request("DELETE", f"/registrations/{data_source}/{registration_id}/", allow=(404,))
        return response.status_code != 404

    def list_data_sources(self) -> list[dict[str, Any]]:
        return list(self._paged("/datasources/", {}, bare_list_is_complete=True))

    def get_data_source(self, uuid: str) -> dict[str, Any] | None:
        response = self._request("GET", f"/datasources/{uuid}/", allow=(404,))
        return None if response.status_code == 404 else self._json(response)

    # ---- paging -------------------------------------------------------------------------------------
    def _paged(self, path: str, params: Mapping[str, Any], bare_list_is_complete: bool = False) -> Iterator[dict[str, Any]]:
        """Follow `page=` through a DRF envelope ({count, next, results}); a bare list is read page by page until
        an empty page, a 404 or a page with nothing new (a server that ignores `page`)."""
        page, seen = 1, set()
        while True:
            query = dict(params, **({"page": page} if page > 1 else {}))
            response = self._request("GET", path, params=query, allow=(404,) if page > 1 else ())
            if response.status_code == 404:  # DRF: "Invalid page." past the last one
                return
            body = self._json(response)
            if isinstance(body, dict) and isinstance(body.get("results"), list):
                items = body["results"]
                more = bool(body.get("next")) if "next" in body else bool(items)
            elif isinstance(body, list):
                items, more = body, bool(body) and not bare_list_is_complete
            else:
                raise PlectoError(f"Plecto answered GET {path} with an unexpected body: {str(body)[:200]}")
            fresh = [item for item in items if _identity(item) not in seen]
            if items and not fresh:
                return
            for item in fresh:
                seen.add(_identity(item))
                yield item
            if not more:
                return
            page += 1

    # ---- transport ----------------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
                 allow: tuple[int, ...] = ()) -> requests.Response:
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            reason: str
            wait: float | None = None
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as error:
                reason = f"{type(error).__name__}"
            else:
                status = response.status_code
                if status < 300 or status in allow:
                    return response
                body = self._json(response, strict=False)
                if status == 400:
                    raise PlectoBadRequest(f"Plecto rejected {method} {path}: {describe(body)}", FailureType.config_error,
                                           status, body)
                if status in (401, 403):
                    raise PlectoError(
                        f"Plecto answered {status} to {method} {path} ({describe(body)}): check config fields "
                        "'username' and 'password' and that this employee may use the API and the data sources.",
                        FailureType.config_error, status, body)
                if status != 429 and status < 500:
                    raise PlectoError(f"Plecto answered {status} to {method} {path}: {describe(body)}",
                                      FailureType.system_error, status, body)
                reason = f"HTTP {status}"
                if status == 429:
                    wait = _retry_after(response.headers.get("Retry-After"))
            if attempt >= self.max_retries:
                raise PlectoError(
                    f"Plecto did not accept {method} {path} after {attempt + 1} attempt(s) (last: {reason}).",
                    FailureType.transient_error)
            attempt += 1
            if wait is None:
                wait = min(MAX_BACKOFF_SECONDS, self.backoff_factor * 2 ** (attempt - 1))
            self.logger.warning(f"Plecto: {reason} on {method} {path}; retry {attempt}/{self.max_retries} in {wait:.1f}s")
            time.sleep(wait)

    @staticmethod
    def _json(response: requests.Response, strict: bool = True) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            if strict:
                raise PlectoError(f"Plecto answered {response.request.method} {response.url} with a body that is not JSON: "
                                  f"{response.text[:200]!r}") from error
            return response.text[:500]


def _identity(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("id") or item.get("uuid") or repr(sorted(item.items(), key=lambda kv: kv[0]))
    return repr(item)


def _retry_after(header: str | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or HTTP date); None when absent or unreadable."""
    if not header:
        return None
    try:
        return min(MAX_RETRY_AFTER_SECONDS, max(0.0, float(header)))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return min(MAX_RETRY_AFTER_SECONDS, max(0.0, (moment - datetime.now(timezone.utc)).total_seconds()))
