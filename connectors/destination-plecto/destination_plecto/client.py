"""HTTP client of the Plecto API: Basic auth, pacing to the hourly limit, retries with backoff, acknowledgements.

Pacing (connector_kit.pacing: a moving one-hour window of `requests_per_hour` calls, waits logged), timeouts and
backoff (connector_kit.settings and .backoff: Retry-After first, else capped exponential) are the ones every
connector of the repo uses. The retry loop is our own: the CDK's HttpClient is built around declarative streams
and their error handlers; a destination needs only "retry 429 / 5xx / timeouts / dropped or truncated answers,
otherwise surface the status and body to the writer".

A registration POST counts as stored only when Plecto's answer accounts for every registration sent
(`acknowledged`); any other 2xx body is retried, then fails the write naming `trust_any_2xx`.

No redirect is followed (`allow_redirects=False` on the one place that sends): a 3xx would re-send a payload, or
a Basic-auth login, to whatever host it names, and a 2xx from there could pass for Plecto's acknowledgement. A 3xx
is an error naming the status and the scheme and host it points at (never its path or query, which may hold data).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from connector_kit import calls
from connector_kit.backoff import BackoffPolicy
from connector_kit.bounds import AnswerTooLarge, arm_bounds
from connector_kit.pacing import CallPacer
from connector_kit.redact import body_start

from destination_plecto.config import PlectoConfig

USER_AGENT = "airbyte-destination-plecto/0.3.0"
# Answers whose body was cut or garbled in transit: the request is an upsert, so it is safe to send again.
TRANSPORT_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError)


class PlectoError(AirbyteTracedException):
    """An API answer the connector cannot go on with (after retries, where retrying makes sense)."""

    def __init__(self, message: str, failure_type: FailureType = FailureType.system_error,
                 status: int | None = None, body: Any = None) -> None:
        super().__init__(message=message, internal_message=message, failure_type=failure_type)
        self.status = status
        self.body = body


class PlectoBadRequest(PlectoError):
    """400: Plecto rejected the request's content (for a batch: at least one registration in it)."""


class Unacknowledged(Exception):
    """A 2xx whose body does not account for every registration sent: retried like a 5xx."""


