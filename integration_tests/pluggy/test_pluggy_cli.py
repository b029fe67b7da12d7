"""End to end: the installed `source-pluggy` CLI against the Pluggy emulator.

A full read returns exactly the emulator's data, valid against the schemas, with one API key and each list
endpoint read once; an incremental read after new transactions and an account update returns only those; a read
with nothing new returns no record of an incremental stream; faults (5xx burst, revoked key, 429) are absorbed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
from conftest import REPO
from connector_kit.testing.cli import Run, run_connector

SCHEMAS = REPO / "schemas" / "pluggy"
INCREMENTAL = {"items", "accounts", "transactions", "bills", "investments"}
EMULATOR = ("pluggy", {"size": "small", "seed": 7, "retry_after": 1})
DEFAULT_STREAMS = ["items", "accounts", "transactions", "bills", "investments", "investment_transactions", "loans",
                   "categories", "connectors"]


def catalog(streams: list[str] = DEFAULT_STREAMS) -> dict:
    return {"streams": [{
        "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": "incremental" if name in INCREMENTAL else "full_refresh",
        "destination_sync_mode": "append_dedup" if name in INCREMENTAL else "overwrite",
    } for name in streams]}


def read(tmp: Path, emulator, state: list | None = None, streams: list[str] = DEFAULT_STREAMS, **config) -> Run:
    run = run_connector(tmp, "source-pluggy", "read", {**emulator.connector_config(), **config}, catalog(streams), state)
    assert run.returncode == 0, run.errors() or run.stderr[-2000:]
    return run


def calls_by_endpoint(emulator) -> Counter:
    return Counter("/investments/{id}/transactions" if c.path.startswith("/investments/") else c.path
                   for c in emulator.calls())


def test_given_sandbox_when_full_read_then_every_record_once_valid_and_one_api_key(emulator, tmp_path):
    run = read(tmp_path, emulator)

    got = {stream: Counter(r["id"] for r in records) for stream, records in run.records_by_stream().items()}
    expected = {
        "items": emulator.items, "accounts": emulator.accounts,
        "transactions": [t for rows in emulator.transactions.values() for t in rows],
        "bills": [b for rows in emulator.bills.values() for b in rows], "investments": emulator.investments,
        "investment_transactions": [t for rows in emulator.investment_transactions.values() for t in rows],
        "loans": emulator.loans, "categories": emulator.categories,
        "connectors": [c for c in emulator.connectors if not c["isSandbox"]],
    }
    for stream, records in expected.items():
        assert got[stream] == Counter(r["id"] for r in records), stream  # all of them, none twice
    for stream, records in run.records_by_stream().items():
        schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
        for record in records:
            jsonschema.validate(record, schema)

    calls = calls_by_endpoint(emulator)
    assert calls["/auth"] == 1
    # the largest account holds 640 transactions: two cursor pages; every other account one
    assert calls["/v2/transactions"] == len(emulator.accounts) + 1
    assert calls["/accounts"] == len(emulator.items)  # the accounts stream and both parents share one read
    # the run's last log line reports what the API answered (the HTTP cache's answers are not calls)
    reported = next(line for line in run.logs("INFO") if " API calls: " in line)
    assert reported.startswith(f"{sum(calls.values())} API calls: ")
    assert f"GET /v2/transactions {calls['/v2/transactions']}" in reported and "POST /auth 1" in reported


def test_given_new_transactions_and_an_updated_account_when_incremental_read_then_only_those(emulator, tmp_path):
    first = read(tmp_path, emulator)
    busy, quiet = emulator.accounts[0]["id"], emulator.accounts[4]["id"]
    added = emulator.add_transactions(busy, 3) + emulator.add_transactions(quiet, 2)
    touched = emulator.touch("accounts", emulator.accounts[1]["id"], balance=1.23)

    second = read(tmp_path, emulator, state=first.final_states())

    assert sorted(r["id"] for r in second.records("transactions")) == sorted(t["id"] for t in added)
    assert [r["id"] for r in second.records("accounts")] == [touched["id"]]
    for stream in ("items", "bills", "investments"):
        assert second.records(stream) == [], stream

    third = read(tmp_path, emulator, state=second.final_states())
    assert {s: rs for s, rs in third.records_by_stream().items() if s in INCREMENTAL} == {}


def test_given_5xx_burst_and_429_when_reading_then_retried_and_sync_completes(emulator, tmp_path):
    emulator.faults.add(status=503, count=2, path_prefix="/categories")
    emulator.faults.add(status=429, count=1, path_prefix="/connectors",
                        headers={"Retry-After": "1", "RateLimit-Limit": "360", "RateLimit-Reset": "1"})

    run = read(tmp_path, emulator, streams=["categories", "connectors"])

    assert len(run.records("categories")) == len(emulator.categories)
    assert len(run.records("connectors")) == len([c for c in emulator.connectors if not c["isSandbox"]])
    statuses = Counter((c.path, c.status) for c in emulator.calls())
    assert statuses[("/categories", 503)] == 2 and statuses[("/connectors", 429)] == 1


def test_given_key_revoked_during_sync_when_api_answers_401_then_key_renewed_once(emulator, tmp_path):
    emulator.faults.add(status=401, count=1, path_prefix="/connectors",
                        body={"code": 401, "message": "Missing or invalid API key"})

    run = read(tmp_path, emulator, streams=["categories", "connectors"])

    assert len(run.records("connectors")) == len([c for c in emulator.connectors if not c["isSandbox"]])
    assert calls_by_endpoint(emulator)["/auth"] == 2


def test_given_wrong_secret_when_check_then_failed_naming_fields_without_secret(emulator, tmp_path):
    config = {**emulator.connector_config(), "client_secret": "wrong-secret-value"}

    run = run_connector(tmp_path, "source-pluggy", "check", config)

    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "client_id" in status["message"] and "client_secret" in status["message"]
    assert "wrong-secret-value" not in run.stdout


def test_given_plain_http_to_a_remote_host_when_check_then_rejected(emulator, tmp_path):
    config = {**emulator.connector_config(), "base_url": "http://api.pluggy.ai"}

    run = run_connector(tmp_path, "source-pluggy", "check", config)

    assert run.connection_status()["status"] == "FAILED"
    assert "base_url" in run.connection_status()["message"] or "http://api.pluggy.ai" in run.connection_status()["message"]
