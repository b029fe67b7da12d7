"""Run an installed connector CLI (spec/check/discover/read, or write with stdin) and parse what it prints.

Shared by the sandbox tests, the bench and the pipeline: `run_connector(tmp, "source-pluggy", "read", config,
catalog, state)`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Optional


def cli(name: str) -> str:
    """Path of an installed connector console script, preferably in the venv running this Python."""
    path = Path(sys.executable).parent / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    assert found, f"{name} is not installed: run `make install`"
    return found


class Run:
    """The AirbyteMessages one CLI run printed, with accessors by message type."""

    def __init__(self, stdout: str, returncode: int, stderr: str = "") -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.messages = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]

    def records(self, stream: Optional[str] = None) -> list[dict]:
        return [m["record"]["data"] for m in self.messages
                if m["type"] == "RECORD" and (stream is None or m["record"]["stream"] == stream)]

    def records_by_stream(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for m in self.messages:
            if m["type"] == "RECORD":
                out.setdefault(m["record"]["stream"], []).append(m["record"]["data"])
        return out

    def final_states(self) -> list[dict]:
        """The last STATE of each stream: what a platform would persist and pass to the next sync."""
        latest: dict[str, dict] = {}
        for m in self.messages:
            if m["type"] == "STATE":
                latest[m["state"]["stream"]["stream_descriptor"]["name"]] = m["state"]
        return list(latest.values())

    def stream_state(self, stream: str) -> Optional[dict]:
        for state in self.final_states():
            if state["stream"]["stream_descriptor"]["name"] == stream:
                return state["stream"]["stream_state"]
        return None

    def errors(self) -> list[dict]:
        return [m["trace"]["error"] for m in self.messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]

    def logs(self, level: Optional[str] = None) -> list[str]:
        return [m["log"]["message"] for m in self.messages
                if m["type"] == "LOG" and (level is None or m["log"]["level"] == level)]

    def connection_status(self) -> dict:
        return [m["connectionStatus"] for m in self.messages if m["type"] == "CONNECTION_STATUS"][-1]


def write_json(path: Path, doc: Any) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def run_connector(tmp: Path, connector: str, verb: str, config: dict, catalog: Optional[dict] = None,
                  state: Optional[list] = None, stdin_lines: Optional[Iterable[str]] = None,
                  timeout: float = 180) -> Run:
    args = [cli(connector), verb, "--config", write_json(tmp / f"{connector}-config.json", config)]
    if catalog is not None:
        args += ["--catalog", write_json(tmp / f"{connector}-catalog.json", catalog)]
    if state is not None:
        args += ["--state", write_json(tmp / f"{connector}-state.json", state)]
    # Never inherit the test runner's stdin (CI has none): a connector reading it would block.
    stdin = "".join(line if line.endswith("\n") else line + "\n" for line in stdin_lines) if stdin_lines else ""
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout)
    return Run(done.stdout, done.returncode, done.stderr)
