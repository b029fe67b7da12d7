"""Incremental syncs: transactions on createdAt (server-side createdAtFrom, per account) and the client-side
updatedAt streams. A resumed sync with nothing new emits nothing."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from pluggy_api import (config, cursor_response, get, mock_parents, read_streams, record,
                        stream_state)

ITEM = record("items")
ACCOUNT = record("accounts", itemId=ITEM["id"])
PARTITION = {"account_id": ACCOUNT["id"], "parent_slice": {"item_id": ITEM["id"], "parent_slice": {}}}
SAVED = "2025-03-01T12:00:00.000Z"


def transactions_request(created_at_from: str):
    return get("/v2/transactions", accountId=ACCOUNT["id"], createdAtFrom=created_at_from)


def per_account_state(created_at: str) -> list:
    return stream_state("transactions", {"states": [{"partition": PARTITION, "cursor": {"createdAt": created_at}}]})


def account_cursor(output) -> str:
    states = output.most_recent_state.stream_state.__dict__["states"]
    return next(s["cursor"]["createdAt"] for s in states if s["partition"]["account_id"] == ACCOUNT["id"])


@HttpMocker()
def test_given_no_state_when_first_sync_then_reads_from_start_date_and_saves_newest_created_at(http_mocker):
    mock_parents(http_mocker, [ITEM], [ACCOUNT])
    http_mocker.get(transactions_request("2025-01-01T00:00:00.000Z"), cursor_response([
        record("transactions", id="t2", createdAt="2025-02-02T10:00:00.000Z"),
        record("transactions", id="t1", createdAt="2025-01-05T10:00:00.000Z"),
    ]))

    output = read_streams(["transactions"], config(start_date="2025-01-01T00:00:00Z"), SyncMode.incremental)

    assert [r.record.data["id"] for r in output.records] == ["t2", "t1"]
    assert account_cursor(output) == "2025-02-02T10:00:00.000Z"


@HttpMocker()
def test_given_state_when_next_sync_then_asks_from_cursor_and_emits_only_newer_transactions(http_mocker):
    mock_parents(http_mocker, [ITEM], [ACCOUNT])
    # createdAtFrom is inclusive: the record at the saved cursor comes back and must not be emitted again.
    http_mocker.get(transactions_request(SAVED), cursor_response([
        record("transactions", id="new", createdAt="2025-03-02T08:00:00.000Z"),
        record("transactions", id="seen", createdAt=SAVED),
    ]))

    output = read_streams(["transactions"], config(), SyncMode.incremental, state=per_account_state(SAVED))

    assert [r.record.data["id"] for r in output.records] == ["new"]
    assert account_cursor(output) == "2025-03-02T08:00:00.000Z"


@HttpMocker()
def test_given_state_and_nothing_new_when_syncing_again_then_no_record_and_same_cursor(http_mocker):
    mock_parents(http_mocker, [ITEM], [ACCOUNT])
    http_mocker.get(transactions_request(SAVED), cursor_response([record("transactions", id="seen", createdAt=SAVED)]))

    output = read_streams(["transactions"], config(), SyncMode.incremental, state=per_account_state(SAVED))

    assert output.records == []
    assert account_cursor(output) >= SAVED


@HttpMocker()
def test_given_lookback_when_next_sync_then_starts_that_many_minutes_before_the_cursor(http_mocker):
    mock_parents(http_mocker, [ITEM], [ACCOUNT])
    http_mocker.get(transactions_request("2025-03-01T11:00:00.000Z"), cursor_response([
        record("transactions", id="late", createdAt="2025-03-01T11:30:00.000Z"),
    ]))

    output = read_streams(["transactions"], config(lookback_minutes=60), SyncMode.incremental,
                          state=per_account_state(SAVED))

    assert [r.record.data["id"] for r in output.records] == ["late"]


@HttpMocker()
def test_given_state_of_an_earlier_version_when_syncing_then_resumes_every_account_from_it(http_mocker):
    """Before per-account state, a stream kept one flat cursor: it must still be honoured, not restart from zero."""
    mock_parents(http_mocker, [ITEM], [ACCOUNT])
    http_mocker.get(transactions_request(SAVED), cursor_response([
        record("transactions", id="new", createdAt="2025-03-05T00:00:00.000Z"),
    ]))

    output = read_streams(["transactions"], config(), SyncMode.incremental,
                          state=stream_state("transactions", {"createdAt": SAVED}))

    assert [r.record.data["id"] for r in output.records] == ["new"]
    assert account_cursor(output) == "2025-03-05T00:00:00.000Z"


@HttpMocker()
def test_given_accounts_state_when_syncing_then_only_accounts_updated_since_are_emitted(http_mocker):
    changed = record("accounts", id="changed", itemId=ITEM["id"], updatedAt="2025-03-03T00:00:00.000Z")
    same = record("accounts", id="same", itemId=ITEM["id"], updatedAt=SAVED)
    older = record("accounts", id="older", itemId=ITEM["id"], updatedAt="2024-12-01T00:00:00.000Z")
    mock_parents(http_mocker, [ITEM], [changed, same, older])

    output = read_streams(["accounts"], config(), SyncMode.incremental,
                          state=stream_state("accounts", {"updatedAt": SAVED}))

    assert [r.record.data["id"] for r in output.records] == ["changed"]


@HttpMocker()
def test_given_no_accounts_state_when_first_sync_then_every_account_is_emitted(http_mocker):
    accounts = [record("accounts", id=f"a{n}", itemId=ITEM["id"], updatedAt=f"2025-0{n}-01T00:00:00.000Z")
                for n in (1, 2, 3)]
    mock_parents(http_mocker, [ITEM], accounts)

    output = read_streams(["accounts"], config(), SyncMode.incremental)

    assert sorted(r.record.data["id"] for r in output.records) == ["a1", "a2", "a3"]
