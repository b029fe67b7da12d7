"""The fault matrix: each connector, run by its installed CLI, against each fault a real API produces.

For each cell the run either completes with exactly the expected records (registrations, for the destination),
or fails loudly and a rerun from its last state completes. No record may be lost and no run may hang. Short
timeouts and backoffs come from the config (`read_timeout_seconds`, `retry_backoff_seconds`), so the whole
matrix runs in minutes. The table is written to build/reports/RELIABILITY.md on every run; `make reliability-report`
runs the matrix and copies it over the tracked integration_tests/RELIABILITY.md.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from connector_kit.testing.cli import Run, cli, run_connector, write_json
from sandbox import emulator_class

from conftest import REPO

REPORT = REPO / "build" / "reports" / "RELIABILITY.md"  # generated: never over a tracked file
SHORT = {"read_timeout_seconds": 2, "retry_backoff_seconds": 0.2, "max_retries": 4}
STALL = 4  # seconds: longer than the read timeout
HTML = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"


# ---- the connectors under test -------------------------------------------------------------------------------
@dataclass
class Subject:
    """A source connector with its emulator, catalog, the endpoint faults hit, and how its data can drift."""

    connector: str
    emulator: str
    streams: dict[str, str]  # stream -> sync mode
    target: str  # path prefix of the endpoint the faults hit (one the catalog's streams read)
    wrong_shape: Any  # a JSON 200 that is not the documented envelope
    drift: Callable[[Any], None]  # adds an unknown field and changes a field's type in the emulator's data
    emulator_args: dict[str, Any] = field(default_factory=dict)

    def catalog(self) -> dict[str, Any]:
        return {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                             "sync_mode": mode, "destination_sync_mode": "append"} for name, mode in self.streams.items()]}


def _pluggy_drift(emulator: Any) -> None:
    for rows in emulator.transactions.values():
        for row in rows[:5]:
            row.update(amount=str(row["amount"]), newVendorField={"nested": True})


def _plutio_drift(emulator: Any) -> None:
    for doc in emulator.data["tasks"][:5]:
        doc.update(status=7, newVendorField=["x"])


def _protime_drift(emulator: Any) -> None:
    for clocking in list(emulator.data["clockings"].values())[:5]:
        clocking.update(timeOfDayInMinutes=str(clocking["timeOfDayInMinutes"]), newVendorField=1.5)


SOURCES = [
    Subject("source-pluggy", "pluggy", {"accounts": "incremental", "transactions": "incremental", "categories": "full_refresh"},
            "/v2/transactions", {"message": "ok", "data": []}, _pluggy_drift, {"size": "small", "seed": 7}),
    Subject("source-plutio", "plutio", {"people": "incremental", "tasks": "incremental", "statuses": "full_refresh"},
            "/v1.8/tasks", {"data": [{"_id": "not-a-task"}]}, _plutio_drift, {"size": "small", "seed": 7}),
    Subject("source-protime", "protime", {"people": "incremental", "clockings": "incremental",
                                          "absences": "incremental", "departments": "full_refresh"},
            "/connector/protimeapi/api/v1/clockings", {"items": []}, _protime_drift,
            {"size": "small", "seed": 42, "page_size": 10}),
]

# scenario -> the faults it injects at the subject's target endpoint: (count, fields of sandbox Fault)
FAULTS: dict[str, list[tuple[int, dict[str, Any]]]] = {
    "429 with Retry-After": [(2, {"status": 429, "headers": {"Retry-After": "1"}})],
    "429 without Retry-After": [(2, {"status": 429})],
    "burst of 502, 503, 504": [(1, {"status": 502}), (1, {"status": 503}), (1, {"status": 504})],
    "response slower than the read timeout": [(1, {"stall_seconds": STALL})],
    "reset in the middle of the body": [(1, {"reset_mid_body": True})],
    "token expires mid-sync": [(1, {"expire_tokens": True})],
    "HTML 200": [(2, {"status": 200, "raw": HTML, "headers": {"Content-Type": "text/html"}})],
    "JSON 200 of the wrong shape": [(2, {"status": 200, "body": "WRONG_SHAPE"})],
}
SCENARIOS = [*FAULTS, "unknown fields and a changed type", "kill and resume"]


@dataclass
class Cell:
    scenario: str
    connector: str
    outcome: str = ""
    lost: int = 0
    duplicates: int = 0
    extra_calls: int = 0
    seconds: float = 0.0
    note: str = ""

    def judge(self, first: Run, second: Optional[Run]) -> None:
        """The outcome, once `lost` is counted: complete at once, after a loud failure and a rerun, or after a kill
        and a resume from the last state; anything else lost records."""
        complete = (second or first).returncode == 0 and self.lost == 0
        if self.scenario == "kill and resume":
            self.outcome = "resumed, complete" if complete else "LOST RECORDS"
        elif first.returncode == 0:
            self.outcome = "complete" if self.lost == 0 else "LOST RECORDS"
        else:
            self.outcome = "failed loudly, rerun complete" if complete else "LOST RECORDS"


# ---- running a source ------------------------------------------------------------------------------------------
def _ids(run: Run) -> list[tuple[str, Any]]:
    return [(stream, r.get("id", r.get("_id"))) for stream, rows in run.records_by_stream().items() for r in rows]


def _config(emulator: Any) -> dict[str, Any]:
    return {**emulator.connector_config(), **SHORT}


def _read(tmp: Path, subject: Subject, emulator: Any, state: Optional[list] = None) -> Run:
    return run_connector(tmp, subject.connector, "read", _config(emulator), subject.catalog(), state, timeout=150)


def _read_until_first_state(tmp: Path, subject: Subject, emulator: Any) -> Run:
    """Start a read and kill -9 it as soon as it has printed its first STATE (a sync killed mid-way)."""
    args = [cli(subject.connector), "read", "--config", write_json(tmp / "kill-config.json", _config(emulator)),
            "--catalog", write_json(tmp / "kill-catalog.json", subject.catalog())]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                               text=True)
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if '"type":"STATE"' in line:
            process.kill()
            break
    process.wait(timeout=30)
    return Run("".join(lines), process.returncode)


def _source_cell(subject: Subject, scenario: str, expected: list[tuple[str, Any]], baseline_calls: int,
                 tmp: Path) -> Cell:
    cell = Cell(scenario, subject.connector)
    emulator = emulator_class(subject.emulator)(**subject.emulator_args).start()
    started = time.monotonic()
    try:
        if scenario == "unknown fields and a changed type":
            subject.drift(emulator)
        for count, fields in FAULTS.get(scenario, []):
            body = subject.wrong_shape if fields.get("body") == "WRONG_SHAPE" else fields.get("body")
            emulator.faults.add(count=count, path_prefix=subject.target, **{**fields, **({"body": body} if body else {})})
        if scenario == "kill and resume":
            first = _read_until_first_state(tmp, subject, emulator)
            second = _read(tmp, subject, emulator, first.final_states())
            cell.note = f"killed after {len(first.records())} records, then resumed from its state"
        else:
            first = _read(tmp, subject, emulator)
            second = None
            if first.returncode != 0:  # failed loudly: rerun from the last states it emitted
                cell.note = "failed: " + (first.errors()[-1]["message"][:120] if first.errors() else "no TRACE")
                second = _read(tmp, subject, emulator, first.final_states())
        got = _ids(first) + (_ids(second) if second else [])
        cell.lost = len(set(expected) - set(got))
        cell.duplicates = len(got) - len(set(got))
        cell.extra_calls = len(emulator.calls()) - baseline_calls
        cell.judge(first, second)
    finally:
        cell.seconds = time.monotonic() - started
        emulator.stop()
    return cell


# ---- the destination --------------------------------------------------------------------------------------------
PLECTO_RECORDS = 250
STATE_EVERY = 50


def _plecto_lines(drift: bool = False) -> list[str]:
    lines, state_id = [], 0
    for n in range(1, PLECTO_RECORDS + 1):
        data: dict[str, Any] = {"id": n, "amount": n * 1.5, "label": f"row {n}"}
        if drift and n % 10 == 0:
            data.update(label=n, newSourceField={"added": "later"})
        lines.append(json.dumps({"type": "RECORD", "record": {"stream": "transactions", "data": data, "emitted_at": 0}}))
        if n % STATE_EVERY == 0:
            state_id += 1
            lines.append(json.dumps({"type": "STATE", "state": {"type": "STREAM", "id": state_id, "stream": {
                "stream_descriptor": {"name": "transactions"}, "stream_state": {"upTo": n}}}}))
    return lines


def _plecto_catalog() -> dict[str, Any]:
    return {"streams": [{"stream": {"name": "transactions", "json_schema": {"type": "object"},
                                    "supported_sync_modes": ["full_refresh", "incremental"],
                                    "source_defined_primary_key": [["id"]]},
                         "sync_mode": "incremental", "destination_sync_mode": "append_dedup", "primary_key": [["id"]]}]}


def _after_state(lines: list[str], last_state: Optional[dict]) -> list[str]:
    """The input a platform resends after a failed attempt: everything after the last state it got back."""
    if last_state is None:
        return lines
    marker = last_state["state"]["id"]
    index = next(i for i, line in enumerate(lines) if f'"id": {marker},' in line)
    return lines[index + 1:]


def _write(tmp: Path, emulator: Any, lines: list[str]) -> Run:
    return run_connector(tmp, "destination-plecto", "write", {**emulator.connector_config(), **SHORT},
                         _plecto_catalog(), stdin_lines=lines, timeout=150)


def _write_until_first_state(tmp: Path, emulator: Any, lines: list[str]) -> Run:
    args = [cli("destination-plecto"), "write", "--config",
            write_json(tmp / "kill-config.json", {**emulator.connector_config(), **SHORT}),
            "--catalog", write_json(tmp / "kill-catalog.json", _plecto_catalog())]
    process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdin is not None and process.stdout is not None

    def feed() -> None:
        try:
            for line in lines:
                process.stdin.write(line + "\n")  # type: ignore[union-attr]
            process.stdin.close()  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError):
            pass

    threading.Thread(target=feed, daemon=True).start()
    out = []
    for line in process.stdout:
        out.append(line)
        if '"type":"STATE"' in line:
            process.kill()
            break
    process.wait(timeout=30)
    return Run("".join(out), process.returncode)


def _plecto_cell(scenario: str, tmp: Path) -> Cell:
    cell = Cell(scenario, "destination-plecto")
    emulator = emulator_class("plecto")(size="small", seed=42).start()
    data_source = emulator.data_source_uuid("Transactions")
    started = time.monotonic()
    try:
        lines = _plecto_lines(drift=scenario == "unknown fields and a changed type")
        faults = {**FAULTS, "token expires mid-sync": [(1, {"status": 401, "body": {"detail": "Invalid username/password."}})],
                  "JSON 200 of the wrong shape": [(2, {"status": 200, "body": {"status": "ok"}})]}
        for count, fields in faults.get(scenario, []):
            emulator.faults.add(count=count, path_prefix="/api/v2/registrations", method="POST", **fields)
        if scenario == "kill and resume":
            first = _write_until_first_state(tmp, emulator, lines)
            emitted = [m for m in first.messages if m["type"] == "STATE"]
            second = _write(tmp, emulator, _after_state(lines, emitted[-1] if emitted else None))
            cell.note = "killed after its first state, then the input after it was resent"
        else:
            first = _write(tmp, emulator, lines)
            second = None
            if first.returncode != 0:
                emitted = [m for m in first.messages if m["type"] == "STATE"]
                cell.note = "failed: " + (first.errors()[-1]["message"][:120] if first.errors() else "no TRACE")
                second = _write(tmp, emulator, _after_state(lines, emitted[-1] if emitted else None))
        registrations = emulator.registrations(data_source)
        stored = {r["external_id"] for r in registrations}
        cell.lost = len({str(n) for n in range(1, PLECTO_RECORDS + 1)} - stored)
        cell.duplicates = len(registrations) - len(stored)  # upserts by external_id: a re-sent one replaces itself
        cell.extra_calls = len(emulator.calls(method="POST")) - -(-PLECTO_RECORDS // 100)
        cell.judge(first, second)
    finally:
        cell.seconds = time.monotonic() - started
        emulator.stop()
    return cell


# ---- the matrix ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> list[Cell]:
    started = time.monotonic()
    jobs: list[Callable[[], Cell]] = []
    for subject in SOURCES:
        clean = emulator_class(subject.emulator)(**subject.emulator_args).start()
        try:
            baseline = _read(tmp_path_factory.mktemp("baseline"), subject, clean)
            assert baseline.returncode == 0, baseline.errors()
            expected, calls = _ids(baseline), len(clean.calls())
        finally:
            clean.stop()
        for scenario in SCENARIOS:
            jobs.append(lambda s=subject, sc=scenario, e=expected, c=calls:
                        _source_cell(s, sc, e, c, tmp_path_factory.mktemp("cell")))
    jobs += [lambda sc=scenario: _plecto_cell(sc, tmp_path_factory.mktemp("cell")) for scenario in SCENARIOS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        cells = list(pool.map(lambda job: job(), jobs))
    _write_report(cells, time.monotonic() - started)
    return cells


def _write_report(cells: list[Cell], seconds: float) -> None:
    rows = ["| Scenario | Connector | Outcome | Records lost | Duplicates | Extra calls | Seconds | Note |",
            "|---|---|---|---:|---:|---:|---:|---|"]
    for cell in sorted(cells, key=lambda c: (SCENARIOS.index(c.scenario), c.connector)):
        rows.append(f"| {cell.scenario} | {cell.connector} | {cell.outcome} | {cell.lost} | {cell.duplicates} | "
                    f"{cell.extra_calls} | {cell.seconds:.1f} | {cell.note.replace('|', '/')} |")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        "# Reliability: the fault matrix\n\n"
        "Written by `integration_tests/faults/test_fault_matrix.py` (`make test` writes it to build/reports/, "
        "`make reliability-report` refreshes this copy) on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, in {seconds:.0f} s. Each connector runs as its installed "
        "CLI against its sandbox emulator, with the fault injected on one endpoint mid-sync "
        f"(config: {json.dumps(SHORT)}).\n\n"
        "- *complete*: exit 0 with exactly the expected records (for destination-plecto: every registration stored).\n"
        "- *failed loudly, rerun complete*: the run ended with one readable TRACE; a rerun from the last state it "
        "emitted (for the destination: the input after its last state, as a platform resends it) completed.\n"
        "- *Duplicates*: records emitted twice across both runs (a resumed sync re-reads at most its last page or "
        "window); registrations are upserts by external_id, so the destination never stores one twice.\n"
        "- *Extra calls*: calls beyond a clean run's (retries, and the rerun's).\n\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_given_a_fault_then_no_record_is_lost_and_every_run_ends(matrix, scenario):
    cells = [c for c in matrix if c.scenario == scenario]
    assert len(cells) == 4
    for cell in cells:
        assert cell.outcome in ("complete", "failed loudly, rerun complete", "resumed, complete"), cell
        assert cell.lost == 0, cell
