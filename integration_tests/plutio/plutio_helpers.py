"""Helpers of the Plutio sandbox tests: run the installed CLI, parse its messages, compute minimal call counts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from connector_kit.manifest import load_manifest, resolve
from connector_kit.testing.cli import Run, run_connector
from conftest import REPO

SCHEMAS = REPO / "schemas" / "plutio"

# stream -> API resource path, from the resolved manifest (the single list of streams)
_STREAMS = resolve(load_manifest("source_plutio"))["streams"]
INCREMENTAL = {s["name"]: s["$parameters"]["resource"] for s in _STREAMS if "incremental_sync" in s}
FULL_REFRESH = {s["name"]: s["$parameters"]["resource"] for s in _STREAMS
                if "incremental_sync" not in s and "partition_router" not in s["retriever"]}
ALL_STREAMS = [s["name"] for s in _STREAMS]


def catalog(streams: list[str] = ALL_STREAMS) -> dict:
    entries = []
    for name in streams:
        incremental = name in INCREMENTAL
        entries.append({
            "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"] if incremental else ["full_refresh"]},
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "append_dedup" if incremental else "overwrite",
            **({"cursor_field": ["updatedAt"]} if incremental else {}),
            "primary_key": [["_id"]],
        })
    return {"streams": entries}


class PlutioRun(Run):
    def cursor(self, stream: str) -> Optional[str]:
        return (self.stream_state(stream) or {}).get("updatedAt")


def run_cli(tmp: Path, verb: str, config: dict, catalog_doc: Optional[dict] = None,
            state: Optional[list] = None, timeout: float = 120) -> PlutioRun:
    run = run_connector(tmp, "source-plutio", verb, config, catalog_doc, state, timeout=timeout)
    return PlutioRun(run.stdout, run.returncode, run.stderr)


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def pages_needed(count: int, page_size: int) -> int:
    """skip/limit paging ends on a page shorter than the limit (the page the server serves: page_size, or its cap
    when lower): an exact multiple needs one empty page more."""
    return count // page_size + 1


def minimal_calls(emulator: Any, page_size: int, cursors: Optional[dict[str, str]] = None) -> dict[str, int]:
    """API calls per endpoint a sync must make given the emulator's data (plus one token call)."""
    cursors = cursors or {}
    calls: dict[str, int] = {}
    for stream, path in INCREMENTAL.items():
        since = parse(cursors[stream]) if stream in cursors else parse("2020-01-01T00:00:00Z")
        matching = [r for r in emulator.records(path) if parse(r["updatedAt"]) >= since]
        calls[path] = pages_needed(len(matching), page_size)
    for path in FULL_REFRESH.values():
        calls[path] = pages_needed(len(emulator.records(path)), page_size)
    tasks = emulator.records("tasks")
    comments = emulator.records("comments")
    calls["tasks"] = calls.get("tasks", 0) + pages_needed(len(tasks), page_size)  # the comments' parent read
    calls["comments"] = sum(pages_needed(sum(1 for c in comments if c["entityId"] == t["_id"]), page_size) for t in tasks)
    calls["oauth/token"] = 1
    return calls


def assert_minimum_plus_at_most_one(observed: dict[str, int], minimum: dict[str, int]) -> None:
    """A sync's calls: every endpoint's minimum, and at most one call more in all (Plutio's undocumented page cap:
    the sync's probe, or the empty page that tells a short page from a cap; see source_plutio/components.py)."""
    assert all(observed.get(path, 0) >= count for path, count in minimum.items()), (observed, minimum)
    assert set(observed) <= set(minimum), (observed, minimum)
    assert sum(minimum.values()) <= sum(observed.values()) <= sum(minimum.values()) + 1, (observed, minimum)


def observed_calls(emulator: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in emulator.calls():
        key = call.path.split("/", 2)[2]
        counts[key] = counts.get(key, 0) + 1
    return counts
