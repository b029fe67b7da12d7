"""One token per lifetime for the whole process, renewed before expiry and once on a 401; a refused token request
is a config error naming the fields; the token request has timeouts and retries."""

from datetime import datetime, timedelta, timezone

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from freezegun import freeze_time

from connector_kit.auth import SharedTokenAuthenticator

TOKEN_URL = "https://auth.example.com/token"


def authenticator(**overrides) -> SharedTokenAuthenticator:
    fields = dict(config={"client_id": "cid", "client_secret": "csecret", "retry_backoff_seconds": 0.01},
                  parameters={}, token_url=TOKEN_URL, vendor="Vendor",
                  request_body={"grant_type": "client_credentials", "client_id": "{{ config['client_id'] }}",
                                "client_secret": "{{ config['client_secret'] }}"},
                  expires_in_field="expires_in", credentials_hint="check `client_id` and `client_secret`.")
    fields.update(overrides)
    return SharedTokenAuthenticator(**fields)


def test_given_many_streams_when_each_asks_for_a_token_then_one_request_serves_them_all(requests_mock):
    calls = requests_mock.post(TOKEN_URL, json={"access_token": "t1", "expires_in": 1800})
    headers = {authenticator().get_auth_header()["Authorization"] for _ in range(5)}
    assert headers == {"Bearer t1"} and calls.call_count == 1
    assert "client_id=cid" in calls.last_request.text  # form-encoded
    assert calls.last_request.timeout == (10.0, 60.0)  # connect and read timeouts on the token request too


def test_given_a_token_near_expiry_when_asked_then_renewed_ahead_of_it(requests_mock):
    calls = requests_mock.post(TOKEN_URL, [{"json": {"access_token": "t1", "expires_in": 1800}},
                                           {"json": {"access_token": "t2", "expires_in": 1800}}])
    with freeze_time("2026-01-01T10:00:00Z") as clock:
        assert authenticator().token == "Bearer t1"
        clock.tick(timedelta(minutes=26))  # margin: min(5 min, lifetime / 10) = 3 min
        assert authenticator().token == "Bearer t1"
        clock.tick(timedelta(minutes=2))
        assert authenticator().token == "Bearer t2"
    assert calls.call_count == 2


def test_given_an_expiry_moment_or_a_jwt_when_fetched_then_it_sets_the_renewal(requests_mock):
    moment = (datetime.now(timezone.utc) + timedelta(hours=72)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    requests_mock.post(TOKEN_URL, json={"accessToken": "t1", "accessTokenExpiresAt": moment})
    token = authenticator(token_field="accessToken", expires_at_field="accessTokenExpiresAt").current_token()
    assert timedelta(hours=71) < token.expires_at - datetime.now(timezone.utc) < timedelta(hours=73)


def test_given_several_401s_at_once_when_refreshing_then_one_new_login(requests_mock):
    calls = requests_mock.post(TOKEN_URL, [{"json": {"access_token": f"t{n}", "expires_in": 1800}} for n in (1, 2, 3)])
    first = authenticator()
    assert first.token == "Bearer t1"
    for _ in range(3):  # three streams see the revoked token at the same time
        authenticator().refresh_and_set_access_token()
    assert first.token == "Bearer t2" and calls.call_count == 2


@pytest.mark.parametrize("status", [400, 401, 403])
def test_given_refused_credentials_when_fetching_then_config_error_with_the_vendor_words_and_the_fields(
        requests_mock, status):
    requests_mock.post(TOKEN_URL, status_code=status, json={"error": "invalid_client", "error_description": "Bad secret"})
    with pytest.raises(AirbyteTracedException) as error:
        authenticator().current_token()
    assert error.value.failure_type == FailureType.config_error
    assert "Bad secret (invalid_client)" in error.value.message and "`client_secret`" in error.value.message
    assert "csecret" not in error.value.message


def test_given_a_5xx_or_a_reset_or_an_answer_without_token_when_fetching_then_retried(requests_mock, sleeps):
    requests_mock.post(TOKEN_URL, [{"status_code": 503}, {"exc": requests.exceptions.ConnectionError},
                                   {"json": {"unexpected": True}}, {"json": {"access_token": "t1", "expires_in": 60}}])
    assert authenticator().current_token().value == "t1"
    assert len([c for c in sleeps.call_args_list if c.args and c.args[0]]) == 3


def test_given_the_token_endpoint_stays_down_when_fetching_then_transient_error_after_the_retries(requests_mock):
    requests_mock.post(TOKEN_URL, status_code=502)
    with pytest.raises(AirbyteTracedException) as error:
        authenticator(config={"client_id": "cid", "client_secret": "csecret", "max_retries": 2}).current_token()
    assert error.value.failure_type == FailureType.transient_error and "3 attempt(s)" in error.value.message


def test_given_a_json_login_when_fetching_then_json_body_and_the_key_in_its_header(requests_mock):
    calls = requests_mock.post(TOKEN_URL, json={"apiKey": "k1"})
    api_key = authenticator(body_format="json", request_body={"clientId": "{{ config['client_id'] }}"},
                            token_field="apiKey", header="X-API-KEY", header_prefix="")
    assert api_key.get_auth_header() == {"X-API-KEY": "k1"} and calls.last_request.json() == {"clientId": "cid"}
