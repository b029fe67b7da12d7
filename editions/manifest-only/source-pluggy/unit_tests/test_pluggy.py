"""Pluggy's manifest-only edition against HttpMocker: its own components directly (NextQueryStringCursor, the /v2
`next` cursor and the `item_ids` check; SyncItems; PluggyErrorHandler, one warning per deleted item), and the
manifest read as the image reads it: one API key for the sync, every page followed, a revoked key renewed once, a
refused product a config error, an answer of another shape never read as data, a deleted item skipped with one
warning, an `item_ids` entry Pluggy does not list a config error naming it.
"""

import logging

import pytest
import requests
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.sources.declarative.requesters.error_handlers.http_response_filter import HttpResponseFilter
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
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


def answer(body: bytes, status: int = 200, url: str = f"{BASE}/v2/items") -> requests.Response:
    response = requests.Response()
    response.status_code, response._content, response.url = status, body, url
    response.request = requests.Request("GET", url).prepare()
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


KEPT, GONE = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def test_given_item_ids_when_the_listing_ends_without_one_then_a_config_error_naming_only_the_missing_one():
    listing = components.NextQueryStringCursor(parameters={}, config={"item_ids": [KEPT, GONE]}, must_list="item_ids")
    assert listing.next_page_token(answer(f'{{"results": [{{"id": "{KEPT}"}}], "next": "?after=p2"}}'.encode()),
                                   1, None, None) == "p2"
    with pytest.raises(AirbyteTracedException) as raised:
        listing.next_page_token(answer(b'{"results": [{"id": "other"}], "next": null}'), 1, None, "p2")
    assert raised.value.failure_type == FailureType.config_error
    assert f"`item_ids` names {GONE}, which Pluggy does not list" in raised.value.message and KEPT not in \
        raised.value.message


def test_given_item_ids_all_listed_on_some_page_then_the_listing_ends_quietly():
    listing = components.NextQueryStringCursor(parameters={}, config={"item_ids": [GONE]}, must_list="item_ids")
    assert listing.next_page_token(answer(f'{{"results": [{{"id": "{KEPT}"}}], "next": "after=p2"}}'.encode()),
                                   1, None, None) == "p2"
    assert listing.next_page_token(answer(f'{{"results": [{{"id": "{GONE}"}}], "next": null}}'.encode()),
                                   1, None, "p2") is None


def test_given_the_items_of_a_sync_then_listed_ones_known_and_each_deleted_one_warned_about_once():
    components.SyncItems.listed([KEPT])
    assert components.SyncItems.unlisted([GONE, KEPT]) == [GONE]
    assert components.SyncItems.first_warning(GONE) and not components.SyncItems.first_warning(GONE)
    components.SyncItems.forget()
    assert components.SyncItems.unlisted([KEPT]) == [KEPT] and components.SyncItems.first_warning(GONE)


ITEM_NOT_FOUND = b'{"code": 404, "codeDescription": "ITEM_NOT_FOUND", "message": "Item not found"}'


def pluggy_handler() -> "components.PluggyErrorHandler":
    deleted = HttpResponseFilter(action="IGNORE", config={}, parameters={},
                                 predicate="{{ response.get('codeDescription') == 'ITEM_NOT_FOUND' }}")
    return components.PluggyErrorHandler(config={}, parameters={}, vendor="Pluggy", response_filters=[deleted])


def test_given_an_item_deleted_mid_sync_then_ignored_with_one_warning_naming_it_however_many_endpoints_say_so(caplog):
    handler = pluggy_handler()
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        for endpoint in ("accounts", "loans", "identity"):
            gone = answer(ITEM_NOT_FOUND, 404, f"{BASE}/{endpoint}?itemId={GONE}")
            assert handler.interpret_response(gone).response_action == ResponseAction.IGNORE
    assert [r.getMessage() for r in caplog.records] == [
        f"Pluggy item {GONE} was deleted during the sync (404 ITEM_NOT_FOUND): its accounts, transactions and other "
        "data are skipped; the other items sync."]


def test_given_other_answers_then_the_kit_handler_decides_and_nothing_is_warned(caplog):
    handler = pluggy_handler()
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        assert handler.interpret_response(answer(b"{}")).response_action == ResponseAction.SUCCESS
        assert handler.interpret_response(answer(b'{"codeDescription": "NOT_FOUND"}', 404)).response_action == \
            ResponseAction.FAIL
        assert handler.interpret_response(answer(ITEM_NOT_FOUND, 404, f"{BASE}/accounts")).response_action == \
            ResponseAction.IGNORE  # no itemId to name: nothing to warn about
        assert handler.interpret_response(answer(b"<html>", 404)).response_action == ResponseAction.FAIL
    assert caplog.records == []


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


def item_level(http_mocker: HttpMocker, item_id: str, answers) -> None:
    for path in ("accounts", "loans"):
        http_mocker.get(HttpRequest(f"{BASE}/{path}", query_params={"pageSize": "500", "itemId": item_id}), answers)


@HttpMocker()
def test_given_an_item_deleted_after_the_listing_when_read_then_skipped_with_one_warning_and_the_other_read(http_mocker):
    auth(http_mocker, "key-1")
    http_mocker.get(items_page(), ok({"results": [{**ITEM, "id": KEPT}, {**ITEM, "id": GONE}], "next": None}))
    item_level(http_mocker, GONE, ok({"code": 404, "codeDescription": "ITEM_NOT_FOUND", "message": "Item not found"},
                                     404))
    item_level(http_mocker, KEPT, ok({"results": [{"id": "acc-1", "itemId": KEPT, "type": "BANK"}], "page": 1,
                                      "totalPages": 1, "total": 1}))

    output = read_streams(CONFIG, "accounts", "loans")

    assert not output.errors and [r["id"] for r in records(output, "accounts")] == ["acc-1"]
    assert len([m for m in output.logs if m.log.level.value == "WARN" and GONE in m.log.message]) == 1


@HttpMocker()
def test_given_item_ids_naming_an_item_pluggy_does_not_list_when_read_then_a_config_error_naming_it(http_mocker):
    # (`check` reads the first item only: the package's check reads the listing through, this edition's cannot.)
    auth(http_mocker, "key-1")
    http_mocker.get(items_page(), ok({"results": [{**ITEM, "id": KEPT}], "next": None}))

    output = read_streams({**CONFIG, "item_ids": [KEPT, GONE]}, "items", expecting_exception=True)

    [(failure_type, message), *_] = failures(output)
    assert failure_type == "config_error" and GONE in message and "`item_ids`" in message
