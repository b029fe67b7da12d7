"""Items that are not there: one deleted during the sync is skipped with one warning naming it, the other items
complete; one that `item_ids` names but Pluggy does not have is a config error naming it (check and read)."""

from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.mock_http import HttpMocker

from pluggy_api import (auth_request, auth_response, config, cursor_response, get, json_response, page_response,
                        paged, read_streams, record, run_check)

KEPT = record("items", id="11111111-1111-4111-8111-111111111111")
GONE = record("items", id="22222222-2222-4222-8222-222222222222")
UNKNOWN = "33333333-3333-4333-8333-333333333333"
ACCOUNT = record("accounts", id="acc-kept", itemId=KEPT["id"])
ITEM_NOT_FOUND = json_response({"code": 404, "codeDescription": "ITEM_NOT_FOUND", "message": "Item not found"}, 404)
ITEM_LEVEL = ("/accounts", "/investments", "/loans")


def warnings_naming(output, item_id: str) -> list[str]:
    return [m.log.message for m in output.logs if m.log.level.value == "WARN" and item_id in m.log.message]


@HttpMocker()
def test_given_an_item_deleted_after_the_listing_when_read_then_it_is_skipped_with_one_warning(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([KEPT, GONE]))
    for path in ITEM_LEVEL:
        http_mocker.get(paged(path, itemId=GONE["id"]), ITEM_NOT_FOUND)
    http_mocker.get(get("/identity", itemId=GONE["id"]), ITEM_NOT_FOUND)
    http_mocker.get(paged("/accounts", itemId=KEPT["id"]), page_response([ACCOUNT]))
    http_mocker.get(paged("/investments", itemId=KEPT["id"]), page_response([record("investments", itemId=KEPT["id"])]))
    http_mocker.get(paged("/loans", itemId=KEPT["id"]), page_response([record("loans")]))
    http_mocker.get(get("/identity", itemId=KEPT["id"]), json_response(record("identity")))
    http_mocker.get(get("/v2/transactions", accountId=ACCOUNT["id"], createdAtFrom="1970-01-01T00:00:00.000Z"),
                    cursor_response([record("transactions")]))

    output = read_streams(["accounts", "transactions", "investments", "loans", "identity"], config())

    assert output.exit_code == 0 and not output.errors
    by_stream = {s: [r.record.data for r in output.records if r.record.stream == s]
                 for s in ("accounts", "transactions", "investments", "loans", "identity")}
    assert all(len(records) == 1 for records in by_stream.values()), by_stream  # the kept item's, complete
    assert {r["itemId"] for r in by_stream["loans"] + by_stream["identity"]} == {KEPT["id"]}
    [warning] = warnings_naming(output, GONE["id"])  # one, however many endpoints answered 404 for it
    assert "deleted" in warning


@HttpMocker()
def test_given_a_404_that_is_not_item_not_found_when_read_then_the_sync_still_fails(http_mocker):
    # Only the vendor's ITEM_NOT_FOUND means "deleted": another 404 (a wrong path, a retired endpoint) is no skip.
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([KEPT]))
    http_mocker.get(paged("/accounts", itemId=KEPT["id"]),
                    json_response({"code": 404, "codeDescription": "NOT_FOUND", "message": "Cannot GET /accounts"}, 404))

    output = read_streams(["accounts"], config())

    assert output.exit_code == 1 and "404" in output.error_message()


@HttpMocker()
def test_given_item_ids_naming_an_item_pluggy_does_not_have_when_read_then_a_config_error_names_it(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([KEPT]))  # no /accounts call: the streams under items stop

    output = read_streams(["items", "accounts"], config(item_ids=[KEPT["id"], UNKNOWN]))

    error = output.errors[-1].trace.error
    assert output.exit_code == 1 and error.failure_type == FailureType.config_error
    assert UNKNOWN in error.message and "`item_ids`" in error.message and KEPT["id"] not in error.message
    assert "Stream items" in error.message and "Stream accounts" in error.message


@HttpMocker()
def test_given_item_ids_naming_an_item_on_a_later_page_when_read_then_no_error(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([KEPT], next_query="?after=p2"))
    http_mocker.get(get("/v2/items", after="p2"), cursor_response([GONE]))

    output = read_streams(["items"], config(item_ids=[GONE["id"]]))

    assert output.exit_code == 0 and [r.record.data["id"] for r in output.records] == [GONE["id"]]


@HttpMocker()
def test_given_item_ids_naming_an_item_pluggy_does_not_have_when_check_then_failed_naming_it(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([KEPT]))

    status = run_check(config(item_ids=[KEPT["id"], UNKNOWN])).connection_status()

    assert status.status == Status.FAILED and UNKNOWN in status.message and "`item_ids`" in status.message


@HttpMocker()
def test_given_item_ids_that_all_exist_when_check_then_succeeded(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([KEPT, GONE]))

    assert run_check(config(item_ids=[GONE["id"]])).connection_status().status == Status.SUCCEEDED
