"""End to end: the installed `source-protime` CLI against the Protime emulator.

Full read, then inserts/updates/deletes in the emulator, then an incremental read that returns exactly those
changes; plus delta expiry, external references, scopes, tokens and the User-Agent, checked on the emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connector_kit.testing.cli import run_connector

from sandbox.protime import scope_of

UA = "airbyte-source-protime/0.3.0"
EMULATOR = ("protime", {"size": "small", "seed": 42, "page_size": 10})


def _catalog(streams: dict[str, str]) -> dict[str, Any]:
    return {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                         "sync_mode": mode, "destination_sync_mode": "append"} for name, mode in streams.items()]}


def run(tmp_path: Path, verb: str, config: dict, catalog: dict | None = None, state: list | None = None) -> dict[str, Any]:
    done = run_connector(tmp_path, "source-protime", verb, config, catalog, state, timeout=120)
    statuses = [m["connectionStatus"] for m in done.messages if m["type"] == "CONNECTION_STATUS"]
    return {"records": [m["record"] for m in done.messages if m["type"] == "RECORD"],
            "states": {s["stream"]["stream_descriptor"]["name"]: s for s in done.final_states()},
            "errors": done.errors(), "status": statuses[-1] if statuses else None, "stdout": done.stdout}


def _data(out: dict, stream: str) -> list[dict]:
    return [r["data"] for r in out["records"] if r["stream"] == stream]


def test_given_full_read_and_changes_when_incremental_read_then_exactly_the_changes(emulator, tmp_path: Path) -> None:
    config = emulator.connector_config()
    catalog = _catalog({"clockings": "incremental"})

    first = run(tmp_path, "read", config, catalog)
    assert not first["errors"], first["errors"]
    assert len(_data(first, "clockings")) == len(emulator.data["clockings"])
    assert all(ua == UA for ua in emulator.user_agents)
    assert [r["scope"] for r in emulator.token_requests] == [scope_of("clockings")]  # one token, only its scope

    existing = sorted(emulator.data["clockings"])
    inserted = emulator.insert_clocking(1001, "2025-12-30", 555)
    emulator.update_clocking(existing[0], timeOfDayInMinutes=1)
    emulator.delete_clocking(existing[1])
    emulator.reset_calls()

    second = run(tmp_path, "read", config, catalog, [first["states"]["clockings"]])
    by_id = {r["id"]: r for r in _data(second, "clockings")}
    assert sorted(by_id) == sorted([inserted["id"], existing[0], existing[1]])
    assert by_id[inserted["id"]]["timeOfDayInMinutes"] == 555
    assert by_id[existing[0]]["timeOfDayInMinutes"] == 1 and not by_id[existing[0]].get("_ab_cdc_deleted_at")
    assert by_id[existing[1]]["_ab_cdc_deleted_at"]
    assert [c.path for c in emulator.calls("/connector/")] == ["/connector/protimeapi/api/v1/delta/clockings"]

    third = run(tmp_path, "read", config, catalog, [second["states"]["clockings"]])
    assert _data(third, "clockings") == []


def test_given_expired_delta_when_read_then_the_collection_is_read_again_and_delta_resumes(emulator, tmp_path: Path) -> None:
    config = emulator.connector_config()
    catalog = _catalog({"people": "incremental"})
    first = run(tmp_path, "read", config, catalog)
    emulator.expire_deltas()

    second = run(tmp_path, "read", config, catalog, [first["states"]["people"]])
    assert len(_data(second, "people")) == len(emulator.data["people"])  # fell back to the initial load

    emulator.update("people", 1001, email="new@example.com")
    third = run(tmp_path, "read", config, catalog, [second["states"]["people"]])
    assert [(p["id"], p["email"]) for p in _data(third, "people")] == [(1001, "new@example.com")]


def test_given_window_stream_when_second_sync_without_changes_then_only_the_lookback_is_reread(emulator, tmp_path: Path) -> None:
    config = {**emulator.connector_config(), "lookback_days": 3}
    catalog = _catalog({"paid_presences": "incremental"})
    first = run(tmp_path, "read", config, catalog)
    state_date = first["states"]["paid_presences"]["stream"]["stream_state"]["date"]

    second = run(tmp_path, "read", config, catalog, [first["states"]["paid_presences"]])
    dates = {r["date"] for r in _data(second, "paid_presences")}
    assert dates and min(dates) >= "2025-12-28" and max(dates) == state_date == "2025-12-31"
    assert len(_data(second, "paid_presences")) < len(_data(first, "paid_presences"))


def test_given_external_references_when_read_then_referenced_people_carry_them(emulator, tmp_path: Path) -> None:
    config = {**emulator.connector_config(),
              "external_references": [{"collection": "people", "reference": "@badge-number"},
                                      {"collection": "people", "reference": "HRMID"}]}
    out = run(tmp_path, "read", config, _catalog({"contracts": "full_refresh"}))
    people = emulator.data["people"]
    for contract in _data(out, "contracts"):
        pid = contract["person"]["id"]
        assert contract["person"]["externalReferences"] == {"@badge-number": people[pid]["badgeNumber"], "HRMID": f"HR/{pid}"}


def test_given_missing_scope_when_read_then_error_names_the_scope_to_grant(emulator, tmp_path: Path) -> None:
    emulator.granted_scopes.discard(scope_of("paid-presences"))
    out = run(tmp_path, "read", emulator.connector_config(), _catalog({"paid_presences": "full_refresh"}))
    assert any(e["failure_type"] == "config_error" and scope_of("paid-presences") in e["message"] for e in out["errors"])


def test_given_wrong_secret_when_check_then_failure_names_the_fields_without_the_secret(emulator, tmp_path: Path) -> None:
    out = run(tmp_path, "check", {**emulator.connector_config(), "client_secret": "wrong-sandbox-secret"})
    assert out["status"]["status"] == "FAILED"
    assert "client_secret" in out["status"]["message"]
    assert "wrong-sandbox-secret" not in out["stdout"]
