"""Helpers for tests that write into the Plecto emulator with the installed `destination-plecto` CLI.

Usable from other test modules too (e.g. an end-to-end source -> destination test):
    from plecto_sandbox_helpers import registrations_by_external_id, run_write
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from conftest import cli


@dataclass
class WriteResult:
    returncode: int
    messages: list[dict[str, Any]]
    stderr: str

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.messages if m.get("type") == "STATE"]

    @property
    def errors(self) -> list[str]:
        return [m["trace"]["error"]["message"] for m in self.messages
                if m.get("type") == "TRACE" and m["trace"].get("type") == "ERROR"]

    @property
    def logs(self) -> str:
        return "\n".join(m["log"]["message"] for m in self.messages if m.get("type") == "LOG")


def registrations_by_external_id(emulator: Any, data_source: str) -> dict[str, dict[str, Any]]:
    """The emulator's stored registrations of one data source, keyed by external_id."""
    return {reg["external_id"]: reg for reg in emulator.registrations(data_source)}


def catalog(*streams: tuple[str, str], primary_key: str = "id") -> dict[str, Any]:
    """(stream name, destination sync mode) pairs -> configured catalog JSON."""
    return {"streams": [{
        "stream": {"name": name, "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh", "incremental"],
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
    config_path, catalog_path = tmp_path / "config.json", tmp_path / "catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(catalog_json))
    done = subprocess.run([cli("destination-plecto"), "write", "--config", str(config_path), "--catalog", str(catalog_path)],
                          input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=timeout)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return WriteResult(done.returncode, messages, done.stderr)


def run_check(tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    config_path = tmp_path / "check_config.json"
    config_path.write_text(json.dumps(config))
    done = subprocess.run([cli("destination-plecto"), "check", "--config", str(config_path)],
                          capture_output=True, text=True, timeout=60)
    statuses = [json.loads(l)["connectionStatus"] for l in done.stdout.splitlines()
                if l.startswith("{") and json.loads(l).get("type") == "CONNECTION_STATUS"]
    assert len(statuses) == 1, done.stdout + done.stderr
    return statuses[0]
