"""Past the CDK's limit of per-partition state (10,000 partitions; 3 here), `transactions` keeps one global cursor:
the newest createdAt of all accounts, whichever account read it, in whatever order the records came."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.declarative.incremental.concurrent_partition_cursor import ConcurrentPerPartitionCursor
from airbyte_cdk.test.mock_http import HttpMocker

from pluggy_api import config, cursor_response, get, mock_parents, read_streams, record

ITEM = record("items")
ACCOUNTS = [record("accounts", id=f"acc-{n}", itemId=ITEM["id"]) for n in range(5)]
NEWEST = "2025-02-27T10:00:00.000Z"


@pytest.fixture
def switch_at_three(monkeypatch):
    monkeypatch.setattr(ConcurrentPerPartitionCursor, "SWITCH_TO_GLOBAL_LIMIT", 3)


@HttpMocker()
def test_given_more_accounts_than_the_partition_limit_when_syncing_then_one_global_cursor_holds_the_newest(
        http_mocker, switch_at_three):
    mock_parents(http_mocker, [ITEM], ACCOUNTS)
    for n, account in enumerate(ACCOUNTS):
        newest = NEWEST if n == 3 else f"2025-02-0{n + 1}T10:00:00.000Z"
        http_mocker.get(get("/v2/transactions", accountId=account["id"], createdAtFrom="2025-01-01T00:00:00.000Z"),
                        cursor_response([record("transactions", id=f"t{n}-1", createdAt="2025-01-20T10:00:00.000Z"),
                                         record("transactions", id=f"t{n}-2", createdAt=newest),
                                         record("transactions", id=f"t{n}-3", createdAt="2025-01-10T10:00:00.000Z")]))

    output = read_streams(["transactions"], config(start_date="2025-01-01T00:00:00Z"), SyncMode.incremental)

    assert len(output.records) == 15
    state = output.most_recent_state.stream_state.__dict__
    assert state["use_global_cursor"] is True and "states" not in state
    assert state["state"] == {"createdAt": NEWEST}
