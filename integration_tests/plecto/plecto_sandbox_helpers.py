"""Helpers for tests that write into the Plecto emulator with the installed `destination-plecto` CLI.

Usable from other test modules too (e.g. an end-to-end source -> destination test):
    from plecto_sandbox_helpers import registrations_by_external_id, run_write
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from connector_kit.testing.cli import Run, run_connector

REGS = "/api/v2/registrations"

class WriteResult(Run):
    """A `destination-plecto write` run, read the way these tests assert on it."""

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.messages if m.get("type") == "STATE"]

    @property
    def errors(self) -> list[str]:  # type: ignore[override]  # messages only: what the tests match on
        return [error["message"] for error in Run.errors(self)]

    @property
    def logs(self) -> str:  # type: ignore[override]
        return "\n".join(Run.logs(self))


def registrations_by_external_id(emulator: Any, data_source: str) -> dict[str, dict[str, Any]]:
    """The emulator's stored registrations of one data source, keyed by external_id."""
    return {reg["external_id"]: reg for reg in emulator.registrations(data_source)}


def catalog(*streams: tuple[str, str], primary_key: str = "id", properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """(stream name, destination sync mode) pairs -> configured catalog JSON; `properties`: each stream's JSON-schema
    properties (default: a schema that lists none)."""
    json_schema = {"type": "object", **({"properties": properties} if properties is not None else {})}
    return {"streams": [{
        "stream": {"name": name, "json_schema": json_schema, "supported_sync_modes": ["full_refresh", "incremental"],
                   "source_defined_primary_key": [[primary_key]]},
        "sync_mode": "full_refresh" if mode == "overwrite" else "incremental",
        "destination_sync_mode": mode,
    } for name, mode in streams]}


def record(data: dict[str, Any], stream: str = "transactions") -> str:
    return json.dumps({"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1700000000000}})


def state(cursor: Any, stream: str = "transactions", state_id: int | None = None, source_count: int | None = None) -> str:
    message: dict[str, Any] = {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"cursor": cursor}}}
    if state_id is not None:
        message["id"] = state_id
    if source_count is not None:
        message["sourceStats"] = {"recordCount": float(source_count)}
    return json.dumps({"type": "STATE", "state": message})


def run_write(tmp_path: Path, config: dict[str, Any], catalog_json: dict[str, Any], lines: Iterable[str],
              timeout: float = 120) -> WriteResult:
    done = run_connector(tmp_path, "destination-plecto", "write", config, catalog_json, stdin_lines=lines,
                         timeout=timeout)
    return WriteResult(done.stdout, done.returncode, done.stderr)


def run_check(tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    done = run_connector(tmp_path, "destination-plecto", "check", config, timeout=60)
    statuses = [m["connectionStatus"] for m in done.messages if m["type"] == "CONNECTION_STATUS"]
    assert len(statuses) == 1, done.stdout + done.stderr
    return statuses[0]
