"""Pluggy's manifest-only edition against HttpMocker: its own component (NextQueryStringCursor, the /v2 `next`
cursor) directly, and the manifest read as the image reads it: one API key for the sync, every page followed, a
revoked key renewed once, a refused product a config error, an answer of another shape never read as data.
"""

import pytest
from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest
from mock_server import check, failures, ok, read_streams, records

import components

BASE = "https://api.pluggy.ai"
CONFIG = {"client_id": "test-client-id", "client_secret": "test-client-secret", "max_retries": 1}
ITEM = {"id": "7a2b4c6d-8e0f-4a1b-9c3d-5e7f9a1b3c5d", "status": "UPDATED", "updatedAt": "2026-01-02T00:00:00.000Z",
        "createdAt": "2026-01-01T00:00:00.000Z", "connector": {"id": 1}}


def auth(http_mocker: HttpMocker, *keys: str) -> None:
    http_mocker.post(HttpRequest(f"{BASE}/auth", body={"clientId": CONFIG["client_id"],
                                                       "clientSecret": CONFIG["client_secret"]}),
                     [ok({"apiKey": key}) for key in keys])


def items_page(after: str = "", key: str = "key-1") -> HttpRequest:
    return HttpRequest(f"{BASE}/v2/items", query_params={"after": after} if after else None, headers={"X-API-KEY": key})


# ---- NextQueryStringCursor ------------------------------------------------------------------------------------
def cursor() -> "components.NextQueryStringCursor":
    return components.NextQueryStringCursor(parameters={}, config={})


def answer(body: bytes):
    import requests

    response = requests.Response()
    response.status_code, response._content = 200, body
    return response


def test_given_a_next_query_string_then_its_decoded_after_is_the_next_token():
    assert cursor().initial_token is None and cursor().get_page_size() is None
    token = cursor().next_page_token(answer(b'{"results": [], "next": "?accountId=a&after=x%2By%3D"}'), 0, None, None)
    assert token == "x+y="  # an empty page with a `next` is not the end
    assert cursor().next_page_token(answer(b'{"results": [{"id": 1}], "next": "after=z"}'), 1, None, None) == "z"


def test_given_no_next_then_the_read_ends_and_a_next_without_after_is_an_error():
    assert cursor().next_page_token(answer(b'{"results": [], "next": null}'), 0, None, None) is None
    with pytest.raises(ValueError, match="without an `after` cursor"):
        cursor().next_page_token(answer(b'{"results": [], "next": "?accountId=a"}'), 0, None, None)


# ---- the manifest ---------------------------------------------------------------------------------------------
@HttpMocker()
def test_given_two_pages_of_items_when_read_then_both_pages_with_one_login(http_mocker):
    auth(http_mocker, "key-1")
    http_mocker.get(items_page(), ok({"results": [ITEM], "next": "?after=abc"}))
    http_mocker.get(items_page("abc"), ok({"results": [{**ITEM, "id": "second"}], "next": None}))

    output = read_streams(CONFIG, "items")

    assert [r["id"] for r in records(output, "items")] == [ITEM["id"], "second"]


@HttpMocker()
def test_given_a_revoked_key_when_read_then_renewed_once_and_the_page_read(http_mocker):
    auth(http_mocker, "key-1", "key-2")
    http_mocker.get(items_page(), ok({"message": "Unauthorized"}, 401))
    http_mocker.get(items_page(key="key-2"), ok({"results": [ITEM], "next": None}))

    assert [r["id"] for r in records(read_streams(CONFIG, "items"), "items")] == [ITEM["id"]]


@HttpMocker()
def test_given_a_product_the_application_may_not_read_then_a_config_error_saying_what_to_do(http_mocker):
    auth(http_mocker, "key-1")
    http_mocker.get(items_page(), ok({"message": "Forbidden", "codeDescription": "PRODUCT_DISABLED"}, 403))

    output = read_streams(CONFIG, "items", expecting_exception=True)

    [(failure_type, message), *_] = failures(output)
    assert failure_type == "config_error" and "Enable the product in the Pluggy dashboard" in message


@HttpMocker()
def test_given_a_proxy_page_instead_of_items_then_retried_and_never_read_as_an_empty_page(http_mocker):
    auth(http_mocker, "key-1")
    http_mocker.get(items_page(), [ok("<html>maintenance</html>"), ok("<html>maintenance</html>")])

    output = read_streams(CONFIG, "items", expecting_exception=True)

    assert records(output, "items") == []
    assert any("not JSON" in message for _, message in failures(output))


@HttpMocker()
def test_given_valid_credentials_when_checked_then_the_items_endpoint_answers(http_mocker):
    auth(http_mocker, "key-1")
    http_mocker.get(items_page(), ok({"results": [ITEM], "next": None}))

    assert check(CONFIG).status == Status.SUCCEEDED
