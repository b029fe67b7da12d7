"""`destination-plecto` against the Plecto emulator: fields a data source lacks, data sources created from the
stream schema, answers without a field list, and field types checked before Plecto sees a value."""

from __future__ import annotations

import pytest
from plecto_sandbox_helpers import REGS, catalog, record, registrations_by_external_id, run_check, run_write, state

EMULATOR = ("plecto", {})
DATA_SOURCES = "/api/v2/datasources/"
# Transactions has one field, `amount` (decimal); `category` is sent by default but has no field there.
SCHEMA = {"id": {"type": "string"}, "amount": {"type": "number"}, "category": {"type": "string"}}
DEALS_SCHEMA = {"id": {"type": "string"}, "amount": {"type": ["null", "number"]}, "won": {"type": "boolean"},
                "stage": {"type": "string"}, "owner": {"type": "object"}, "_ab_cdc_deleted_at": {"type": ["null", "string"]}}
DEALS_FIELDS = [{"name": "amount", "input": "DecimalInput", "default_value": ""},
                {"name": "won", "input": "CheckboxInput", "default_value": ""},
                {"name": "stage", "input": "TextInput", "default_value": ""},
                {"name": "owner", "input": "TextInput", "default_value": ""}]


@pytest.fixture
def transactions(emulator):
    return emulator.data_source_uuid("Transactions")


def config(emulator, **values):
    return dict(emulator.connector_config(), **values)


@pytest.mark.parametrize("unknown_fields, kept", [("keep", True), ("drop", False)])
def test_given_field_the_data_source_lacks_when_write_then_warning_names_stream_and_field_whatever_plecto_keeps(
        emulator, transactions, tmp_path, unknown_fields, kept):
    emulator.set_switches(unknown_fields=unknown_fields)
    result = run_write(tmp_path, config(emulator), catalog(("transactions", "append"), properties=SCHEMA),
                       [record({"id": "t1", "amount": 5, "category": "food"}), state("s", state_id=1)])
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.logs.splitlines() if "does not have" in line]
    assert len(warnings) == 1
    assert "Stream 'transactions'" in warnings[0] and "'category'" in warnings[0] and "'amount'" not in warnings[0]
    stored = registrations_by_external_id(emulator, transactions)["t1"]
    assert stored["amount"] == 5 and ("category" in stored) is kept  # the emulator's two readings of Plecto
    assert [s["id"] for s in result.states] == [1]


def test_given_field_the_data_source_lacks_and_on_missing_field_fail_when_write_then_config_error_and_nothing_written(
        emulator, transactions, tmp_path):
    result = run_write(tmp_path, config(emulator, on_missing_field="fail"), catalog(("transactions", "append"), properties=SCHEMA),
                       [record({"id": "t1", "amount": 5, "category": "food"}), state("s", state_id=1)])
    assert result.returncode != 0
    [error] = result.errors
    assert "Stream 'transactions'" in error and "'category'" in error and "on_missing_field" in error
    assert emulator.calls(REGS) == [] and emulator.registrations(transactions) == [] and result.states == []


def test_given_explicit_field_the_data_source_lacks_when_check_then_warned_or_failed_per_on_missing_field(emulator, tmp_path):
    cfg = config(emulator)
    cfg["streams"][0]["fields"] = [{"plecto_field": "amount", "record_field": "value"},
                                   {"plecto_field": "Category", "record_field": "category"}]
    warned = run_check(tmp_path, cfg)
    failed = run_check(tmp_path, dict(cfg, on_missing_field="fail"))
    assert warned["status"] == "SUCCEEDED" and failed["status"] == "FAILED"
    for status in (warned, failed):
        assert "Stream 'transactions'" in status["message"] and "'Category'" in status["message"]


