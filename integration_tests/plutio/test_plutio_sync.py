"""End to end: the installed `source-plutio` CLI against the Plutio sandbox, full read then incremental read,
with the API calls each one used: the pages needed + one token, and at most one call more (the page cap probe)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from plutio_helpers import (ALL_STREAMS, FULL_REFRESH, INCREMENTAL, SCHEMAS, assert_minimum_plus_at_most_one, catalog,
                            minimal_calls, observed_calls, run_cli)

PAGE_SIZE = 10


@pytest.fixture(scope="module")
def emulator(start_emulator):
    return start_emulator("plutio", size="small", seed=42)


@pytest.fixture(scope="module")
def config(emulator) -> dict:
    return {**emulator.connector_config(), "page_size": PAGE_SIZE}


def test_given_sandbox_when_full_then_incremental_read_then_only_changes_and_at_most_one_call_over_the_minimum(emulator, config, tmp_path, no_proxy) -> None:
    emulator.reset()

    # ---- first sync: everything, in the minimum number of calls (+ at most one) --------------------------
    expected_calls = minimal_calls(emulator, PAGE_SIZE)
    first = run_cli(tmp_path, "read", config, catalog())
    assert first.returncode == 0, first.logs("ERROR")
    by_stream = first.records_by_stream()
    for stream, path in {**INCREMENTAL, **FULL_REFRESH, "comments": "comments"}.items():
        ids = [r["_id"] for r in by_stream.get(stream, [])]
        assert sorted(ids) == sorted(r["_id"] for r in emulator.records(path)), stream
        assert len(ids) == len(set(ids)), f"{stream} emitted a record twice"
    assert_minimum_plus_at_most_one(observed_calls(emulator), expected_calls)
    for stream in ALL_STREAMS:
        schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
        for data in by_stream.get(stream, []):
            jsonschema.validate(data, schema)

    # ---- changes between the syncs ----------------------------------------------------------------------
    new_person = emulator.insert("people", name={"first": "New", "last": "Person"}, role="client")
    task = emulator.records("tasks")[5]
    emulator.update("tasks", task["_id"], status="completed")
    company = emulator.records("companies")[2]
    emulator.update("companies", company["_id"], title="Renamed Co")
    new_status = emulator.insert("statuses", title="Blocked", entityType="task")

    # ---- second sync from the state: only what changed, again in the minimum number of calls (+ one) -----
    cursors = {s: first.cursor(s) for s in INCREMENTAL}
    assert all(cursors.values()), cursors
    emulator.reset_calls()
    expected_calls = minimal_calls(emulator, PAGE_SIZE, cursors)
    second = run_cli(tmp_path, "read", config, catalog(), state=first.final_states())
    assert second.returncode == 0, second.logs("ERROR")
    changed = {s: sorted(r["_id"] for r in second.records(s)) for s in INCREMENTAL}
    assert changed == {
        **{s: [] for s in INCREMENTAL},
        "people": [new_person["_id"]],
        "tasks": [task["_id"]],
        "companies": [company["_id"]],
    }
    assert second.records("tasks")[0]["status"] == "completed"
    # full-refresh streams are read whole every time, new rows included
    assert new_status["_id"] in [r["_id"] for r in second.records("statuses")]
    assert_minimum_plus_at_most_one(observed_calls(emulator), expected_calls)  # small changes: the probe settles
    assert second.cursor("people") == new_person["updatedAt"]

    # ---- third sync, nothing changed: no record of any incremental stream --------------------------------
    third = run_cli(tmp_path, "read", config, catalog(list(INCREMENTAL)), state=second.final_states())
    assert third.returncode == 0, third.logs("ERROR")
    assert third.records() == []