def acknowledged(sent: list[dict[str, Any]], body: Any) -> bool:
    """Whether Plecto's answer to a registration POST accounts for each registration in it.

    The shapes there is evidence for: Plecto documents that the answer to one registration carries its `id`;
    a bulk POST is answered with one such object per registration (Bullhorn2Plecto, the emulator). Where the
    objects also carry `external_id`, they must name exactly the registrations sent.
    """
    answers = [body] if isinstance(body, dict) and len(sent) == 1 else body
    if not isinstance(answers, list) or len(answers) != len(sent):
        return False
    if not all(isinstance(a, dict) and a.get("id") not in (None, "") for a in answers):
        return False
    echoed = [str(a["external_id"]) for a in answers if a.get("external_id") is not None]
    return not echoed or sorted(echoed) == sorted(str(r["external_id"]) for r in sent)


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
        max_retries: int | None = None,
        read_timeout_seconds: float | None = None,
    ) -> None:
        self.base_url = config.base_url.rstrip("/")
        self.max_retries = config.http.max_retries if max_retries is None else max_retries
        self.timeout = (config.http.connect_timeout_seconds, read_timeout_seconds or config.http.read_timeout_seconds)
        self.backoff = BackoffPolicy.from_settings(config.http)
        self.trust_any_2xx = config.trust_any_2xx
        self.logger = logger or logging.getLogger("airbyte")
        self.pacer = CallPacer("Plecto", [("", config.requests_per_hour, rate_window)])
        self.session = requests.Session()
        self.session.auth = (config.username, config.password)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        self.session.hooks["response"].append(calls.count_answer)  # the run's last log line reports them
        # Every answer bounded like the sources' (connector_kit.bounds): an overall deadline, the body included
        # (a DeadlineExceeded is a requests Timeout: retried below), and a size after decompression.
        arm_bounds(self.session, config.http)

    # ---- endpoints ----------------------------------------------------------------------------------
    def post_registrations(self, registrations: list[dict[str, Any]]) -> Any:
        """POST a list (Plecto's bulk form); returns Plecto's answer once it accounts for every registration sent.
        400 -> PlectoBadRequest; an answer that never accounts for them -> PlectoError naming `trust_any_2xx`."""
        response = self._request("POST", "/registrations/", json=registrations, expect=registrations)
        return self._json(response, strict=False)

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

    def create_data_source(self, title: str, fields: list[dict[str, Any]]) -> Any:
        """POST /datasources/ once, without retries: a creation is not an upsert, so whoever retries it must first
        look for the title (data_sources.DataSources). 400 -> PlectoBadRequest."""
        response = self._request("POST", "/datasources/", json={"title": title, "fields": fields}, max_retries=0)
        return self._json(response)

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
                 allow: tuple[int, ...] = (), expect: list[dict[str, Any]] | None = None,
                 max_retries: int | None = None) -> requests.Response:
        """Send with retries; `expect`: the registrations a 2xx answer must account for."""
        url = f"{self.base_url}{path}"
        retries = self.max_retries if max_retries is None else max_retries
        # Encoded once for every attempt, with orjson: requests' json= encoder was a tenth of the destination's CPU.
        payload = orjson.dumps(json) if json is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else None
        attempt = 0
        while True:
            reason: str
            wait: float | None = None
            self.pacer.wait_for_url(method, url)
            try:
                response = self.session.request(method, url, params=params, data=payload, headers=headers,
                                                timeout=self.timeout, allow_redirects=False)
                if expect is not None and response.status_code < 300 and not self.trust_any_2xx:
                    self._check_acknowledged(expect, response)
            except AnswerTooLarge as error:  # fetching it again would not make it smaller
                raise PlectoError(f"Plecto: {error.reason}. Raise config field 'max_response_mb' if Plecto really "
                                  "answers this much.", FailureType.system_error) from None
            except TRANSPORT_ERRORS as error:
                reason = type(error).__name__
            except Unacknowledged as error:
                reason, last_body = error.args
            else:
                status = response.status_code
                if status < 300 or status in allow:
                    return response
                if status < 400:
                    raise PlectoError(
                        f"Plecto answered {status} to {method} {path} with a redirect to {redirect_origin(response)} "
                        "(path and query left out). The connector follows no redirect, so nothing was sent there and "
                        "nothing after the last stored state counts as written. Check config field 'base_url': it "
                        "must be the API's own address.", FailureType.config_error, status)
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
                wait = self.backoff.wait(response, attempt + 1) if status in (429, 503) else None
            if attempt >= retries:
                if reason.startswith("unacknowledged"):
                    raise PlectoError(
                        f"Plecto answered {method} {path} with a 2xx whose body does not account for the "
                        f"{len(expect or [])} registration(s) sent, {attempt + 1} time(s): {last_body!r}. Nothing after "
                        "the last stored state counts as written. If your Plecto answers registrations this way and "
                        "stores them, set `trust_any_2xx` to true.", FailureType.system_error)
                raise PlectoError(
                    f"Plecto did not accept {method} {path} after {attempt + 1} attempt(s) (last: {reason}). Nothing "
                    "after the last stored state counts as written; run the sync again later.",
                    FailureType.transient_error)
            attempt += 1
            if wait is None:
                wait = self.backoff.exponential(attempt)
            self.logger.warning(f"Plecto: {reason} on {method} {path}; retry {attempt}/{retries} in {wait:.1f}s")
            time.sleep(wait)

    def _check_acknowledged(self, sent: list[dict[str, Any]], response: requests.Response) -> None:
        try:
            answer = orjson.loads(response.content)
        except ValueError:
            raise Unacknowledged("unacknowledged POST (the answer is not JSON)", body_start(response.content)) from None
        if not acknowledged(sent, answer):
            raise Unacknowledged("unacknowledged POST (the answer does not account for every registration)",
                                 body_start(response.content))

    @staticmethod
    def _json(response: requests.Response, strict: bool = True) -> Any:
        if not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except ValueError as error:
            if strict:
                raise PlectoError(f"Plecto answered {response.request.method} {response.url} with a body that is not JSON: "
                                  f"{response.text[:200]!r}") from error
            return response.text[:500]


def redirect_origin(response: requests.Response) -> str:
    """The scheme, host and port a redirect points at; a relative Location is the answering host's."""
    location = response.headers.get("Location")
    if not location:
        return "no address (the answer has no Location)"
    parts = urlsplit(urljoin(response.url or "", location))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:  # a port that is not a number
        port = ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme and host else "an address that is not a URL"


def _identity(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("id") or item.get("uuid") or repr(sorted(item.items(), key=lambda kv: kv[0]))
    return repr(item)
