"""`destination-plecto write` deletes only what this connection wrote, only after a COMPLETE stream, within its cap,
and follows no redirect: the installed CLI against the Plecto emulator, whose Sales data source holds registrations
of another integration (member api provider 'Legacy CRM')."""

from __future__ import annotations

import pytest
from plecto_sandbox_helpers import (
    REGS,
    SecondHost,
    catalog,
    record,
    registrations_by_external_id,
    run_write,
    state,
    stream_status,
)
from sandbox.plecto import API, OTHER_PROVIDER

EMULATOR = ("plecto", {})
LEGACY = {f"legacy-{i}" for i in range(1, 6)}  # the seeded registrations of another integration


@pytest.fixture
def sales(emulator):
    return emulator.data_source_uuid("Sales")


@pytest.fixture(scope="module")
def second_host():
    host = SecondHost()
    yield host
    host.stop()


@pytest.fixture(autouse=True)
def nothing_received_yet(second_host):
    second_host.received.clear()


def sales_config(emulator, sales, **values):
    config = dict(emulator.connector_config(), **values)
    config["streams"] = [{"stream": "sales", "data_source": sales}]
    return config


def written_by_us(emulator, sales, tmp_path, *external_ids):
    """An earlier append sync of this connection: registrations of ours, which a later overwrite may replace."""
    result = run_write(tmp_path, sales_config(emulator, sales), catalog(("sales", "append")),
                       [record({"id": e, "Value": 1}, "sales") for e in external_ids])
    assert result.returncode == 0, result.stderr
    emulator.reset_calls()


def deletes(emulator):
    return emulator.calls(REGS, method="DELETE")


def test_given_one_record_then_incomplete_when_overwrite_then_nothing_deleted_and_the_log_says_why(emulator, sales, tmp_path):
    written_by_us(emulator, sales, tmp_path, "ours-1")
    result = run_write(tmp_path, sales_config(emulator, sales), catalog(("sales", "overwrite")),
                       [record({"id": "new-1", "Value": 2}, "sales"), stream_status("INCOMPLETE", "sales")])
    assert result.returncode == 0, result.stderr
    assert set(registrations_by_external_id(emulator, sales)) == LEGACY | {"ours-1", "new-1"}
    assert deletes(emulator) == []
    assert "its last stream status is INCOMPLETE, so nothing is deleted" in result.logs


def test_given_no_stream_status_when_overwrite_then_nothing_deleted(emulator, sales, tmp_path):
    written_by_us(emulator, sales, tmp_path, "ours-1")
    result = run_write(tmp_path, sales_config(emulator, sales), catalog(("sales", "overwrite")),
                       [record({"id": "new-1", "Value": 2}, "sales"), state("s", "sales")])
    assert result.returncode == 0, result.stderr
    assert set(registrations_by_external_id(emulator, sales)) == LEGACY | {"ours-1", "new-1"}
    assert deletes(emulator) == [] and len(result.states) == 1


def test_given_complete_and_another_integrations_registrations_when_overwrite_then_only_ours_deleted(emulator, sales, tmp_path):
    written_by_us(emulator, sales, tmp_path, "ours-1", "ours-2")
    result = run_write(tmp_path, sales_config(emulator, sales), catalog(("sales", "overwrite")),
                       [record({"id": "ours-2", "Value": 2}, "sales"), state("s", "sales"),
                        stream_status("COMPLETE", "sales")])
    assert result.returncode == 0, result.stderr
    regs = registrations_by_external_id(emulator, sales)
    assert set(regs) == LEGACY | {"ours-2"}
    assert {regs[e]["member"]["api_provider"] for e in LEGACY} == {OTHER_PROVIDER}
    assert len(deletes(emulator)) == 1
    assert "kept 5 registration(s)" in result.logs and f"'{OTHER_PROVIDER}'" in result.logs
    assert "stale_deleted=1" in result.logs and "stale_kept_not_ours=5" in result.logs


def test_given_a_plecto_that_names_no_member_provider_when_overwrite_then_nothing_deleted(emulator, sales, tmp_path):
    written_by_us(emulator, sales, tmp_path, "ours-1")
    emulator.set_switches(show_member_provider=False)
    result = run_write(tmp_path, sales_config(emulator, sales), catalog(("sales", "overwrite")),
                       [record({"id": "new-1", "Value": 2}, "sales"), stream_status("COMPLETE", "sales")])
    assert result.returncode == 0, result.stderr
    assert set(registrations_by_external_id(emulator, sales)) == LEGACY | {"ours-1", "new-1"}
    assert deletes(emulator) == [] and "kept 6 registration(s)" in result.logs