def test_given_create_missing_data_sources_when_write_twice_then_created_once_with_schema_fields(emulator, tmp_path):
    cfg = config(emulator, create_missing_data_sources=True)
    cfg["streams"] = [{"stream": "deals", "data_source": "Deals (Airbyte)"}]
    cat = catalog(("deals", "append_dedup"), properties=DEALS_SCHEMA)
    deal = {"id": "d1", "amount": 1200.5, "won": True, "stage": "closed", "owner": {"name": "Ana"}}
    first = run_write(tmp_path, cfg, cat, [record(deal, "deals"), state("s1", "deals", state_id=1)])
    assert first.returncode == 0, first.stderr
    [created] = emulator.data_sources_titled("Deals (Airbyte)")
    assert created["fields"] == DEALS_FIELDS
    assert f"created Plecto data source 'Deals (Airbyte)' ({created['uuid']})" in first.logs
    assert f"set 'streams[0].data_source' to \"{created['uuid']}\"" in first.logs
    assert registrations_by_external_id(emulator, created["uuid"])["d1"]["won"] is True

    second = run_write(tmp_path, cfg, cat, [record(dict(deal, stage="paid"), "deals"), state("s2", "deals", state_id=2)])
    assert second.returncode == 0, second.stderr
    assert len(emulator.data_sources_titled("Deals (Airbyte)")) == 1
    assert len(emulator.calls(DATA_SOURCES, method="POST")) == 1  # the first run's creation only
    assert f"found Plecto data source 'Deals (Airbyte)' ({created['uuid']})" in second.logs
    assert registrations_by_external_id(emulator, created["uuid"])["d1"]["stage"] == "paid"
    assert "does not have" not in first.logs + second.logs  # every field sent exists


def test_given_title_not_created_yet_when_check_then_succeeds_saying_the_first_sync_creates_it(emulator, tmp_path):
    cfg = config(emulator, create_missing_data_sources=True)
    cfg["streams"] = [{"stream": "deals", "data_source": "Deals (Airbyte)"}]
    status = run_check(tmp_path, cfg)
    assert status["status"] == "SUCCEEDED" and "first sync creates it" in status["message"]
    assert emulator.calls(DATA_SOURCES, method="POST") == [] and emulator.data_sources_titled("Deals (Airbyte)") == []


def test_given_answers_without_a_field_list_when_write_then_sync_succeeds_and_says_so_once(emulator, tmp_path):
    emulator.set_switches(show_fields=False)
    cfg = config(emulator, on_missing_field="fail")
    cfg["streams"] = [{"stream": "transactions", "data_source": emulator.data_source_uuid("Transactions")},
                      {"stream": "accounts", "data_source": emulator.data_source_uuid("Accounts")}]
    result = run_write(tmp_path, cfg, catalog(("transactions", "append"), ("accounts", "append"), properties=SCHEMA),
                       [record({"id": "t1", "amount": 5, "category": "food"}), record({"id": "a1"}, "accounts"),
                        state("s", state_id=1)])
    assert result.returncode == 0, result.stderr
    assert result.logs.count("no field list") == 1
    assert [s["id"] for s in result.states] == [1]
    assert set(registrations_by_external_id(emulator, emulator.data_source_uuid("Transactions"))) == {"t1"}


def test_given_text_in_a_decimal_field_when_write_then_the_connector_names_it_and_plecto_never_sees_it(
        emulator, transactions, tmp_path):
    lines = [record({"id": "ok", "amount": 1}), record({"id": "bad", "amount": "three"}), state("s", state_id=1)]
    result = run_write(tmp_path, config(emulator, on_invalid_record="skip"), catalog(("transactions", "append")), lines)
    assert result.returncode == 0, result.stderr
    assert "skipped external_id 'bad': record field 'amount' holds text, but Plecto field 'amount' is a decimal field" \
        in result.logs
    assert set(registrations_by_external_id(emulator, transactions)) == {"ok"}
    assert [c.status for c in emulator.calls(REGS, method="POST")] == [201]  # no 400 to narrow down
