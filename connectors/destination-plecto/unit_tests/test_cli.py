"""`destination-plecto write` as its console script runs it: stdin in, the platform's state `id` back out."""

from __future__ import annotations

import io
import json
import sys

from connector_kit import calls

from destination_plecto.run import CONSOLE
from request_builder import ConfigBuilder, PlectoRequests, accept_all

CATALOG = {"streams": [{"stream": {"name": "transactions", "json_schema": {}, "supported_sync_modes": ["incremental"],
                                   "source_defined_primary_key": [["id"]]},
                        "sync_mode": "incremental", "destination_sync_mode": "append"}]}


def test_given_stdin_with_a_state_id_when_write_from_the_console_then_the_id_comes_back(tmp_path, requests_mock,
                                                                                        monkeypatch):
    requests_mock.post(PlectoRequests.registrations(), json=accept_all)
    lines = [{"type": "RECORD", "record": {"stream": "transactions", "data": {"id": 1}, "emitted_at": 1}},
             {"type": "STATE", "state": {"type": "STREAM", "id": 77, "stream": {
                 "stream_descriptor": {"name": "transactions"}, "stream_state": {"c": 1}}}}]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("".join(json.dumps(m) + "\n" for m in lines).encode())))
    (tmp_path / "config.json").write_text(json.dumps(ConfigBuilder().build()))
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    out: list[str] = []
    calls.forget_all_calls()
    code = CONSOLE.main(["write", "--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")],
                        out.append)
    printed = [json.loads(line) for line in out]
    assert code == 0
    [state] = [m["state"] for m in printed if m["type"] == "STATE"]
    assert state["id"] == 77 and state["destinationStats"] == {"recordCount": 1.0}
    assert printed[-1]["log"]["message"] == "2 API calls: GET /api/v2/datasources/{id}/ 1, POST /api/v2/registrations/ 1"
