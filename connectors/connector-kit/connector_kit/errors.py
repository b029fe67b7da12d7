"""What each HTTP answer or failure means, in words a user can act on: the error handler of every manifest.

`VendorErrorHandler` (a `CustomErrorHandler`) applies, in order:
1. the manifest's own `response_filters` (stock `HttpResponseFilter`s: the vendor-specific statuses and
   messages, e.g. "403: grant the scope"), first match wins;
2. what the CDK cannot say by itself:
   - `contract.UnexpectedBody` (a 2xx that is not the documented shape): retried, then a system error quoting it;
   - `origins.ForeignRedirect` (a redirect to another host): not followed, a config error naming the host;
   - `bounds.DeadlineExceeded` (past `request_deadline_seconds`): retried like a timeout, then a transient error;
   - `bounds.AnswerTooLarge` (over `max_response_mb`): not retried (it would come again), a system error;
   - timeouts, resets and dropped connections: retried like a 5xx, then a transient error naming the endpoint;
   - any other status: 429 waits, 408/5xx retry, other 4xx fail, each with the vendor's own message.

Waits come from `backoff.RetryWaits` and the retry count from the config (`settings.HttpSettings`). The
message of the resolution is what the final TRACE of a failed sync shows (see `entrypoint.FailureReport`).
"""


from dataclasses import InitVar, dataclass, field
from typing import Any, List, Mapping, Optional, Union

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.error_handlers.http_response_filter import HttpResponseFilter
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction

from connector_kit.backoff import RetryWaits
from connector_kit.bounds import AnswerTooLarge, DeadlineExceeded
from connector_kit.contract import UnexpectedBody
from connector_kit.origins import ForeignRedirect
from connector_kit.redact import body_start, endpoint_of, mask
from connector_kit.settings import HttpSettings

SUCCESS = ErrorResolution(response_action=ResponseAction.SUCCESS, failure_type=None, error_message=None)

# The longest a call may keep being retried, waits included (the retry count usually ends it first).
MAX_RETRY_SECONDS = 1800


def vendor_message(response: requests.Response) -> str:
    """The vendor's own words from an error body: the usual keys of JSON error envelopes, else the body start."""
    try:
        body = response.json()
    except ValueError:
        return body_start(response.content)
    return _message_in(body) or body_start(response.content)


def _message_in(body: Any) -> str:
    """The first message-like field, with a stable error code after it when the body has one as well."""
    if not isinstance(body, dict):
        return ""
    text, used = "", None
    for key in ("message", "error_description", "detail", "error", "errors", "reasons", "codeDescription"):
        value = body.get(key)
        if isinstance(value, dict):
            value = _message_in(value)
        elif isinstance(value, list):
            value = "; ".join(_message_in(v) if isinstance(v, dict) else str(v) for v in value)
        if value:
            text, used = mask(str(value))[:300], key  # masked before it is cut: a cut secret would not match
            break
    for key in ("codeDescription", "error", "code"):
        code = body.get(key)
        if key != used and isinstance(code, str) and code and code not in text and " " not in code:
            return f"{text} ({code})"
    return text


