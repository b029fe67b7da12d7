"""One token per lifetime for every stream of a sync, and every answer checked before anyone reads it.

`SharedTokenAuthenticator` is the authenticator of the three sources (`CustomAuthenticator` in the manifests).
It covers the two login styles they need, configured in YAML:
- OAuth client credentials (Plutio, Protime): a form POST of `grant_type=client_credentials`, the client id and
  secret (and the scope) to the token URL; the token goes in `Authorization: Bearer <token>`;
- an API-key login (Pluggy): a JSON POST of the client id and secret; the key goes in `X-API-KEY`.

Why not the CDK's OAuthAuthenticator / SessionTokenAuthenticator:
- the declarative factory builds one authenticator per stream (and per parent stream), and each would fetch
  its own token; the vendors count token calls against their limits and ask for one token per lifetime. Here
  tokens are shared per (token URL, credentials) across the whole process;
- the CDK renews only once a token has expired, so calls sent just before expiry fail; here a token is
  renewed `min(5 min, lifetime / 10)` before it expires, and once (not once per stream) on a 401;
- the CDK's token request has no timeout and its own 300 s backoff; here it has the connector's timeouts and
  retry policy, and a refused request is a config error that names the fields to fix.

Per-request duties ride on the authenticator, because it is the one component the CDK applies to every
prepared request, at preparation and again before each retry (a test pins this CDK behaviour):
- credentials stay on their host (origins.py): a redirect to another origin is refused (a response hook), and
  with `api_url` set, a request to another origin than the API's is refused before it is signed;
- every answer is bounded (bounds.py): an overall deadline, body included, and a size bound after decompression;
- `response_contract` (contract.py): the CDK stores responses in its HTTP cache inside `Session.send`, before
  any error handler sees them, so the shape check must run as a requests response hook; `__call__` registers it;
- `call_budget` (pacing.py): each send (and each token request) waits for room in the vendor's published limit,
  with the wait logged at INFO.

The token request itself follows no redirect (a 3xx is a config error naming the status and the target's
origin), has the same bounds, and every token it gets is masked in every form from then on (redact.py). An
error about a token answer names the keys it holds, never their values.
"""


import base64
import hashlib
import json
import logging
import threading
import time
from dataclasses import InitVar, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, List, Mapping, Optional

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.interpolation.interpolated_mapping import InterpolatedMapping
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from connector_kit import calls
from connector_kit.backoff import BackoffPolicy, describe_attempt
from connector_kit.bounds import AnswerTooLarge, ResponseBounds
from connector_kit.contract import ResponseContract
from connector_kit.errors import vendor_message
from connector_kit.origins import arm_origin_guard, redirect_target, same_origin, show_origin
from connector_kit.pacing import CallPacer
from connector_kit.redact import register_secret
from connector_kit.settings import HttpSettings

logger = logging.getLogger("airbyte")

MAX_RENEWAL_MARGIN = timedelta(minutes=5)
# A 401 this soon after a renewal was caused by the old token (calls in flight on other threads): no new login.
RENEWAL_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime
    renew_at: datetime
    fetched_at: float  # time.monotonic()
    forced: bool = False  # fetched because the API answered 401


_TOKENS: dict[tuple[str, str], Token] = {}
_TOKENS_LOCK = threading.Lock()


