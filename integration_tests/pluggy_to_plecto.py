"""The Pluggy -> Plecto pipeline as a platform runs it: `source-pluggy read` piped into `destination-plecto write`,
each STATE numbered with an `id` as Airbyte 1.7+ does. Used by `make demo` and the pipeline test."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from connector_kit.testing.cli import Run, run_connector

STREAMS = ["transactions", "accounts"]


def source_catalog() -> dict[str, Any]:
    return {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                         "sync_mode": "incremental", "destination_sync_mode": "append_dedup"} for name in STREAMS]}


def destination_catalog() -> dict[str, Any]:
    return {"streams": [{"stream": {"name": name, "json_schema": {"type": "object"},
                                    "supported_sync_modes": ["full_refresh", "incremental"],
                                    "source_defined_primary_key": [["id"]]},
                         "sync_mode": "incremental", "destination_sync_mode": "append_dedup", "primary_key": [["id"]]}
                        for name in STREAMS]}


def destination_config(plecto: Any) -> dict[str, Any]:
    """Transactions to the emulator's Transactions data source dated by `date`; accounts by `updatedAt`."""
    config = plecto.connector_config()
    config["streams"] = [
        {"stream": "transactions", "data_source": plecto.data_source_uuid("Transactions"), "date_field": "date"},
        {"stream": "accounts", "data_source": plecto.data_source_uuid("Accounts"), "date_field": "updatedAt"},
    ]
    return config


def sync(tmp: Path, pluggy: Any, plecto: Any, state: Optional[list] = None) -> tuple[Run, Run]:
    """One sync: read, then every RECORD and STATE line (states numbered) into write; the two runs."""
    read = run_connector(tmp, "source-pluggy", "read", pluggy.connector_config(), source_catalog(), state)
    assert read.returncode == 0, read.errors() or read.stderr[-2000:]
    lines, state_id = [], 0
    for line in read.stdout.splitlines():
        if '"type":"RECORD"' in line:
            lines.append(line)
        elif '"type":"STATE"' in line:
            state_id += 1
            lines.append(line.replace('"state":{', f'"state":{{"id":{state_id},', 1))
    write = run_connector(tmp, "destination-plecto", "write", destination_config(plecto), destination_catalog(),
                          stdin_lines=lines)
    assert write.returncode == 0, write.errors() or write.stderr[-2000:]
    return read, write
