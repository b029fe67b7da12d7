"""A destination that reads slowly does not make source-pluggy hold more records: while its stdout is not read, the
connector reads on only until about 2,000 records wait to be written (connector_kit.flow), not 10,000 (the CDK's
queue), so its memory does not follow the load of the machine or the pace of the destination."""

from __future__ import annotations

import json
import os
import subprocess
import time

from connector_kit.testing.cli import cli

EMULATOR = ("pluggy", {"size": 3_000, "seed": 3, "rate_limit_per_minute": 1_000_000})  # 6 accounts x 3,000: 36 pages
PAGE = 500


def transactions_calls(emulator) -> int:
    return sum(1 for call in emulator.calls() if call.path == "/v2/transactions")


def test_given_a_paused_reader_when_reading_transactions_then_at_most_about_2000_records_are_read_ahead(emulator,
                                                                                                      tmp_path):
    config, catalog = tmp_path / "config.json", tmp_path / "catalog.json"
    config.write_text(json.dumps(emulator.connector_config()))
    catalog.write_text(json.dumps({"streams": [{
        "stream": {"name": "transactions", "json_schema": {}, "supported_sync_modes": ["incremental"]},
        "sync_mode": "incremental", "destination_sync_mode": "append"}]}))
    env = {**os.environ, "AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1"}
    reader = subprocess.Popen([cli("source-pluggy"), "read", "--config", str(config), "--catalog", str(catalog)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert reader.stdout is not None
    for line in reader.stdout:  # the first record: the read is under way
        if line.startswith(b'{"type":"RECORD"'):
            break
    time.sleep(8)  # the destination pauses; the pipe fills, then the records wait in the connector
    read_ahead = transactions_calls(emulator) * PAGE
    records = 1 + sum(1 for line in reader.stdout if line.startswith(b'{"type":"RECORD"'))
    assert reader.wait(timeout=120) == 0
    assert records == 6 * 3_000
    # Waiting: ~2,000 records, a page in the hands of each of the 4 workers, what the pipe and the print buffers hold
    # (~1,000 records). Without the bound: 11,000 (the CDK's queue of 10,000 filled).
    assert read_ahead <= 2_000 + 4 * PAGE + 2_000, f"{read_ahead:,} records read while the output was paused"
