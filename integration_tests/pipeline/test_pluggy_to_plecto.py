"""The whole path as Airbyte runs it: the installed `source-pluggy read` piped into `destination-plecto write`.

Registrations land in the Plecto emulator exactly once per record; an incremental run after new transactions
adds exactly those; every state the destination emits echoes the platform's id.
"""

from __future__ import annotations

import pytest
from pluggy_to_plecto import sync


@pytest.fixture(scope="module")
def pluggy(start_emulator):
    return start_emulator("pluggy", size="small", seed=11)


@pytest.fixture(scope="module")
def plecto(start_emulator):
    return start_emulator("plecto")


@pytest.fixture(autouse=True)
def fresh(pluggy, plecto, no_proxy):
    pluggy.reset()
    plecto.reset()


def registrations(plecto, title: str) -> dict[str, dict]:
    return {reg["external_id"]: reg for reg in plecto.registrations(plecto.data_source_uuid(title))}


def test_given_pluggy_sandbox_when_piped_into_plecto_then_each_record_is_one_registration(pluggy, plecto, tmp_path):
    read, write = sync(tmp_path, pluggy, plecto)

    transactions = registrations(plecto, "Transactions")
    accounts = registrations(plecto, "Accounts")
    assert set(transactions) == {r["id"] for r in read.records("transactions")}
    assert set(accounts) == {r["id"] for r in read.records("accounts")}
    sample = read.records("transactions")[0]
    stored = transactions[sample["id"]]
    assert float(stored["amount"]) == pytest.approx(sample["amount"])
    assert stored["accountId"] == sample["accountId"]
    echoed = [m["state"] for m in write.messages if m["type"] == "STATE"]
    assert echoed and all("id" in s for s in echoed)


def test_given_new_transactions_when_next_incremental_sync_then_exactly_those_registrations_added(pluggy, plecto, tmp_path):
    first_read, _ = sync(tmp_path, pluggy, plecto)
    before = registrations(plecto, "Transactions")
    added = pluggy.add_transactions(pluggy.accounts[2]["id"], 4)

    second_read, _ = sync(tmp_path, pluggy, plecto, state=first_read.final_states())

    after = registrations(plecto, "Transactions")
    assert sorted(r["id"] for r in second_read.records("transactions")) == sorted(t["id"] for t in added)
    assert set(after) - set(before) == {t["id"] for t in added}
    assert len(after) == len(before) + 4
