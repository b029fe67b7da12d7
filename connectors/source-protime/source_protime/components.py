"""Custom components of source-protime, each where the manifest alone cannot say it.

ProtimeOAuthAuthenticator: the declarative factory builds one authenticator per stream, so the stock
OAuthAuthenticator would mint one token per stream; Protime asks for one token per 30-minute lifetime
("do not mint a token per call: that can trigger rate limiting"). This subclass shares the token of a
(token URL, client, scope) triple across every stream of the process, renews it a minute before it expires
(a call sent just before expiry otherwise lands with a dead token), and turns a refused token request into
a config error that names the fields to fix.
"""


import json
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Mapping, Tuple

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeOauth2Authenticator
from airbyte_cdk.utils.datetime_helpers import AirbyteDateTime, ab_datetime_now
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

RENEW_BEFORE_EXPIRY = timedelta(seconds=60)


@dataclass
class ProtimeOAuthAuthenticator(DeclarativeOauth2Authenticator):
    _shared: ClassVar[dict[Tuple[str, str, str], Tuple[str, AirbyteDateTime]]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def clear_shared_tokens(cls) -> None:
        """Forget every cached token (tests; a new config in the same process)."""
        with cls._shared_lock:
            cls._shared.clear()

    def _key(self) -> Tuple[str, str, str]:
        body = json.dumps(dict(self.get_refresh_request_body()), sort_keys=True, default=str)
        return (str(self.get_token_refresh_endpoint()), str(self.get_client_id()), body)

    @staticmethod
    def _fresh(expiry: AirbyteDateTime) -> bool:
        return ab_datetime_now() < expiry - RENEW_BEFORE_EXPIRY

    def token_has_expired(self) -> bool:
        return not self._fresh(self.get_token_expiry_date())

    def get_access_token(self) -> str:
        with self._shared_lock:
            cached = self._shared.get(self._key())
            if cached and self._fresh(cached[1]):
                self.access_token, self._token_expiry_date = cached
                return cached[0]
            return self._refresh_locked()

    def refresh_and_set_access_token(self) -> None:
        """Forced renewal (a 401): adopt a token another stream already renewed, else fetch a new one."""
        stale = self._current_access_token_or_none()
        with self._shared_lock:
            cached = self._shared.get(self._key())
            if cached and cached[0] != stale and self._fresh(cached[1]):
                self.access_token, self._token_expiry_date = cached
                return
            self._refresh_locked()

    def _refresh_locked(self) -> str:
        token, expires_in = self.refresh_access_token()
        self.access_token = token
        self.set_token_expiry_date(expires_in)
        self._shared[self._key()] = (token, self.get_token_expiry_date())
        return token

    def refresh_access_token(self) -> Tuple[str, AirbyteDateTime]:
        try:
            return super().refresh_access_token()
        except requests.exceptions.HTTPError as error:
            raise self._config_error(error.response) from error

    @staticmethod
    def _config_error(response: requests.Response | None) -> AirbyteTracedException:
        detail: Mapping[str, Any] = {}
        try:
            detail = response.json() if response is not None else {}
        except ValueError:
            pass
        code = detail.get("error", "") if isinstance(detail, Mapping) else ""
        status = response.status_code if response is not None else "no answer"
        if code == "invalid_client":
            hint = "check `client_id` and `client_secret` (myProtime > Protime API connector)."
        elif code == "invalid_scope":
            hint = f"the client cannot request the scopes {detail.get('error_description', '')!s}; grant them in myProtime."
        else:
            hint = "check `tenant`, `environment` (or `token_url`), `client_id` and `client_secret`."
        return AirbyteTracedException(
            message=f"Protime refused the token request ({code or status}): {hint}",
            internal_message=f"token endpoint answered {status} {code}",
            failure_type=FailureType.config_error,
        )
