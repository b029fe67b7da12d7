"""`make demo`: the main job on the embedded default, with no credentials.

1. Start the vendor sandbox (the four emulators) on loopback.
2. For each source, through PyAirbyte and its local DuckDB cache: a full read, then changes made in the
   emulator (new and updated records, a delete for Protime), then an incremental read that picks up only those.
   Each read prints the records per stream and the API calls the emulator answered, per endpoint.
3. Pipe source-pluggy into destination-plecto twice (the Airbyte protocol, as a platform runs it): registrations
   are created, then only the new transactions are added; nothing is duplicated.
4. Stop the sandbox.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from connector_kit.testing.cli import cli
from connector_kit.testing.third_party_warnings import ignore_google_python_support_notice

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # no registry look-ups: the connectors are local executables
os.environ.setdefault("DO_NOT_TRACK", "1")
ignore_google_python_support_notice()  # PyAirbyte imports google-api-core

import airbyte as ab  # noqa: E402

from pluggy_to_plecto import sync  # noqa: E402
from sandbox import emulator_class  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO / ".cache" / "demo"


def endpoint(path: str) -> str:
    """Group calls by endpoint: ids in paths become {id}."""
    parts = ["{id}" if any(ch.isdigit() for ch in p) and len(p) > 12 or p.isdigit() else p for p in path.split("/")]
    return "/".join(parts)


def report(title: str, counts: dict[str, int], emulator) -> None:
    calls = Counter(f"{c.method} {endpoint(c.path)}" for c in emulator.calls())
    print(f"\n  {title}: {sum(counts.values())} records, {sum(calls.values())} API calls")
    for stream in sorted(counts):
        print(f"    {stream:<28} {counts[stream]:>7} records")
    for name, count in sorted(calls.items()):
        print(f"    {name:<50} {count:>4} calls")


def read(source, cache, title: str, emulator) -> None:
    emulator.reset_calls()
    result = source.read(cache=cache)
    counts = dict(getattr(getattr(result, "_progress_tracker", None), "stream_read_counts", {}) or {})
    report(title, {s: counts.get(s, 0) for s in source.get_selected_streams()}, emulator)


def run_source(name: str, emulator, streams: list[str], change) -> None:
    print(f"\n== {name} (PyAirbyte, local executable, DuckDB cache at {CACHE_DIR})")
    source = ab.get_source(name, config=emulator.connector_config(), local_executable=cli(name))
    source.select_streams(streams)
    cache = ab.new_local_cache(name.replace("-", "_"), cache_dir=CACHE_DIR / name)
    read(source, cache, "full read", emulator)
    print(f"  changes in the sandbox: {change()}")
    read(source, cache, "incremental read (state from the cache)", emulator)


def pluggy_changes(pluggy) -> str:
    added = pluggy.add_transactions(pluggy.accounts[0]["id"], 5) + pluggy.add_transactions(pluggy.accounts[3]["id"], 2)
    pluggy.touch("accounts", pluggy.accounts[1]["id"], balance=4321.0)
    return f"{len(added)} new transactions, 1 account updated"


def plutio_changes(plutio) -> str:
    plutio.insert("tasks", title="Demo task", status="incomplete")
    people = plutio.records("people")
    plutio.update("people", people[0]["_id"], role="client")
    return "1 task created, 1 person updated"


def protime_changes(protime) -> str:
    clockings = sorted(protime.data["clockings"].values(), key=lambda c: c["id"])
    first = clockings[0]
    protime.insert_clocking(first["person"]["id"], first["date"], 600)
    protime.update_clocking(clockings[1]["id"], timeOfDayInMinutes=555)
    protime.delete_clocking(clockings[2]["id"])
    return "1 clocking inserted, 1 updated, 1 deleted"


def pipe_pluggy_into_plecto(pluggy, plecto, state: list | None, work: Path) -> list:
    """source-pluggy read | destination-plecto write, as the platform runs them; returns the states to keep."""
    read, write = sync(work, pluggy, plecto, state)
    committed = [m["state"] for m in write.messages if m["type"] == "STATE"]
    records = sum(len(rows) for rows in read.records_by_stream().values())
    posts = [c for c in plecto.calls() if c.method == "POST"]
    stored = {title: len(plecto.registrations(plecto.data_source_uuid(title))) for title in ("Transactions", "Accounts")}
    print(f"  {records} records piped, {len(posts)} POSTs, {len(committed)} states committed by the destination; "
          f"registrations now: {stored}")
    latest = {m["stream"]["stream_descriptor"]["name"]: m for m in committed}  # what a platform persists
    return list(latest.values())


def main() -> int:
    started = time.monotonic()
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    emulators = {name: emulator_class(name)().start() for name in ("pluggy", "plutio", "protime", "plecto")}
    print("Vendor sandbox: " + ", ".join(f"{name} at {e.url}" for name, e in emulators.items()))
    try:
        run_source("source-pluggy", emulators["pluggy"],
                   ["items", "accounts", "transactions", "bills", "investments", "investment_transactions", "loans",
                    "categories", "connectors"], lambda: pluggy_changes(emulators["pluggy"]))
        run_source("source-plutio", emulators["plutio"], ["people", "companies", "projects", "tasks", "time_tracks",
                                                          "invoices", "statuses"],
                   lambda: plutio_changes(emulators["plutio"]))
        run_source("source-protime", emulators["protime"], ["people", "clockings", "absences", "departments"],
                   lambda: protime_changes(emulators["protime"]))

        print("\n== source-pluggy | destination-plecto (Airbyte protocol over pipes)")
        pluggy, plecto = emulators["pluggy"], emulators["plecto"]
        pluggy.reset()
        with tempfile.TemporaryDirectory() as work:
            state = pipe_pluggy_into_plecto(pluggy, plecto, None, Path(work))
            added = pluggy.add_transactions(pluggy.accounts[2]["id"], 3)
            print(f"  {len(added)} new transactions in the sandbox, then the next incremental sync:")
            plecto.reset_calls()
            pipe_pluggy_into_plecto(pluggy, plecto, state, Path(work))
    finally:
        for emulator in emulators.values():
            emulator.stop()
    print(f"\nDone in {time.monotonic() - started:.0f} s. The DuckDB cache stays in {CACHE_DIR} "
          f"(open it with `duckdb` or `airbyte.new_local_cache`).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
