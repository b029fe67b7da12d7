"""Helpers for tests that write into the Plecto emulator with the installed `destination-plecto` CLI.

Usable from other test modules too (e.g. an end-to-end source -> destination test):
    from plecto_sandbox_helpers import registrations_by_external_id, run_write
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


def stream_status(status: str, stream: str = "transactions") -> str:
    """The TRACE a CDK source sends (and the platform passes on to the destination) when a stream ends."""
    return json.dumps({"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": 1700000000000.0, "stream_status": {
        "stream_descriptor": {"name": stream}, "status": status}}})


class SecondHost:
    """A listener on another loopback address (127.0.0.2) that records every request it receives and answers
    each as a Plecto that stored everything would: what a redirect must never reach."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                 "body": body.decode("utf-8", "replace")})
                try:
                    sent = json.loads(body) if body else []
                except ValueError:
                    sent = []
                items = sent if isinstance(sent, list) else [sent]
                answer = json.dumps([{"id": f"{i:032x}", "external_id": item.get("external_id"), "created": True}
                                     for i, item in enumerate(items) if isinstance(item, dict)]).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
