"""A connector run leaves nothing in the temp folder, however it ends (connector_kit.temp_folder).

source-pluggy caches its parent streams (`use_cache`), so the CDK keeps SQLite files in a temporary folder while it
reads. The temp folder (TMPDIR) holds the same entries after a run as before: after a run that finishes, after a
run stopped by SIGTERM (as PyAirbyte stops its sources; the run still ends by SIGTERM), and, for a killed run, once
the next run has started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from connector_kit.testing.cli import cli, write_json

EMULATOR = ("pluggy", {"size": "small", "seed": 7})
STREAMS = ["items", "accounts", "transactions"]


def catalog() -> dict:
    return {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                         "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"} for name in STREAMS]}


def start(verb: str, emulator, tmp_path: Path, temp: Path) -> subprocess.Popen:
    args = [cli("source-pluggy"), verb, "--config", write_json(tmp_path / "config.json", emulator.connector_config())]
    if verb == "read":
        args += ["--catalog", write_json(tmp_path / "catalog.json", catalog())]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "TMPDIR": str(temp)})


def temp_folder(tmp_path: Path) -> Path:
    temp = tmp_path / "temp"
    temp.mkdir()
    (temp / "someone-elses-file").write_text("kept")
    return temp


def entries(temp: Path) -> list[str]:
    return sorted(path.name for path in temp.iterdir())


def reading_with_its_cache(process: subprocess.Popen, temp: Path, emulator) -> None:
    """Until the read has its HTTP cache on disk and is waiting for an answer (every answer is slowed down)."""
    deadline = time.monotonic() + 120
    while not list(temp.rglob("*.sqlite")) or not emulator.calls("/accounts"):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.1)


def test_given_a_read_when_it_finishes_then_the_temp_folder_holds_what_it_held_before(emulator, tmp_path):
    temp = temp_folder(tmp_path)

    stdout, stderr = start("read", emulator, tmp_path, temp).communicate(timeout=180)

    assert '"type":"RECORD"' in stdout, stderr[-2000:]
    assert entries(temp) == ["someone-elses-file"]


def test_given_a_read_stopped_by_sigterm_then_its_temp_files_are_gone_and_it_ends_by_sigterm(emulator, tmp_path):
    temp = temp_folder(tmp_path)
    emulator.faults.delay_seconds = 0.5
    process = start("read", emulator, tmp_path, temp)
    reading_with_its_cache(process, temp, emulator)

    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)

    assert process.returncode == -signal.SIGTERM
    assert entries(temp) == ["someone-elses-file"]


def test_given_a_killed_read_when_the_next_run_starts_then_its_leftover_is_removed(emulator, tmp_path):
    temp = temp_folder(tmp_path)
    emulator.faults.delay_seconds = 0.5
    killed = start("read", emulator, tmp_path, temp)
    reading_with_its_cache(killed, temp, emulator)
    killed.kill()
    killed.communicate(timeout=60)
    assert len(entries(temp)) == 2  # what a killed run leaves: its folder
    emulator.faults.delay_seconds = 0

    stdout, _ = start("check", emulator, tmp_path, temp).communicate(timeout=180)

    [status] = [json.loads(line)["connectionStatus"] for line in stdout.splitlines() if "CONNECTION_STATUS" in line]
    assert status["status"] == "SUCCEEDED"
    assert entries(temp) == ["someone-elses-file"]
