"""Credentials stay on their host: token requests follow no redirect, an API call redirected to another origin is
refused (one within the origin still works), and the authenticator signs no request to another origin."""

import logging

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from connector_kit.auth import SharedTokenAuthenticator
from connector_kit.errors import VendorErrorHandler
from connector_kit.origins import ForeignLink, followed_link, same_origin, show_origin

API = "https://api.example.com"
TOKEN_URL = f"{API}/token"
OTHER = "https://evil.example.net:8443"
LOGGER = logging.getLogger("airbyte")


def authenticator(header: str = "Authorization", **overrides) -> SharedTokenAuthenticator:
    config = {"client_id": "cid", "client_secret": "csecret", "retry_backoff_seconds": 0.01, "max_retries": 1}
    fields = dict(config=config, parameters={"name": "items"}, token_url=TOKEN_URL, vendor="Vendor",
                  request_body={"client_id": "{{ config['client_id'] }}", "client_secret": "{{ config['client_secret'] }}"},
                  header=header, header_prefix="Bearer " if header == "Authorization" else "",
                  credentials_hint="check `client_id` and `client_secret`.")
    fields.update(overrides)
    return SharedTokenAuthenticator(**fields)


def client(auth: SharedTokenAuthenticator) -> HttpClient:
    handler = VendorErrorHandler(config=auth.config, parameters={}, vendor="Vendor")
    return HttpClient(name="items", logger=LOGGER, error_handler=handler, authenticator=auth,
                      backoff_strategy=handler.backoff_strategies)


# ---- origins ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "other", "same"), [
    ("https://api.example.com/a", "https://API.example.com:443/b?x=1", True),
    ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080", True),
    ("https://api.example.com", "http://api.example.com", False),  # scheme
    ("https://api.example.com", "https://api.example.com:8443", False),  # port
    ("https://api.example.com", "https://api.example.com.evil.net", False),  # host
])
def test_given_two_urls_then_same_origin_compares_scheme_host_and_port(url, other, same):
    assert same_origin(url, other) is same


def test_given_a_url_with_user_info_and_query_when_shown_then_only_scheme_host_and_port():
    assert show_origin("https://user:pw@evil.example.net:8443/p?token=abc") == OTHER
    assert show_origin("https://api.example.com:443/x") == API


@pytest.mark.parametrize("link", ["/v1/items?continuationToken=2", "items?page=2", f"{API}/v1/items?page=2"])
def test_given_a_relative_or_same_origin_link_then_followed_from_the_base_url(link):
    assert followed_link(link, f"{API}/v1/").startswith(f"{API}/v1/items")


@pytest.mark.parametrize("link", [f"{OTHER}/v1/items", "//evil.example.net:8443/v1/items", "http://api.example.com/v1"])
def test_given_a_link_to_another_origin_then_refused_naming_it(link):
    with pytest.raises(ForeignLink) as error:
        followed_link(link, f"{API}/v1/")
    assert error.value.target_origin in (OTHER, "http://api.example.com")


# ---- token requests -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_given_a_token_endpoint_that_redirects_when_fetching_then_config_error_naming_the_origin_and_no_repost(
        requests_mock, status):
    requests_mock.post(TOKEN_URL, status_code=status, headers={"Location": f"{OTHER}/steal?client_secret=csecret"})
    elsewhere = requests_mock.post(f"{OTHER}/steal", json={"access_token": "t"})

    with pytest.raises(AirbyteTracedException) as error:
        authenticator().current_token()

    assert elsewhere.call_count == 0  # the client secret was not posted to the other host
    assert error.value.failure_type == FailureType.config_error
    assert f"answered {status}, a redirect to {OTHER}" in error.value.message
    assert "steal" not in error.value.message and "csecret" not in error.value.message


def test_given_a_token_answer_without_the_token_field_then_the_error_names_its_keys_never_their_values(requests_mock):
    requests_mock.post(TOKEN_URL, json={"token": "tok-value-9876", "expires": 60})

    with pytest.raises(AirbyteTracedException) as error:
        authenticator().current_token()

    assert "it holds the keys `token`, `expires`" in error.value.message
    assert "tok-value-9876" not in error.value.message and "60" not in error.value.message


# ---- API calls ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header", ["Authorization", "X-API-KEY"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_given_an_api_call_redirected_to_another_host_then_refused_and_nothing_reaches_it(requests_mock, header, status):
    requests_mock.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})
    requests_mock.get(f"{API}/items", status_code=status, headers={"Location": f"{OTHER}/items?x=1"})
    elsewhere = requests_mock.get(f"{OTHER}/items", json=[])

    with pytest.raises(AirbyteTracedException) as error:
        client(authenticator(header)).send_request("GET", f"{API}/items", request_kwargs={})

    assert elsewhere.call_count == 0
    assert error.value.failure_type == FailureType.config_error
    assert f"GET /items was redirected ({status}) to {OTHER}, another host than the configured {API}" in error.value.message


@pytest.mark.parametrize("header", ["Authorization", "X-API-KEY"])
def test_given_an_api_call_redirected_within_its_host_then_followed_with_the_credential(requests_mock, header):
    requests_mock.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})
    requests_mock.get(f"{API}/items", status_code=302, headers={"Location": "/v2/items"})
    moved = requests_mock.get(f"{API}/v2/items", json=[{"id": 1}])

    _, response = client(authenticator(header)).send_request("GET", f"{API}/items", request_kwargs={})

    assert response.json() == [{"id": 1}] and moved.call_count == 1
    assert moved.last_request.headers[header].endswith("tok-1")


def test_given_api_url_when_a_request_goes_to_another_origin_then_refused_before_any_token_or_call(requests_mock):
    token = requests_mock.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})
    elsewhere = requests_mock.get(f"{OTHER}/items", json=[])
    auth = authenticator(api_url="{{ config.get('base_url') or 'https://api.example.com' }}")

    with pytest.raises(AirbyteTracedException) as error:
        client(auth).send_request("GET", f"{OTHER}/items?page=2", request_kwargs={})

    assert elsewhere.call_count == 0 and token.call_count == 0
    assert error.value.failure_type == FailureType.system_error
    assert f"the next request of items at {OTHER}, not at the configured host {API}" in error.value.message


def test_given_api_url_when_a_request_stays_on_its_origin_then_signed(requests_mock):
    requests_mock.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})
    items = requests_mock.get(f"{API}/v1/items", json=[])
    auth = authenticator(api_url="https://api.example.com/v1/")

    client(auth).send_request("GET", f"{API}/v1/items", request_kwargs={})

    assert items.last_request.headers["Authorization"] == "Bearer tok-1"


def test_requests_alone_keeps_x_api_key_on_a_redirect_to_another_host(requests_mock):
    """Why the guard exists: requests strips `Authorization` on a cross-host redirect, not a custom header."""
    requests_mock.get(f"{API}/items", status_code=302, headers={"Location": f"{OTHER}/items"})
    elsewhere = requests_mock.get(f"{OTHER}/items", json=[])

    requests.get(f"{API}/items", headers={"X-API-KEY": "key-1", "Authorization": "Bearer tok-1"})

    assert elsewhere.last_request.headers.get("X-API-KEY") == "key-1"
    assert "Authorization" not in elsewhere.last_request.headers
