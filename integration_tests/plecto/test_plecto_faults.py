"""Faults and limits: a server killed mid-sync, invalid records under both policies, 429, 5xx, pacing."""

from __future__ import annotations

import time
from datetime import timedelta

from plecto_sandbox_helpers import REGS, catalog, record, registrations_by_external_id, run_write, state

EMULATOR = ("plecto", {})



def config(emulator, **values):
    return dict(emulator.connector_config(), **values)


def test_given_emulator_killed_mid_sync_when_write_then_every_emitted_state_covers_only_stored_records(emulator, tmp_path):
    transactions = emulator.data_source_uuid("Transactions")
    lines, before_state = [], {}
    for i in range(250):
        lines.append(record({"id": i, "amount": i}))
        if (i + 1) % 50 == 0:
            lines.append(state(i + 1, state_id=i + 1))
            before_state[i + 1] = {str(n) for n in range(i + 1)}
    emulator.die_after_posts(2)  # 2 batches of 100 are stored, then the server stops answering
    result = run_write(tmp_path, config(emulator, max_retries=1), catalog(("transactions", "append")), lines)
    stored = set(registrations_by_external_id(emulator, transactions))
    emitted = [s["id"] for s in result.states]
    assert result.returncode != 0
    assert any("after 2 attempt(s)" in e for e in result.errors)
    assert emitted == [50, 100, 150, 200]  # 250 was never acknowledged
    for state_id in emitted:
        assert before_state[state_id] <= stored
    assert len(stored) == 200


def test_given_invalid_records_and_skip_when_write_then_logged_counted_and_the_rest_stored(emulator, tmp_path):
    transactions = emulator.data_source_uuid("Transactions")
    emulator.set_switches(show_fields=False)  # no field types for the connector: Plecto's own 400 names the record
    cfg = config(emulator, on_invalid_record="skip")
    cfg["streams"][0]["date_field"] = "at"
    lines = [record({"id": i, "amount": i, "at": "2024-01-01"}) for i in range(10)]
    lines[3] = record({"id": 3, "amount": "three", "at": "2024-01-01"})  # Plecto rejects: decimal field
    lines[6] = record({"id": 6, "amount": 6, "at": "someday"})  # the connector rejects: not a date
    lines.append(state("end", state_id=1))
    result = run_write(tmp_path, cfg, catalog(("transactions", "append")), lines)
    assert result.returncode == 0, result.stderr
    assert set(registrations_by_external_id(emulator, transactions)) == {str(i) for i in range(10)} - {"3", "6"}
    assert "skipped external_id '3'" in result.logs and "expects a decimal number" in result.logs
    assert "skipped external_id '6'" in result.logs and "someday" in result.logs
    assert "invalid_skipped=2" in result.logs
    assert [s["id"] for s in result.states] == [1]
    statuses = [c.status for c in emulator.calls(REGS, method="POST")]
    assert statuses.count(400) >= 2 and statuses.count(201) >= 2  # narrowed by bisection


def test_given_invalid_record_and_fail_when_write_then_valid_ones_stored_and_sync_fails_naming_it(emulator, tmp_path):
    transactions = emulator.data_source_uuid("Transactions")
    emulator.set_switches(show_fields=False)  # no field types for the connector: Plecto's own 400 names the record
    lines = [record({"id": "ok-1", "amount": 1}), state("before", state_id=1),
             record({"id": "bad", "amount": "n/a"}), record({"id": "ok-2", "amount": 2}), state("after", state_id=2)]
    result = run_write(tmp_path, config(emulator), catalog(("transactions", "append")), lines)
    assert result.returncode != 0
    assert any("'bad'" in e and "expects a decimal number" in e and "on_invalid_record" in e for e in result.errors)
    assert set(registrations_by_external_id(emulator, transactions)) == {"ok-1", "ok-2"}
    assert [s["id"] for s in result.states] == [1]


def test_given_rate_limit_reached_when_write_then_waits_for_retry_after_and_completes(start_emulator, tmp_path, no_proxy):
    limited = start_emulator("plecto", requests_per_hour=2, window_seconds=2)
    transactions = limited.data_source_uuid("Transactions")
    cfg = dict(limited.connector_config(), batch_size=10)
    result = run_write(tmp_path, cfg, catalog(("transactions", "append")), [record({"id": i}) for i in range(30)])
    assert result.returncode == 0, result.stderr
    assert len(limited.registrations(transactions)) == 30
    assert [c.status for c in limited.calls(REGS, method="POST")] == [201, 201, 429, 201]
    assert "HTTP 429" in result.logs


def test_given_server_errors_when_write_then_retried_with_backoff_and_stored(emulator, tmp_path):
    emulator.faults.add(status=503, count=2, path_prefix=REGS, method="POST")
    result = run_write(tmp_path, config(emulator), catalog(("transactions", "append")), [record({"id": 1}), state("s", state_id=9)])
    assert result.returncode == 0, result.stderr
    assert [c.status for c in emulator.calls(REGS, method="POST")] == [503, 503, 201]
    assert [s["id"] for s in result.states] == [9]


def test_given_requests_per_hour_equal_to_the_published_limit_when_calling_then_paced_without_any_429(start_emulator, no_proxy):
    from destination_plecto.client import PlectoClient
    from destination_plecto.config import PlectoConfig

    # The same limit on both sides, in a window shrunk from an hour to half a second (the emulator's a bit
    # shorter, so network jitter cannot make it count a request the client counted in the previous window).
    limited = start_emulator("plecto", requests_per_hour=3, window_seconds=0.45)
    client = PlectoClient(PlectoConfig.parse(dict(limited.connector_config(), requests_per_hour=3)),
                          rate_window=timedelta(seconds=0.5), max_retries=0)
    started = time.monotonic()
    for _ in range(7):
        client.list_data_sources()
    assert time.monotonic() - started >= 0.9  # 3 + 3 + 1 calls over three windows
    assert [c.status for c in limited.calls()] == [200] * 7
