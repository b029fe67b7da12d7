"""`destination-plecto write` against the Plecto emulator: what ends up stored, with how many calls."""

from __future__ import annotations

import pytest
from plecto_sandbox_helpers import (
    REGS,
    catalog,
    record,
    registrations_by_external_id,
    run_check,
    run_write,
    state,
    stream_status,
)

EMULATOR = ("plecto", {})



@pytest.fixture
def transactions(emulator):
    return emulator.data_source_uuid("Transactions")


def config(emulator, **mapping):
    cfg = emulator.connector_config()
    cfg["streams"][0].update(mapping)
    return cfg


def posts(emulator):
    return emulator.calls(REGS, method="POST")


def test_given_mapping_with_member_and_date_fields_when_write_then_registrations_stored_exactly(emulator, transactions, tmp_path):
    cfg = config(emulator, date_field="booked_at", member_api_id_field="owner_id", member_name_field="owner_name")
    result = run_write(tmp_path, cfg, catalog(("transactions", "append")), [
        record({"id": "t1", "booked_at": "2024-03-01T09:30:00+02:00", "owner_id": 7, "owner_name": "Ana Souza",
                "amount": 120.5, "tags": ["a", "b"], "payee": {"name": "Shop"}}),
        record({"id": "t2", "booked_at": "2024-03-02", "owner_id": 8, "owner_name": "Bo Lima", "amount": -3}),
        record({"id": "t3", "booked_at": 1709370000000, "owner_id": 7, "owner_name": "Ana Souza", "amount": 0}),
    ])
    assert result.returncode == 0, result.stderr
    regs = registrations_by_external_id(emulator, transactions)
    assert set(regs) == {"t1", "t2", "t3"}
    t1 = regs["t1"]
    assert t1["date"] == "2024-03-01T09:30:00+02:00"
    assert (t1["member"]["api_provider"], t1["member"]["api_id"], t1["member"]["name"]) == ("Airbyte", "7", "Ana Souza")
    assert {k: t1[k] for k in ("amount", "tags", "payee", "owner_id", "owner_name", "booked_at")} == {
        "amount": 120.5, "tags": '["a","b"]', "payee": '{"name":"Shop"}', "owner_id": 7, "owner_name": "Ana Souza",
        "booked_at": "2024-03-01T09:30:00+02:00"}
    assert regs["t2"]["date"] == "2024-03-02T00:00:00+00:00"
    assert regs["t3"]["date"] == "2024-03-02T09:00:00+00:00"
    assert regs["t3"]["member"]["uuid"] == t1["member"]["uuid"]  # one member per (provider, api id)
    assert len(posts(emulator)) == 1


def test_given_no_member_config_when_write_then_one_system_member_named_after_provider(emulator, transactions, tmp_path):
    cfg = config(emulator)
    cfg["member_api_provider"] = "Pluggy via Airbyte"
    run_write(tmp_path, cfg, catalog(("transactions", "append")), [record({"id": 1}), record({"id": 2})])
    members = {r["member"]["uuid"]: r["member"] for r in emulator.registrations(transactions)}
    assert [(m["name"], m["api_provider"]) for m in members.values()] == [("Pluggy via Airbyte", "Pluggy via Airbyte")]


def test_given_fixed_member_and_field_map_when_write_then_member_uuid_and_only_mapped_fields(emulator, transactions, tmp_path):
    member = next(iter(emulator.members))
    cfg = config(emulator, member=member, fields=[{"plecto_field": "amount", "record_field": "value"},
                                                  {"plecto_field": "Product Name", "record_field": "product"}])
    run_write(tmp_path, cfg, catalog(("transactions", "append")), [record({"id": 1, "value": 5, "product": "X", "other": 1})])
    [reg] = emulator.registrations(transactions)
    assert reg["member"]["uuid"] == member
    assert {k: v for k, v in reg.items() if k not in ("id", "data_source", "external_id", "member", "date", "created", "modified")} == {
        "amount": 5, "Product Name": "X"}


def test_given_250_records_when_write_then_minimum_of_three_posts(emulator, transactions, tmp_path):
    lines = [record({"id": i, "amount": i}) for i in range(250)] + [state("end")]
    result = run_write(tmp_path, config(emulator), catalog(("transactions", "append")), lines)
    assert result.returncode == 0, result.stderr
    assert len(emulator.registrations(transactions)) == 250
    assert [c.status for c in posts(emulator)] == [201, 201, 201]
    # nothing else but the one read of the data source's fields at the start: no lookups, no retries
    assert [(c.method, c.path) for c in emulator.calls()] == [("GET", f"/api/v2/datasources/{transactions}/")] + [
        ("POST", f"{REGS}/")] * 3


def test_given_duplicate_external_ids_in_one_batch_when_write_then_later_wins_without_a_400(emulator, transactions, tmp_path):
    lines = [record({"id": "a", "amount": 1}), record({"id": "b", "amount": 2}), record({"id": "a", "amount": 3})]
    result = run_write(tmp_path, config(emulator), catalog(("transactions", "append")), lines)
    assert result.returncode == 0
    assert {k: r["amount"] for k, r in registrations_by_external_id(emulator, transactions).items()} == {"a": 3, "b": 2}
    assert [c.status for c in posts(emulator)] == [201]
    assert "duplicates_in_batch=1" in result.logs