def test_given_more_to_delete_than_the_cap_when_overwrite_then_fails_before_any_delete(emulator, sales, tmp_path):
    written_by_us(emulator, sales, tmp_path, "ours-1", "ours-2", "ours-3")
    result = run_write(tmp_path, sales_config(emulator, sales, overwrite_max_deletions=2), catalog(("sales", "overwrite")),
                       [record({"id": "new-1", "Value": 2}, "sales"), state("s", "sales", state_id=7),
                        stream_status("COMPLETE", "sales")])
    assert result.returncode == 1
    [error] = result.errors
    assert "'sales'" in error and "3 registration(s)" in error and "'overwrite_max_deletions'" in error
    assert deletes(emulator) == []
    assert set(registrations_by_external_id(emulator, sales)) == LEGACY | {"ours-1", "ours-2", "ours-3", "new-1"}
    assert [s["id"] for s in result.states] == [7]  # the record it covers is stored


def test_given_dry_run_when_overwrite_then_nothing_deleted_and_the_log_names_them(emulator, sales, tmp_path):
    written_by_us(emulator, sales, tmp_path, "ours-1")
    result = run_write(tmp_path, sales_config(emulator, sales, deletion_dry_run=True), catalog(("sales", "overwrite")),
                       [record({"id": "new-1", "Value": 2}, "sales"), stream_status("COMPLETE", "sales")])
    assert result.returncode == 0, result.stderr
    assert deletes(emulator) == []
    assert "would delete 1 registration(s)" in result.logs and "'ours-1'" in result.logs


def test_given_cdc_deletes_of_ours_and_of_another_integrations_external_id_when_write_then_only_ours_deleted(emulator,
                                                                                                           tmp_path):
    transactions = emulator.data_source_uuid("Transactions")
    emulator.insert_registration(transactions, "crm-7", provider=OTHER_PROVIDER, api_id="u-1", name="Ana Souza")
    config = emulator.connector_config()
    cat = catalog(("transactions", "append_dedup"))
    assert run_write(tmp_path, config, cat, [record({"id": "a"})]).returncode == 0
    emulator.reset_calls()
    result = run_write(tmp_path, config, cat, [
        record({"id": "crm-7", "_ab_cdc_deleted_at": "2024-05-01T00:00:00Z"}),
        record({"id": "a", "_ab_cdc_deleted_at": "2024-05-01T00:00:00Z"}),
        state("after", state_id=3),
    ])
    assert result.returncode == 0, result.stderr
    assert set(registrations_by_external_id(emulator, transactions)) == {"crm-7"}
    assert len(deletes(emulator)) == 1
    assert "delete_not_ours=1" in result.logs and "deleted=1" in result.logs
    assert "'crm-7'" in result.logs and f"'{OTHER_PROVIDER}'" in result.logs
    assert [s["id"] for s in result.states] == [3]


def test_given_a_307_to_another_host_on_post_when_write_then_fails_naming_it_and_nothing_reaches_it(emulator, tmp_path,
                                                                                                   second_host):
    transactions = emulator.data_source_uuid("Transactions")
    emulator.faults.add(status=307, method="POST", path_prefix=f"{API}/registrations",
                        headers={"Location": f"{second_host.origin}{API}/registrations/?data=tx-1"})
    result = run_write(tmp_path, emulator.connector_config(), catalog(("transactions", "append")),
                       [record({"id": "tx-1", "amount": 5}), state("s", state_id=1)])
    assert result.returncode == 1
    assert second_host.received == []
    assert result.states == []  # not acknowledged
    [error] = result.errors
    assert "307" in error and f"a redirect to {second_host.origin} " in error and "data=tx-1" not in error
    assert emulator.registrations(transactions) == []


def test_given_a_302_to_another_host_on_get_when_write_then_fails_and_nothing_reaches_it(emulator, tmp_path, second_host):
    emulator.faults.add(status=302, method="GET", path_prefix=f"{API}/datasources",
                        headers={"Location": f"{second_host.origin}{API}/datasources/"})
    result = run_write(tmp_path, emulator.connector_config(), catalog(("transactions", "append")), [record({"id": 1})])
    assert result.returncode == 1 and second_host.received == []
    assert any("302" in e and second_host.origin in e for e in result.errors)
