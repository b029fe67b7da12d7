"""Custom components of source-plutio, each only where the manifest language cannot say it.

- PlutioOAuthAuthenticator: the declarative OAuthAuthenticator, plus (a) ONE token per lifetime shared by
  every stream (the CDK builds one authenticator per stream, and each would fetch its own token; Plutio
  counts token calls against its 1000 calls/hour), (b) renewal shortly BEFORE `accessTokenExpiresAt`
  (the CDK renews only once it has passed), (c) token-endpoint rejections turned into config errors that
  name `client_id` / `client_secret` (the CDK raises a bare HTTP error there).
- DedupAndResumeBoundaryFilter: a record filter that (a) emits each `_id` once per sync (skip/limit paging
  over a live, unsorted collection shows a record twice when a write moves it across a page boundary, and
  the lookback window re-reads records), and (b) on a resumed incremental sync drops records whose
  `updatedAt` equals the slice start (the CDK cursor is inclusive and `q` uses `$gte`, so the record that set
  the state would be re-emitted on every later sync).
- PacedHTTPAPIBudget: the CDK HTTPAPIBudget, logging at INFO how long it will wait once the hourly call budget
  is used up (the CDK logs it at DEBUG only, so a slow sync would look hung).
"""


import hashlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Iterable, Mapping, Optional

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeOauth2Authenticator
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit, HttpAPIBudget
from airbyte_cdk.sources.types import StreamSlice, StreamState
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now, ab_datetime_parse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

logger = logging.getLogger("airbyte")

# The manifest's default when `start_date` is not set (keep the two in step).
DEFAULT_START_DATE = "2000-01-01T00:00:00Z"

# Renew this long before expiry at most, and never more than a tenth of the token's lifetime.
MAX_RENEWAL_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: datetime
    renew_at: datetime


@dataclass
class PlutioOAuthAuthenticator(DeclarativeOauth2Authenticator):
    """Client-credentials OAuth with one shared token per (endpoint, client, business) in this process."""

    _tokens: ClassVar[dict[tuple[str, ...], _Token]] = {}
    _tokens_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def forget_tokens(cls) -> None:
        """Drop every cached token (tests; a new process starts empty anyway)."""
        with cls._tokens_lock:
            cls._tokens.clear()

    def _cache_key(self) -> tuple[str, ...]:
        secret_digest = hashlib.sha256(str(self.get_client_secret()).encode()).hexdigest()
        business = str(self.get_refresh_request_headers().get("Business", ""))
        return (str(self.get_token_refresh_endpoint()), str(self.get_client_id()), secret_digest, business)

    def _fetch(self) -> _Token:
        value, expires_at = self.refresh_access_token()
        expires = expires_at if isinstance(expires_at, datetime) else ab_datetime_parse(str(expires_at))
        now = ab_datetime_now()
        margin = min(MAX_RENEWAL_MARGIN, max(timedelta(0), (expires - now) / 10))
        return _Token(value=value, expires_at=expires, renew_at=expires - margin)

    def _adopt(self, token: _Token) -> str:
        self.access_token = token.value
        self.set_token_expiry_date(token.renew_at)
        return token.value

    def token_has_expired(self) -> bool:
        return ab_datetime_now() >= self.get_token_expiry_date()

    def get_access_token(self) -> str:
        key = self._cache_key()
        with self._tokens_lock:
            token = self._tokens.get(key)
            if token is None or ab_datetime_now() >= token.renew_at:
                token = self._fetch()
                self._tokens[key] = token
        return self._adopt(token)

    def refresh_and_set_access_token(self) -> None:
        """Called on a 401 (REFRESH_TOKEN_THEN_RETRY): renew unless another stream already did."""
        rejected = self._current_access_token_or_none()
        key = self._cache_key()
        with self._tokens_lock:
            token = self._tokens.get(key)
            if token is None or token.value == rejected:
                token = self._fetch()
                self._tokens[key] = token
        self._adopt(token)

    def _make_handled_request(self) -> Any:
        try:
            return super()._make_handled_request()
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (400, 401, 403):
                detail = _error_detail(exc.response)
                raise AirbyteTracedException(
                    message=(
                        "Plutio rejected the API client credentials: check `client_id` and `client_secret` "
                        "(Settings > API manager in Plutio; the secret is shown only once, create a new client if "
                        "it is lost) and that `base_url` names a live API version."
                    ),
                    internal_message=f"Token endpoint answered {status}: {detail}",
                    failure_type=FailureType.config_error,
                ) from exc
            raise


def _error_detail(response: Optional[requests.Response]) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error") or "") + " " + str(body.get("message") or "")
    return str(body)[:200]


def _parse_moment(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = ab_datetime_parse(value)
    except (ValueError, TypeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class DedupAndResumeBoundaryFilter(RecordFilter):
    """Emit each `_id` once per sync and, when resuming from state, only records strictly after it.

    `cursor_field` comes from the stream's $parameters (absent on full-refresh streams), the start date from
    the config; the slice's `start_time` is the state minus the
    lookback on a resumed sync and the configured start on the first one (inclusive there).
    """

    _seen: set = field(default_factory=set, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self.cursor_field = str(parameters.get("cursor_field") or "")

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Iterable[Mapping[str, Any]]:
        boundary = self._resume_boundary(stream_slice)
        for record in records:  # no `condition`: the base class would evaluate an empty one as False
            if boundary is not None:
                value = _parse_moment(record.get(self.cursor_field))
                if value is not None and value <= boundary:
                    continue
            record_id = record.get("_id")
            if record_id is not None:
                with self._lock:
                    if record_id in self._seen:
                        continue
                    self._seen.add(record_id)
            yield record

    def _resume_boundary(self, stream_slice: Optional[StreamSlice]) -> Optional[datetime]:
        if not self.cursor_field or not stream_slice:
            return None
        start = _parse_moment(stream_slice.get("start_time"))
        configured = _parse_moment(self.config.get("start_date") or DEFAULT_START_DATE)
        if start is None or configured is None or start <= configured:
            return None  # first sync (or lookback reaching the start date): keep the inclusive start
        return start


class PacedHTTPAPIBudget(HttpAPIBudget):
    """HttpAPIBudget that says at INFO level when, and for how long, it holds a call back."""

    def _do_acquire(self, request: Any, policy: Any, block: bool, timeout: Optional[float]) -> None:
        try:
            super()._do_acquire(request=request, policy=policy, block=False, timeout=timeout)
            return
        except CallRateLimitHit as exc:
            if not block:
                raise
            wait = max(0.0, exc.time_to_wait.total_seconds())
            logger.info(
                f"Plutio call budget used up ({exc.rate}): waiting {wait:.0f} s before the next call. The sync goes on "
                f"at the allowed pace; raise `requests_per_hour` only if Plutio grants this client more calls."
            )
        super()._do_acquire(request=request, policy=policy, block=block, timeout=timeout)