def test_given_second_run_when_write_then_upserted_without_duplicates(emulator, transactions, tmp_path):
    cat = catalog(("transactions", "append_dedup"))
    run_write(tmp_path, config(emulator), cat, [record({"id": i, "amount": i}) for i in range(30)])
    first = registrations_by_external_id(emulator, transactions)
    run_write(tmp_path, config(emulator), cat, [record({"id": i, "amount": i * 10}) for i in range(30)])
    second = registrations_by_external_id(emulator, transactions)
    assert len(second) == 30
    assert all(second[k]["id"] == first[k]["id"] for k in first)  # same registrations, updated in place
    assert second["7"]["amount"] == 70


def test_given_overwrite_and_stream_complete_when_write_ends_then_our_stale_registrations_deleted(emulator, tmp_path):
    sales = emulator.data_source_uuid("Sales")
    assert len(emulator.registrations(sales)) == 5  # seeded legacy-1..5, of another integration
    cfg = emulator.connector_config()
    cfg["streams"] = [{"stream": "sales", "data_source": sales}]
    first = [record({"id": f"old-{i}", "Value": i}, "sales") for i in range(1, 5)] + [stream_status("COMPLETE", "sales")]
    assert run_write(tmp_path, cfg, catalog(("sales", "overwrite")), first).returncode == 0
    lines = [record({"id": "old-2", "Value": 99}, "sales"), record({"id": "new-1", "Value": 1}, "sales"), state("s", "sales"),
             stream_status("COMPLETE", "sales")]
    result = run_write(tmp_path, cfg, catalog(("sales", "overwrite")), lines)
    assert result.returncode == 0, result.stderr
    regs = registrations_by_external_id(emulator, sales)
    assert set(regs) == {"old-2", "new-1"} | {f"legacy-{i}" for i in range(1, 6)} and regs["old-2"]["Value"] == 99
    assert len(emulator.calls(REGS, method="DELETE")) == 3
    assert len(result.states) == 1


def test_given_append_when_write_then_existing_registrations_kept(emulator, tmp_path):
    sales = emulator.data_source_uuid("Sales")
    cfg = emulator.connector_config()
    cfg["streams"] = [{"stream": "sales", "data_source": sales}]
    run_write(tmp_path, cfg, catalog(("sales", "append")), [record({"id": "new-1", "Value": 1}, "sales")])
    assert len(emulator.registrations(sales)) == 6


def test_given_cdc_deleted_records_when_write_then_their_registrations_are_deleted(emulator, transactions, tmp_path):
    cat = catalog(("transactions", "append_dedup"))
    run_write(tmp_path, config(emulator), cat, [record({"id": i}) for i in ("a", "b", "c")])
    result = run_write(tmp_path, config(emulator), cat, [
        record({"id": "b", "_ab_cdc_deleted_at": "2024-05-01T00:00:00Z"}),
        record({"id": "c", "amount": 4, "_ab_cdc_deleted_at": None}),
        record({"id": "zz", "_ab_cdc_deleted_at": "2024-05-01T00:00:00Z"}),  # never existed: nothing to do
        state("after-deletes"),
    ])
    assert result.returncode == 0, result.stderr
    assert set(registrations_by_external_id(emulator, transactions)) == {"a", "c"}
    assert len(emulator.calls(REGS, method="DELETE")) == 1
    assert "delete_not_found=1" in result.logs and "deleted=1" in result.logs
    assert len(result.states) == 1


def test_given_platform_state_ids_when_write_then_each_echoed_with_destination_record_count(emulator, tmp_path):
    lines = [record({"id": i}) for i in range(3)] + [state(3, state_id=11, source_count=3)] + \
            [record({"id": i}) for i in range(3, 5)] + [state(5, state_id=12, source_count=2)]
    result = run_write(tmp_path, config(emulator), catalog(("transactions", "append")), lines)
    assert [(s["id"], s["destinationStats"]["recordCount"], s["sourceStats"]["recordCount"]) for s in result.states] == [
        (11, 3.0, 3.0), (12, 2.0, 2.0)]


def test_given_catalog_stream_without_mapping_when_write_then_fails_naming_it_before_any_call(emulator, tmp_path):
    result = run_write(tmp_path, config(emulator), catalog(("transactions", "append"), ("accounts", "append")),
                       [record({"id": 1})])
    assert result.returncode != 0
    assert any("accounts" in e and "no mapping" in e for e in result.errors)
    assert emulator.calls() == []


def test_given_sandbox_config_when_check_then_succeeds(emulator, transactions, tmp_path):
    assert run_check(tmp_path, emulator.connector_config())["status"] == "SUCCEEDED"
    assert [c.path for c in emulator.calls()] == [f"/api/v2/datasources/{transactions}/"]


def test_given_wrong_password_when_check_then_fails_naming_fields_without_secret(emulator, tmp_path):
    cfg = dict(emulator.connector_config(), password="not-the-password")
    status = run_check(tmp_path, cfg)
    assert status["status"] == "FAILED" and "'password'" in status["message"]
    assert "not-the-password" not in status["message"]


def test_given_unknown_data_source_when_check_then_fails_naming_uuid_and_field(emulator, tmp_path):
    cfg = config(emulator, data_source="f" * 32)
    status = run_check(tmp_path, cfg)
    assert status["status"] == "FAILED"
    assert "streams[0].data_source" in status["message"] and "f" * 32 in status["message"]
