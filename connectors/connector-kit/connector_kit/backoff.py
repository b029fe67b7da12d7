"""How long to wait before a retry: one policy for every connector and every HTTP call.

- 429: the server's own word first: `Retry-After` (seconds or an HTTP date), else `RateLimit-Reset` (seconds
  until the window resets, as Pluggy sends it); without either, the exponential wait below.
- 5xx, timeouts, resets, bodies that are not the documented shape: exponential, `base * 2**(attempt-1)`,
  capped at `cap` seconds per wait. The total is bounded by the retry count (and by `max_time` where the
  caller has one).

`RetryWaits` is the CDK `BackoffStrategy` the manifests use (`CustomBackoffStrategy`); destination-plecto's
client calls `BackoffPolicy.wait` directly. Each wait is logged once, with its reason, by whoever sleeps.
"""


import email.utils
import logging
from dataclasses import InitVar, dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Optional, Union

import requests
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy

from connector_kit.redact import endpoint_of
from connector_kit.settings import HttpSettings

logger = logging.getLogger("airbyte")

# A server asking for more than this is treated as asking for this much: the sync is paced, not parked.
MAX_SERVER_WAIT_SECONDS = 3600.0


def seconds_from_headers(headers: Mapping[str, str]) -> Optional[float]:
    """The wait a 429 (or 503) asks for: Retry-After, else RateLimit-Reset; None when neither is readable."""
    for name in ("Retry-After", "RateLimit-Reset", "X-RateLimit-Reset"):
        value = headers.get(name)
        if value is None or not str(value).strip():
            continue
        seconds = _header_seconds(str(value).strip())
        if seconds is not None:
            return min(MAX_SERVER_WAIT_SECONDS, seconds)
    return None


def _header_seconds(value: str) -> Optional[float]:
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if number > 10_000_000_000:  # an epoch timestamp rather than a delay (some APIs send that)
            return max(0.0, number - datetime.now(timezone.utc).timestamp())
        return max(0.0, number)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


@dataclass(frozen=True)
class BackoffPolicy:
    base_seconds: float = 2.0
    cap_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: HttpSettings) -> "BackoffPolicy":
        return cls(base_seconds=settings.backoff_seconds, cap_seconds=settings.max_backoff_seconds)

    def exponential(self, attempt: int) -> float:
        """The wait before retry number `attempt` (1-based) when the server gave no hint."""
        return min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))

    def wait(self, response_or_exception: Any, attempt: int) -> float:
        if isinstance(response_or_exception, requests.Response):
            asked = seconds_from_headers(response_or_exception.headers)
            if asked is not None and response_or_exception.status_code in (429, 503):
                return asked
        return self.exponential(attempt)


def describe_attempt(response_or_exception: Any) -> str:
    """A short reason for a log line: `HTTP 503`, `ReadTimeout`, `ConnectionError`..."""
    if isinstance(response_or_exception, requests.Response):
        return f"HTTP {response_or_exception.status_code}"
    if response_or_exception is None:
        return "no answer"
    if type(response_or_exception).__name__ == "UnexpectedBody":
        return "an answer that is not the documented shape"
    if type(response_or_exception).__name__ == "DeadlineExceeded":
        return "no complete answer within `request_deadline_seconds`"
    return type(response_or_exception).__name__


@dataclass
class RetryWaits(BackoffStrategy):
    """The CDK backoff strategy of every manifest: `BackoffPolicy` with the config's settings, one log line per wait.

    The CDK adds one second to every wait a strategy returns, and logs its own generic line; the entry point
    drops that line (see `entrypoint.QuietRetryLog`), so the one below is the only one a user sees.
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    vendor: str = "The API"
    _policy: BackoffPolicy = field(init=False, repr=False)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._policy = BackoffPolicy.from_settings(HttpSettings.from_config(self.config))

    def backoff_time(
        self,
        response_or_exception: Optional[Union[requests.Response, requests.RequestException]],
        attempt_count: int,
    ) -> Optional[float]:
        seconds = self._policy.wait(response_or_exception, attempt_count)
        logger.info(f"{self.vendor}: {describe_attempt(response_or_exception)} on {_endpoint(response_or_exception)}; "
                    f"waiting {seconds:.1f} s before retry {attempt_count}.")
        return seconds


def _endpoint(response_or_exception: Any) -> str:
    request = getattr(response_or_exception, "request", None)
    return "the request" if request is None else endpoint_of(request)
