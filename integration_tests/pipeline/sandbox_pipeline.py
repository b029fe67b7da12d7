"""The sandbox side of the pipeline demo and tests: the example pipeline file pointed at running emulators, the
changes made in the sandbox between two runs, and what Plecto must hold after them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "pipeline" / "examples"
EXAMPLE = EXAMPLES / "sandbox.yaml"
FIXED_PORTS = {"pluggy": 18701, "plutio": 18702, "protime": 18703, "plecto": 18704}
# The streams the example pushes, and the Plecto data source (title) each one fills.
PUSHED = {"pluggy.transactions": "Pluggy transactions", "protime.clockings": "Protime clockings",
          "plutio.time_tracks": "Plutio time tracks"}


def airbyte_pipeline(*args: str, env: Optional[dict] = None, capture: bool = True) -> subprocess.CompletedProcess:
    """The installed console script, as cron would call it."""
    command = [str(Path(sys.executable).parent / "airbyte-pipeline"), *args]
    return subprocess.run(command, env=env, capture_output=capture, text=True, stdin=subprocess.DEVNULL, timeout=900)


def pipeline_env(**variables: str) -> dict[str, str]:
    """The environment a scheduler would give the command: no proxy for the loopback sandbox, PyAirbyte's logs where
    the pipeline puts them (its state folder), and these variables."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy") and k != "AIRBYTE_LOGGING_ROOT"}
    return {**env, "NO_PROXY": "127.0.0.1,localhost", **variables}


def example_over(emulators: dict[str, Any], sources: Optional[list[str]] = None) -> dict[str, Any]:
    """The example pipeline with the URLs of these emulators (its sandbox.env still gives the credentials, unless the
    environment sets them), for these sources (and their pushes) only."""
    text = EXAMPLE.read_text()
    for name, port in FIXED_PORTS.items():
        if name in emulators:
            text = text.replace(f"http://127.0.0.1:{port}", emulators[name].url)
    pipeline = yaml.safe_load(text)
    pipeline["env_file"] = str(EXAMPLES / pipeline["env_file"])
    keep = sources or [key for key in pipeline["sources"] if key in emulators]
    pipeline["sources"] = {key: pipeline["sources"][key] for key in keep}
    pipeline["plecto"]["streams"] = [s for s in pipeline["plecto"]["streams"] if s["source"] in keep]
    return pipeline


def write_pipeline(path: Path, pipeline: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    return path


def table_row(output: str, name: str) -> list[str]:
    """The cells of a row in the table that ends a run: a stream's ('transactions') or a source's ('pluggy (...)')."""
    row = next(line for line in output.splitlines() if line.startswith((f"  {name} ", f"{name} ")))
    return re.split(r"\s{2,}", row.strip())


def pipeline_state(path: str) -> dict[str, Any]:
    """The pipeline state a run left (default state folder: .cache/<name> beside the file)."""
    pipeline = yaml.safe_load(Path(path).read_text())
    return json.loads((Path(path).parent / ".cache" / pipeline["name"] / "pipeline-state.json").read_text())


@dataclass
class Changes:
    moved: dict[str, int] = field(default_factory=dict)  # pushed stream -> records the next run must send
    updated: list[tuple[str, str, str, Any]] = field(default_factory=list)  # (title, external id, field, value)
    deleted: list[tuple[str, str]] = field(default_factory=list)  # (title, external id)
    said: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return "; ".join(self.said)


def make_changes(emulators: dict[str, Any]) -> Changes:
    """New, updated and deleted records in the sources among `emulators`."""
    changes = Changes()
    if "pluggy" in emulators:
        pluggy = emulators["pluggy"]
        pluggy.add_transactions(pluggy.accounts[0]["id"], 5)
        pluggy.add_transactions(pluggy.accounts[3]["id"], 2)
        changes.moved["pluggy.transactions"] = 7
        changes.said.append("Pluggy: 7 new transactions")
    if "protime" in emulators:
        protime = emulators["protime"]
        clockings = sorted(protime.data["clockings"].values(), key=lambda c: c["id"])
        first = clockings[0]
        protime.insert_clocking(first["person"]["id"], first["date"], 600)
        protime.update_clocking(clockings[1]["id"], timeOfDayInMinutes=555)
        protime.delete_clocking(clockings[2]["id"])
        changes.moved["protime.clockings"] = 3
        changes.updated.append((PUSHED["protime.clockings"], str(clockings[1]["id"]), "Minutes", 555))
        changes.deleted.append((PUSHED["protime.clockings"], str(clockings[2]["id"])))
        changes.said.append("Protime: 1 clocking inserted, 1 updated, 1 deleted")
    if "plutio" in emulators:
        plutio = emulators["plutio"]
        track = plutio.records("time-tracks")[0]
        plutio.insert("time-tracks", startedAt=plutio.now_iso(), stoppedAt=plutio.now_iso(), time=45,
                      projectId=track["projectId"], taskId=track["taskId"], billingStatus="billable")
        plutio.update("time-tracks", track["_id"], time=99)
        changes.moved["plutio.time_tracks"] = 2
        changes.updated.append((PUSHED["plutio.time_tracks"], track["_id"], "Minutes", 99))
        changes.said.append("Plutio: 1 time track added, 1 updated")
    return changes


def expected_registrations(emulators: dict[str, Any]) -> dict[str, set[str]]:
    """Plecto data source title -> the external ids it must hold: one per record the sandbox holds now."""
    expected = {}
    if "pluggy" in emulators:
        expected[PUSHED["pluggy.transactions"]] = {t["id"] for rows in emulators["pluggy"].transactions.values()
                                                   for t in rows}
    if "protime" in emulators:
        expected[PUSHED["protime.clockings"]] = {str(i) for i in emulators["protime"].data["clockings"]}
    if "plutio" in emulators:
        expected[PUSHED["plutio.time_tracks"]] = {r["_id"] for r in emulators["plutio"].records("time-tracks")}
    return expected


def registrations(plecto: Any, title: str) -> dict[str, dict]:
    sources = plecto.data_sources_titled(title)
    if len(sources) != 1:
        return {}
    return {reg["external_id"]: reg for reg in plecto.registrations(sources[0]["uuid"])}


def registration_mismatches(emulators: dict[str, Any], changes: Optional[Changes] = None) -> list[str]:
    """Empty when Plecto holds exactly one registration per sandbox record, with the changes applied."""
    plecto, problems = emulators["plecto"], []
    for title, expected in expected_registrations(emulators).items():
        titled = plecto.data_sources_titled(title)
        if len(titled) != 1:
            problems.append(f"{len(titled)} Plecto data sources are titled '{title}' (expected 1)")
            continue
        held = registrations(plecto, title)
        missing, extra = expected - set(held), set(held) - expected
        if missing or extra:
            problems.append(f"'{title}': {len(held)} registrations for {len(expected)} records; "
                            f"missing {sorted(missing)[:3]}, unexpected {sorted(extra)[:3]}")
    for title, external_id, name, value in (changes.updated if changes else []):
        stored = registrations(plecto, title).get(external_id, {}).get(name)
        if stored is None or float(stored) != value:
            problems.append(f"'{title}' registration {external_id}: {name} is {stored!r}, expected {value!r}")
    for title, external_id in (changes.deleted if changes else []):
        if external_id in registrations(plecto, title):
            problems.append(f"'{title}' registration {external_id} is still there after its record was deleted")
    return problems
