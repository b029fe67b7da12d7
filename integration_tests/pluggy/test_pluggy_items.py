"""End to end: items that are not there. An item deleted while a sync runs (after the sync listed it) is skipped with
one warning naming it and every other item's records arrive; an `item_ids` entry Pluggy does not have fails
`check` and `read` with a config error naming it."""

from __future__ import annotations

from collections import Counter

from connector_kit.testing.cli import run_connector

from test_pluggy_cli import catalog

EMULATOR = ("pluggy", {"size": "small", "seed": 11, "retry_after": 1})
STREAMS = ["items", "accounts", "transactions", "bills", "investments", "investment_transactions", "loans", "identity"]
UNKNOWN = "33333333-3333-4333-8333-333333333333"


def under(emulator, item_ids: set[str]) -> dict[str, Counter]:
    """The ids of every record under these items, by stream, as the emulator holds them now."""
    accounts = [a for a in emulator.accounts if a["itemId"] in item_ids]
    account_ids = {a["id"] for a in accounts}
    investments = [i for i in emulator.investments if i["itemId"] in item_ids]
    rows = {
        "accounts": accounts,
        "transactions": [t for a in account_ids for t in emulator.transactions[a]],
        "bills": [b for a in account_ids for b in emulator.bills.get(a, [])],
        "investments": investments,
        "investment_transactions": [t for i in investments for t in emulator.investment_transactions[i["id"]]],
        "loans": [x for x in emulator.loans if x["itemId"] in item_ids],
        "identity": [emulator.identities[i] for i in item_ids],
    }
    return {stream: Counter(r["id"] for r in records) for stream, records in rows.items()}


def test_given_an_item_deleted_during_the_sync_when_read_then_skipped_with_one_warning_and_the_others_complete(
        emulator, tmp_path) -> None:
    gone, *kept = [item["id"] for item in emulator.items]
    expected = under(emulator, set(kept))
    assert all(expected.values())  # the kept items have data in every stream: the comparison below means something
    emulator.delete_item_mid_sync(gone)

    run = run_connector(tmp_path, "source-pluggy", "read", emulator.connector_config(), catalog(STREAMS))

    assert run.returncode == 0, run.errors()
    got = {stream: Counter(r["id"] for r in records) for stream, records in run.records_by_stream().items()}
    for stream, ids in expected.items():
        seen = got.get(stream, Counter())
        assert seen == ids, (stream, seen - ids, ids - seen)  # every record of the other items, once
    assert set(kept) <= {r["id"] for r in run.records("items")}  # the listing (with or without the deleted item)
    assert [line for line in run.logs("WARN") if gone in line] == [
        f"Pluggy item {gone} was deleted during the sync (404 ITEM_NOT_FOUND): its accounts, transactions and other "
        "data are skipped; the other items sync."]
    assert any(c.path == "/accounts" and c.status == 404 for c in emulator.calls())  # it did answer 404 to the sync


def test_given_item_ids_naming_an_item_pluggy_does_not_have_when_check_and_read_then_a_config_error_names_it(
        emulator, tmp_path) -> None:
    config = {**emulator.connector_config(), "item_ids": [emulator.items[0]["id"], UNKNOWN]}

    check = run_connector(tmp_path, "source-pluggy", "check", config)
    read = run_connector(tmp_path, "source-pluggy", "read", config, catalog(["items", "accounts"]))

    assert check.connection_status()["status"] == "FAILED" and UNKNOWN in check.connection_status()["message"]
    [error] = read.errors()
    assert read.returncode == 1 and error["failure_type"] == "config_error" and UNKNOWN in error["message"]
    assert not [c for c in emulator.calls() if c.path == "/accounts"]  # nothing under the items was read