def forget_all_tokens() -> None:
    """Drop every shared token (tests start each sync without one; a new process starts empty anyway)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _dig(body: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(body, Mapping):
            return None
        body = body.get(part)
    return body


def _jwt_expiry(token: str) -> Optional[datetime]:
    """The `exp` of a JWT, when the token is one (Pluggy's API key is)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return datetime.fromtimestamp(float(payload["exp"]), tz=timezone.utc)
    except (ValueError, KeyError, TypeError):
        return None


def _parse_moment(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class SharedTokenAuthenticator(DeclarativeAuthenticator):
    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    token_url: str
    request_body: Mapping[str, Any]
    body_format: str = "form"  # form | json
    request_headers: Optional[Mapping[str, Any]] = None
    token_field: str = "access_token"
    expires_in_field: Optional[str] = None  # seconds from now
    expires_at_field: Optional[str] = None  # an ISO 8601 moment
    default_lifetime_seconds: float = 1800.0  # when the answer says nothing and the token is no JWT
    header: str = "Authorization"
    header_prefix: str = "Bearer "
    vendor: str = "The API"
    credentials_hint: str = "check the credentials in the connector configuration."
    response_contract: Optional[Mapping[str, Any]] = None
    call_budget: Optional[List[Mapping[str, Any]]] = None
    # The API's base URL: a request to any other origin is refused before it is signed (a link from an answer).
    api_url: Optional[str] = None
    _contract: Optional[ResponseContract] = field(init=False, repr=False, default=None)
    _pacer: Optional[CallPacer] = field(init=False, repr=False, default=None)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._url = InterpolatedString.create(self.token_url, parameters=parameters)
        self._body = InterpolatedMapping(self.request_body or {}, parameters=parameters)
        self._headers = InterpolatedMapping(self.request_headers or {}, parameters=parameters)
        self._api = InterpolatedString.create(self.api_url, parameters=parameters) if self.api_url else None
        self._stream = str(parameters.get("name") or "") if parameters else ""
        self._contract = ResponseContract.from_manifest(self.response_contract)
        self._pacer = CallPacer.shared(self.vendor, self.call_budget, self.config, parameters)
        self._bounds = ResponseBounds.from_config(self.config)

    # ---- what the CDK calls ---------------------------------------------------------------------------
    @property
    def auth_header(self) -> str:
        return self.header

    @property
    def token(self) -> str:
        return f"{self.header_prefix}{self.current_token().value}"

    def __call__(self, request: requests.PreparedRequest) -> Any:
        self._refuse_other_hosts(request)
        if self._pacer is not None:
            self._pacer.wait_for_slot(request)
        request = super().__call__(request)
        calls.arm(request)  # first: an answer is counted even when a later hook refuses it
        arm_origin_guard(request)
        self._bounds.arm(request)
        if self._contract is not None:
            self._contract.arm(request)
        return request

    def _refuse_other_hosts(self, request: requests.PreparedRequest) -> None:
        api = str(self._api.eval(self.config)) if self._api is not None else ""
        if not api or not request.url or same_origin(request.url, api):
            return
        raise AirbyteTracedException(
            message=f"{self.vendor}'s answer pointed the next request of {self._stream or 'a stream'} at "
                    f"{show_origin(request.url)}, not at the configured host {show_origin(api)}; it was not sent, so "
                    f"that the credentials stay on their host. If {self.vendor} really serves this account from that "
                    "host, point the configuration at it.",
            internal_message=f"request to another origin refused: {show_origin(request.url)}",
            failure_type=FailureType.system_error)

    def refresh_and_set_access_token(self) -> None:
        """The API answered 401 (REFRESH_TOKEN_THEN_RETRY): log in again, unless another stream just did."""
        key = self._key()
        with _TOKENS_LOCK:
            known = _TOKENS.get(key)
            if known is not None and known.forced and time.monotonic() - known.fetched_at < RENEWAL_GRACE_SECONDS:
                return
            _TOKENS[key] = replace(self._fetch(), forced=True)

    # ---- the shared token ------------------------------------------------------------------------------
    def current_token(self) -> Token:
        key = self._key()
        with _TOKENS_LOCK:
            token = _TOKENS.get(key)
            if token is None or _now() >= token.renew_at:
                token = self._fetch()
                _TOKENS[key] = token
            return token

    def _request(self) -> tuple[str, dict[str, Any], dict[str, str]]:
        url = str(self._url.eval(self.config))
        # valid_value_types: keep "12345" a string (Jinja would otherwise read it as a number)
        body = {k: v for k, v in self._body.eval(self.config, valid_value_types=(str,)).items() if v not in (None, "")}
        headers = {k: str(v) for k, v in self._headers.eval(self.config, valid_value_types=(str,)).items()}
        return url, body, headers

    def _key(self) -> tuple[str, str]:
        url, body, headers = self._request()
        digest = hashlib.sha256(json.dumps([body, headers], sort_keys=True, default=str).encode()).hexdigest()
        return url, digest

    def _fetch(self) -> Token:
        url, body, headers = self._request()
        settings = HttpSettings.from_config(self.config)
        policy = BackoffPolicy.from_settings(settings)
        send = {"json": body} if self.body_format == "json" else {"data": body}
        last: Any = None
        for attempt in range(settings.max_retries + 1):
            if attempt:
                wait = policy.wait(last, attempt)
                logger.info(f"{self.vendor}: {describe_attempt(last)} on the token request; waiting {wait:.1f} s "
                            f"before retry {attempt}.")
                time.sleep(wait)
            if self._pacer is not None:
                self._pacer.wait_for_url("POST", url)
            try:
                # No redirect: a 307/308 would re-post the client secret to wherever it points.
                last = requests.post(url, headers=headers, timeout=settings.timeout, allow_redirects=False,
                                     hooks={"response": [calls.count_answer, self._bounds.hook]}, **send)
            except AnswerTooLarge as error:
                raise AirbyteTracedException(message=f"{self.vendor}'s token endpoint: {error.reason}.",
                                             failure_type=FailureType.system_error) from None
            except requests.RequestException as error:
                last = error
                continue
            if last.is_redirect or 300 <= last.status_code < 400:
                raise self._redirected(last)
            if last.status_code in (400, 401, 403):
                raise self._refused(last)
            if last.status_code == 429 or last.status_code >= 500:
                continue
            if not last.ok:
                raise AirbyteTracedException(
                    message=f"{self.vendor}'s token endpoint answered {last.status_code}: {vendor_message(last)}.",
                    failure_type=FailureType.system_error)
            token = self._token_from(last)
            if token is not None:
                return token
        raise AirbyteTracedException(
            message=f"{self.vendor} gave no token after {settings.max_retries + 1} attempt(s) "
                    f"(last: {self._last_problem(last)}). Run the sync again later; if it persists, check the vendor's status.",
            failure_type=FailureType.transient_error)

    def _token_from(self, response: requests.Response) -> Optional[Token]:
        try:
            answer = response.json()
        except ValueError:
            return None
        value = _dig(answer, self.token_field)
        if not isinstance(value, str) or not value:
            return None
        register_secret(value)
        fetched = _now()
        expires_at = (_parse_moment(_dig(answer, self.expires_at_field)) if self.expires_at_field else None)
        if expires_at is None and self.expires_in_field:
            seconds = _dig(answer, self.expires_in_field)
            if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
                expires_at = fetched + timedelta(seconds=float(seconds))
        expires_at = expires_at or _jwt_expiry(value) or fetched + timedelta(seconds=self.default_lifetime_seconds)
        margin = min(MAX_RENEWAL_MARGIN, max(timedelta(0), (expires_at - fetched) / 10))
        logger.info(f"{self.vendor}: new access token, valid until {expires_at:%Y-%m-%d %H:%M:%S} UTC.")
        return Token(value=value, expires_at=expires_at, renew_at=expires_at - margin, fetched_at=time.monotonic())

    def _last_problem(self, last: Any) -> str:
        """What was wrong with the last answer, in words that quote none of its values (it may hold a token)."""
        if isinstance(last, requests.Response) and last.ok:
            try:
                answer = last.json()
            except ValueError:
                return f"an answer without `{self.token_field}` that is not JSON ({len(last.content)} bytes)"
            if not isinstance(answer, dict):
                return f"an answer without `{self.token_field}`: JSON {type(answer).__name__}, not an object"
            keys = ", ".join(f"`{key}`" for key in answer)
            return f"an answer without `{self.token_field}`; it holds " + (f"the keys {keys}" if keys else "no key")
        return describe_attempt(last)

    def _redirected(self, response: requests.Response) -> AirbyteTracedException:
        target = redirect_target(response)
        where = f" to {show_origin(target)}" if target else " without a Location"
        response.close()
        return AirbyteTracedException(
            message=f"{self.vendor}'s token endpoint answered {response.status_code}, a redirect{where}; it was not "
                    f"followed, so that the credentials are sent only to the configured token URL. If the token "
                    f"endpoint really moved there, point the configuration at it: {self.credentials_hint}",
            internal_message=f"token endpoint answered {response.status_code}",
            failure_type=FailureType.config_error)

    def _refused(self, response: requests.Response) -> AirbyteTracedException:
        said = vendor_message(response)
        return AirbyteTracedException(
            message=f"{self.vendor} refused the token request ({response.status_code}: {said}): {self.credentials_hint}",
            internal_message=f"token endpoint answered {response.status_code}",
            failure_type=FailureType.config_error,
        )
