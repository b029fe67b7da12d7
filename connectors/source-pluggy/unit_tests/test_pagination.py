"""Both Pluggy pagination styles: page/pageSize with totalPages, and the v2 `next` cursor."""

from __future__ import annotations

from airbyte_cdk.test.mock_http import HttpMocker

from pluggy_api import (auth_request, auth_response, config, cursor_response, get, mock_parents, page_response, paged,
                        read_streams, record)

ITEM = record("items")
ACCOUNT = record("accounts", itemId=ITEM["id"])
EPOCH = "1970-01-01T00:00:00.000Z"  # createdAtFrom when no start_date is configured


@HttpMocker()
def test_given_three_pages_when_reading_then_reads_exactly_total_pages_with_page_size_500(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    pages = [paged("/categories", page=n) for n in (1, 2, 3)]
    for n, request in enumerate(pages, start=1):
        http_mocker.get(request, page_response([record("categories", id=f"0{n}000000")], page=n, total_pages=3))

    output = read_streams(["categories"], config())

    assert [r.record.data["id"] for r in output.records] == ["01000000", "02000000", "03000000"]
    for request in pages:
        http_mocker.assert_number_of_calls(request, 1)


@HttpMocker()
def test_given_server_caps_page_size_below_500_when_reading_then_follows_total_pages_to_the_end(http_mocker):
    """An undocumented lower cap means more pages, never an early stop: totalPages, not the page length, decides."""
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/connectors", page=1), page_response([record("connectors", id=1)], 1, 2))
    http_mocker.get(paged("/connectors", page=2), page_response([record("connectors", id=2)], 2, 2))

    output = read_streams(["connectors"], config())

    assert [r.record.data["id"] for r in output.records] == [1, 2]


@HttpMocker()
def test_given_next_cursor_and_an_empty_page_when_reading_transactions_then_follows_next_until_null(http_mocker):
    mock_parents(http_mocker, [ITEM], [ACCOUNT])
    first = get("/v2/transactions", accountId=ACCOUNT["id"], createdAtFrom=EPOCH)
    second = get("/v2/transactions", accountId=ACCOUNT["id"], createdAtFrom=EPOCH, after="c2==")
    third = get("/v2/transactions", accountId=ACCOUNT["id"], createdAtFrom=EPOCH, after="c3")
    # `next` is a ready-made, URL-encoded query string: only its decoded `after` is sent back.
    http_mocker.get(first, cursor_response([record("transactions", id="t1")], f"?accountId={ACCOUNT['id']}&after=c2%3D%3D"))
    http_mocker.get(second, cursor_response([], f"?accountId={ACCOUNT['id']}&after=c3"))
    http_mocker.get(third, cursor_response([record("transactions", id="t3")], None))

    output = read_streams(["transactions"], config())

    assert [r.record.data["id"] for r in output.records] == ["t1", "t3"]
    for request in (first, second, third):
        http_mocker.assert_number_of_calls(request, 1)


@HttpMocker()
def test_given_item_cursor_pages_when_reading_items_then_reads_every_page(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([record("items", id="i1")], "?after=x1"))
    http_mocker.get(get("/v2/items", after="x1"), cursor_response([record("items", id="i2")], None))

    output = read_streams(["items"], config())

    assert [r.record.data["id"] for r in output.records] == ["i1", "i2"]


@HttpMocker()
def test_given_item_ids_configured_when_reading_accounts_then_only_those_items_are_read(http_mocker):
    other = record("items", id="11111111-1111-4111-8111-111111111111")
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([ITEM, other]))
    http_mocker.get(paged("/accounts", itemId=ITEM["id"]), page_response([ACCOUNT]))

    output = read_streams(["accounts", "items"], config(item_ids=[ITEM["id"]]))

    assert [r.record.data["id"] for r in output.records if r.record.stream == "items"] == [ITEM["id"]]
    assert [r.record.data["id"] for r in output.records if r.record.stream == "accounts"] == [ACCOUNT["id"]]
    # No /accounts mock exists for `other`: HttpMocker would fail the test had it been requested.