@dataclass
class VendorErrorHandler(ErrorHandler):
    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    vendor: str = "The API"
    response_filters: Optional[List[HttpResponseFilter]] = None
    backoff_strategies: List[Any] = field(default_factory=list)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._settings = HttpSettings.from_config(self.config)
        self.response_filters = list(self.response_filters or [])
        if not self.backoff_strategies:
            self.backoff_strategies = [RetryWaits(config=self.config, parameters={}, vendor=self.vendor)]

    @property
    def max_retries(self) -> Optional[int]:
        return self._settings.max_retries

    @property
    def max_time(self) -> Optional[int]:
        return MAX_RETRY_SECONDS

    def interpret_response(self, response_or_exception: Optional[Union[requests.Response, Exception]]) -> ErrorResolution:
        if isinstance(response_or_exception, Exception):
            return self._for_exception(response_or_exception)
        if response_or_exception is None:
            return self._retry("no answer", FailureType.transient_error)
        for response_filter in self.response_filters or []:
            resolution = response_filter.matches(response_or_exception)
            if resolution is not None:
                return resolution
        if response_or_exception.ok:
            return SUCCESS
        return self._for_status(response_or_exception)

    # ---- resolutions ----------------------------------------------------------------------------------
    def _for_exception(self, error: Exception) -> ErrorResolution:
        where = endpoint_of(getattr(error, "request", None)) if getattr(error, "request", None) is not None else "a call"
        if isinstance(error, UnexpectedBody):
            return self._retry(f"{error.message} Retried with backoff: such a body is usually a proxy or maintenance "
                               "page. If it persists, check the vendor's status page and run the sync again later.",
                               FailureType.system_error)
        if isinstance(error, ForeignRedirect):
            return ErrorResolution(ResponseAction.FAIL, FailureType.config_error,
                                   f"{self.vendor}: {error.reason}. If {self.vendor} really moved to "
                                   f"{error.target_origin}, point the configuration at it.")
        if isinstance(error, AnswerTooLarge):
            return ErrorResolution(ResponseAction.FAIL, FailureType.system_error,
                                   f"{self.vendor}: {error.reason}. If the API really sends answers this large, "
                                   "raise `max_response_mb`.")
        if isinstance(error, DeadlineExceeded):
            return self._retry(f"{self.vendor}: {error.reason}; retried with backoff. If the API is slow rather "
                               "than stuck, raise `request_deadline_seconds`.", FailureType.transient_error)
        if isinstance(error, requests.exceptions.Timeout):
            what = "did not connect" if isinstance(error, requests.exceptions.ConnectTimeout) else (
                f"sent nothing for {self._settings.read_timeout_seconds:.0f} s")
            return self._retry(f"{self.vendor} {what} on {where} (timeout); retried with backoff. If the API is slow "
                               "rather than down, raise `read_timeout_seconds`.", FailureType.transient_error)
        if isinstance(error, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                              requests.exceptions.ContentDecodingError)):
            return self._retry(f"{self.vendor} dropped the connection on {where} ({type(error).__name__}); retried "
                               "with backoff. Check the network if it persists.", FailureType.transient_error)
        if isinstance(error, requests.exceptions.RequestException):
            return self._retry(f"The call {where} to {self.vendor} failed ({type(error).__name__}); retried with "
                               "backoff.", FailureType.transient_error)
        return ErrorResolution(ResponseAction.FAIL, FailureType.system_error,
                               f"The call {where} to {self.vendor} failed: {type(error).__name__}.")

    def _for_status(self, response: requests.Response) -> ErrorResolution:
        status = response.status_code
        said = vendor_message(response)
        where = endpoint_of(response.request)
        if status == 429:
            return ErrorResolution(ResponseAction.RATE_LIMITED, FailureType.transient_error,
                                   f"{self.vendor} is rate limiting {where} (429: {said}); waiting as it asks.")
        if status == 408 or status >= 500:
            return self._retry(f"{self.vendor} answered {status} to {where} ({said}); retried with backoff. If it "
                               "persists the vendor may be down or in maintenance: run the sync again later.",
                               FailureType.transient_error)
        if status in (401, 403):
            return ErrorResolution(ResponseAction.FAIL, FailureType.config_error,
                                   f"{self.vendor} refused {where} ({status}: {said}): check the credentials in the "
                                   "connector configuration and what they are allowed to read.")
        return ErrorResolution(ResponseAction.FAIL, FailureType.system_error,
                               f"{self.vendor} answered {status} to {where}: {said}.")

    @staticmethod
    def _retry(message: str, failure_type: FailureType) -> ErrorResolution:
        return ErrorResolution(ResponseAction.RETRY, failure_type, message)
