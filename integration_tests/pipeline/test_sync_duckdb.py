"""The example pipeline over the sandbox (Pluggy and Plutio; Protime's deletions are in test_sync_postgres), into
the embedded DuckDB cache, run twice as cron would run it: the first run makes one Plecto registration per record,
the second reads and sends only what changed in between, and no secret reaches any output, log, state or cache
file."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from airbyte_pipeline.pipeline_file import load_pipeline
from airbyte_pipeline.status_text import status_text

from sandbox_pipeline import (PUSHED, Changes, airbyte_pipeline, example_over, expected_registrations, make_changes,
                              pipeline_env, registration_mismatches, registrations, table_row, write_pipeline)

PLUTIO_SECRET = f"plutio-{secrets.token_hex(12)}"  # a value that exists nowhere else
SANDBOX_SECRETS = ("sandbox-pluggy-secret", "sandbox-password")  # Pluggy's and Plecto's, from sandbox.env


@dataclass
class Synced:
    state_dir: Path
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess
    pipeline_file: Path
    status: subprocess.CompletedProcess
    dry_run: subprocess.CompletedProcess
    calls_during_second: dict[str, int]
    calls_during_dry_run: int
    expected_after_first: dict[str, set[str]]
    held_after_first: dict[str, set[str]]
    changes: Changes

    def outputs(self) -> str:
        runs = (self.first, self.second, self.status, self.dry_run)
        return "".join(run.stdout + run.stderr for run in runs)


@pytest.fixture(scope="module")
def sandbox(start_emulator):
    return {"pluggy": start_emulator("pluggy", size="small", seed=11),
            "plutio": start_emulator("plutio", client_secret=PLUTIO_SECRET), "plecto": start_emulator("plecto")}


@pytest.fixture(scope="module")
def synced(sandbox, tmp_path_factory) -> Synced:
    folder = tmp_path_factory.mktemp("duckdb-pipeline")
    path = str(write_pipeline(folder / "pipeline.yaml", example_over(sandbox)))
    env = pipeline_env(PLUTIO_CLIENT_SECRET=PLUTIO_SECRET)
    first = airbyte_pipeline("run", path, env=env)
    expected = expected_registrations(sandbox)
    held = {title: set(registrations(sandbox["plecto"], title)) for title in expected}
    changes = make_changes(sandbox)
    for emulator in sandbox.values():
        emulator.reset_calls()
    second = airbyte_pipeline("run", path, env=env)
    calls_during_second = {name: len(emulator.calls()) for name, emulator in sandbox.items()}
    status = airbyte_pipeline("status", path, "--json", env=env)
    for emulator in sandbox.values():
        emulator.reset_calls()
    dry_run = airbyte_pipeline("run", path, "--dry-run", env=env)
    calls = sum(len(emulator.calls()) for emulator in sandbox.values())
    return Synced(folder / ".cache" / "sandbox", first, second, Path(path), status, dry_run, calls_during_second, calls,
                  expected, held, changes)


def test_given_the_sandbox_when_the_pipeline_runs_then_each_record_is_one_registration(synced):
    assert synced.first.returncode == 0, synced.first.stdout + synced.first.stderr
    assert synced.held_after_first == synced.expected_after_first
    assert table_row(synced.first.stdout, "time_tracks")[:3] == ["time_tracks", "27", "27"]
    assert "time_tracks: 27 records read" in synced.first.stdout  # the connector's own count line, as progress


def test_given_changes_in_the_sandbox_when_run_again_then_only_the_changes_move(synced):
    assert synced.second.returncode == 0, synced.second.stdout + synced.second.stderr
    streams = json.loads(synced.status.stdout)["streams"]
    assert {s: streams[s]["last_push"]["sent"] for s in synced.changes.moved} == synced.changes.moved
    assert {s: streams[s]["last_read"]["records"] for s in synced.changes.moved} == synced.changes.moved
    assert {s: e["last_read"]["records"] for s, e in streams.items() if s not in PUSHED} == {
        "pluggy.accounts": 0, "plutio.people": 0, "plutio.projects": 0}
    assert table_row(synced.second.stdout, "transactions")[1:3] == ["7", "7"]
    assert table_row(synced.second.stdout, "time_tracks")[1:3] == ["2", "2"]


def test_given_a_run_then_its_table_shows_the_api_calls_each_vendor_received(synced):
    output = synced.second.stdout
    # A source's row: name, records read, API calls, time (its "written" cell is empty).
    assert table_row(output, "pluggy (source-pluggy)")[2] == str(synced.calls_during_second["pluggy"]), output
    assert table_row(output, "plutio (source-plutio)")[2] == str(synced.calls_during_second["plutio"]), output
    pushes = [int(table_row(output, stream)[3]) for stream in ("transactions", "time_tracks")]
    assert min(pushes) >= 1 and sum(pushes) == synced.calls_during_second["plecto"]


def test_given_the_second_run_then_plecto_holds_every_record_once_with_the_updates(synced, sandbox):
    assert registration_mismatches(sandbox, synced.changes) == []


def test_given_known_secrets_then_no_output_log_state_or_cache_file_holds_them(synced):
    files = [path for path in synced.state_dir.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert "cache.duckdb" in names and "pipeline-state.json" in names
    logs = [path for path in files if path.suffix == ".log" and path.stat().st_size]
    assert {path.parent.name for path in logs} >= {"source-pluggy", "source-plutio", "destination-plecto"}
    for secret in (PLUTIO_SECRET, *SANDBOX_SECRETS):
        assert secret not in synced.outputs()
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"{secret!r} found in {path}"


def test_given_a_synced_pipeline_when_status_then_each_stream_shows_its_runs_and_states(synced):
    assert synced.status.returncode == 0
    document = json.loads(synced.status.stdout)
    time_tracks = document["streams"]["plutio.time_tracks"]
    assert "updatedAt" in time_tracks["source_state"] and time_tracks["pushed_through"].endswith("+00:00")
    assert "pushed through  " + time_tracks["pushed_through"] in status_text(
        load_pipeline(synced.pipeline_file, environ={"PLUTIO_CLIENT_SECRET": PLUTIO_SECRET}), document)
    assert document["sources"]["plutio"]["last_run"]["status"] == "ok"
    text = status_text(load_pipeline(synced.pipeline_file, environ={"PLUTIO_CLIENT_SECRET": PLUTIO_SECRET}), document)
    transactions = text.split("  transactions\n")[1]
    assert transactions.splitlines()[:2] == [
        "    last read       " + document["streams"]["pluggy.transactions"]["last_read"]["at"] + " ok, 7 record(s)",
        "    last push       " + document["streams"]["pluggy.transactions"]["last_push"]["at"]
        + " ok, 7 sent, 7 registration(s) -> Plecto 'Pluggy transactions'"]
    assert "6 partition(s), cursor {\"createdAt\"" in transactions


def test_given_dry_run_then_the_plan_is_printed_and_nothing_is_called(synced):
    assert synced.dry_run.returncode == 0
    assert synced.calls_during_dry_run == 0
    assert "A run would, source after source:" in synced.dry_run.stdout
    assert "write time_tracks to Plecto data source 'Plutio time tracks': the records extracted after" in \
        synced.dry_run.stdout
    # Every time shown carries its zone: the marks in the plan and in the second run's progress lines.
    marks = re.findall(r"extracted after (\S+)$", synced.dry_run.stdout + synced.second.stdout, re.MULTILINE)
    assert marks and all(mark.endswith("+00:00") for mark in marks), marks
