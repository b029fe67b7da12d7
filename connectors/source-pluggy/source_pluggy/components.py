"""The two pieces of Pluggy's API that the declarative YAML cannot say by itself."""


import threading
import time
from dataclasses import InitVar, dataclass, field
from typing import Any, Mapping, Optional
from urllib.parse import parse_qs, urlsplit

import requests
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import PaginationStrategy
from airbyte_cdk.sources.types import Config, Record

# A 401 that arrives this soon after a renewal was caused by the old key (requests in flight on other
# threads), so it must not trigger another POST /auth: one key per lifetime.
_RENEWAL_GRACE_SECONDS = 5.0

# The manifest builds one authenticator per stream and per parent stream; they all share the first one's key
# holder for the same API host and credentials, so a sync logs in once, not once per stream.
_SHARED_SESSIONS: dict[tuple[str, ...], DeclarativeAuthenticator] = {}
_SHARED_LOCK = threading.Lock()


@dataclass
class RenewingApiKeyAuthenticator(DeclarativeAuthenticator):
    """The CDK's SessionTokenAuthenticator (POST /auth, key in X-API-KEY, renewed before its 2-hour expiry), plus
    renewal when the API answers 401 before that (key revoked or expired early).

    Why custom: the CDK's REFRESH_TOKEN_THEN_RETRY action only renews authenticators that expose
    `refresh_and_set_access_token` (its OAuth ones); the session-token authenticator does not, so a 401 would be
    retried with the same dead key until the retries run out.
    """

    session: DeclarativeAuthenticator  # the declarative SessionTokenAuthenticator this wraps
    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        key = tuple(str(self.config.get(name) or "") for name in ("base_url", "client_id", "client_secret"))
        with _SHARED_LOCK:
            self.session = _SHARED_SESSIONS.setdefault(key, self.session)

    @property
    def auth_header(self) -> str:
        return self.session.auth_header

    @property
    def token(self) -> str:
        return self.session.token

    def get_request_params(self) -> Mapping[str, Any]:
        return self.session.get_request_params()

    def get_request_body_data(self) -> Any:
        return self.session.get_request_body_data()

    def get_request_body_json(self) -> Mapping[str, Any]:
        return self.session.get_request_body_json()

    def refresh_and_set_access_token(self) -> None:
        # ApiKey injection wraps the SessionTokenProvider (which holds the key and its expiry) in an
        # InterpolatedSessionTokenProvider; renew the inner one.
        provider = self.session.token_provider  # type: ignore[attr-defined]
        provider = getattr(provider, "session_token_provider", provider)
        with _SHARED_LOCK:
            renewed_at = getattr(provider, "_renewed_at", 0.0)
            if time.monotonic() - renewed_at < _RENEWAL_GRACE_SECONDS:
                return
            provider._next_expiration_time = None  # dataclass field of SessionTokenProvider: forces a new login
            provider.get_token()
            provider._renewed_at = time.monotonic()


@dataclass
class NextQueryStringCursor(PaginationStrategy):
    """Cursor pagination of Pluggy's v2 endpoints (/v2/items, /v2/transactions).

    The response's `next` is a ready-made query string (`?accountId=...&after=<opaque>`), or null on the last page.
    Why custom: the only thing to send back is its URL-decoded `after` (Pluggy rejects repeated or extra
    parameters), and Jinja has no URL-decoding filter. A page with no results but a `next` is not the end.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config = field(default_factory=dict)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

    @property
    def initial_token(self) -> Optional[Any]:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Optional[Record],
        last_page_token_value: Optional[Any],
        page_size_override: Optional[int] = None,
    ) -> Optional[Any]:
        next_query = (response.json() or {}).get("next")
        if not next_query:
            return None
        after = parse_qs(urlsplit(next_query).query or next_query.lstrip("?")).get("after")
        if not after or not after[0]:
            raise ValueError(f"Pluggy returned a `next` link without an `after` cursor: {next_query!r}")
        return after[0]

    def get_page_size(self) -> Optional[int]:
        return None
