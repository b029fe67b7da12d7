"""Each connector against its baseline on the same emulator and data, at several record counts: records/s, CPU per
record, peak RSS and API calls of both, side by side.

A side that exits non-zero, or returns (stores) another number of records than the emulator holds, is a failure:
it is reported loudly and makes the bench exit non-zero. Timings are only printed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from connector_kit.testing.cli import cli

import pages
import tenants
from harness import ChildRun, run_child

BENCH = Path(__file__).resolve().parent


class BenchFailure(Exception):
    """A program under test failed, or returned the wrong records: the bench must not print figures as if fine."""


@dataclass
class Side:
    """One run of one side (the connector or its baseline) on one tenant."""

    label: str
    records: int
    run: ChildRun
    calls: int
    posts: int = 0  # destination: registration POSTs
    states: int = 0  # STATE messages on stdout
    fingerprint: str = ""  # destination: what the emulator stored (see plecto_fingerprint)
    paced: bool = False  # the side reached its pace (Pluggy: 360 calls per 62 s) with calls still to make: it waited

    @property
    def rate(self) -> float:
        return self.records / self.run.wall if self.run.wall else 0.0

    @property
    def cpu_us(self) -> float:
        return 1e6 * self.run.cpu / self.records if self.records else 0.0

    def figures(self) -> dict[str, Any]:
        return {"label": self.label, "records": self.records, "wall_s": self.run.wall, "cpu_s": self.run.cpu,
                "rss_mib": self.run.rss_mib, "emulator_cpu_s": self.run.server_cpu, "calls": self.calls,
                "records_per_s": self.rate, "cpu_us_per_record": self.cpu_us, "posts": self.posts,
                "states": self.states, "paced": self.paced}


@dataclass
class Point:
    """Both sides at one record count."""

    key: str
    requested: int
    expected: int
    describe: str
    connector: Side
    baseline: Side
    page_ms: float  # the emulator's time for one page at this size (pages.py)
    notes: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {"key": self.key, "requested": self.requested, "expected": self.expected, "describe": self.describe,
                "connector": self.connector.figures(), "baseline": self.baseline.figures(), "page_ms": self.page_ms,
                "notes": self.notes}


def python() -> str:
    return sys.executable


def count_records(path: Path, stream: str) -> tuple[int, int]:
    """RECORD lines of `stream` and STATE lines on a program's stdout."""
    records = states = 0
    marker = f'"stream":"{stream}"'
    with open(path, "rb") as lines:
        for raw in lines:
            if raw.startswith(b'{"type":"RECORD"'):
                line = raw.decode()
                records += marker in line or json.loads(line)["record"]["stream"] == stream
            elif raw.startswith(b'{"type":"STATE"'):
                states += 1
    return records, states


def measure(tenant: tenants.Tenant, tmp: Path, requested: int, progress: Callable[[str], None],
            baseline_first: bool = False) -> Point:
    """Both sides, one after the other (which goes first alternates across a sweep, so warm-up favours neither);
    their records checked against the emulator's."""
    config, catalog = tenant.files(tmp)
    progress(f"{tenant.key} {requested:,}: one page's cost")
    page = pages.page_ms(tenant)
    destination = tenant.stdin is not None
    verb = ["write"] if destination else ["read"]
    sides = {
        "connector": [cli(tenant.connector), *verb, "--config", str(config), "--catalog", str(catalog)],
        "baseline": [python(), str(BENCH / f"{tenant.baseline}.py"), "--config", str(config), *tenant.baseline_args],
    }
    done: dict[str, Side] = {}
    for label in (sorted(sides) if baseline_first else sorted(sides, reverse=True)):
        progress(f"{tenant.key} {requested:,}: {label}")
        if destination:
            tenant.emulator.reset()  # the seeded data again: each side creates the same registrations from scratch
        else:
            tenant.emulator.reset_calls()
        out = tmp / f"{tenant.key}-{label}.out"
        if tenant.warm_up:
            run_child(sides[label], out, stdin_path=tenant.stdin)  # unmeasured: the server learns its answers
            tenant.emulator.reset_calls()
        run = run_child(sides[label], out, stdin_path=tenant.stdin)
        if run.returncode != 0:
            raise BenchFailure(f"{tenant.key} {label} exited with {run.returncode} at {requested:,} records; "
                               f"stderr tail:\n{run.stderr_tail}")
        records, states = count_records(out, tenant.stream)
        out.unlink()
        calls = tenant.emulator.calls()
        posts = sum(1 for c in calls if c.method == "POST" and "/registrations" in c.path)
        if destination:
            records = tenant.count_stored() if tenant.count_stored else 0
        if records != tenant.expected:
            raise BenchFailure(f"{tenant.key} {label}: {records:,} records {'stored' if destination else 'read'}, "
                               f"expected {tenant.expected:,}")
        done[label] = Side(label, records, run, len(calls), posts, states,
                           plecto_fingerprint(tenant) if destination else "", paced(calls, tenant.pace))
    point = Point(tenant.key, requested, tenant.expected, tenant.describe, done["connector"], done["baseline"], page)
    if destination:
        if done["connector"].fingerprint != done["baseline"].fingerprint:
            raise BenchFailure(f"plecto {requested:,}: the connector and the baseline stored different registrations")
        point.notes.append("stored registrations identical for connector and baseline")
    return point


def paced(calls: list[Any], pace: int | None, window: float = 62.0) -> bool:
    """Whether some path got `pace` calls within `window` seconds and more after them: the side had to wait."""
    if pace is None:
        return False
    by_path: dict[str, list[float]] = {}
    for call in calls:
        by_path.setdefault(call.path, []).append(call.at)
    for times in by_path.values():
        times.sort()
        if len(times) > pace and any(times[i + pace - 1] - times[i] < window for i in range(len(times) - pace + 1)):
            return True
    return False


def plecto_fingerprint(tenant: tenants.Tenant) -> str:
    """What is stored, without server-made ids and timestamps: equal when both sides wrote the same registrations."""
    emulator = tenant.emulator
    rows = []
    for reg in emulator.registrations(tenant.config["streams"][0]["data_source"]):
        member = reg["member"]
        kept = {k: v for k, v in reg.items() if k not in ("id", "member", "created", "modified")}
        rows.append(json.dumps([kept, member["api_provider"], member["api_id"], member["name"]], sort_keys=True))
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()[:12]


def sweep(key: str, sizes: list[int], tmp: Path, progress: Callable[[str], None]) -> list[Point]:
    """Both sides at each record count, one fresh emulator per count (stopped before the next is seeded)."""
    points = []
    for i, size in enumerate(sizes):
        progress(f"{key}: seeding {size:,} records")
        tenant = tenants.plecto(size, tmp) if key == "plecto" else tenants.BUILDERS[key](size)
        try:
            points.append(measure(tenant, tmp, size, progress, baseline_first=i % 2 == 1))
        finally:
            tenant.stop()
            if tenant.stdin:
                tenant.stdin.unlink()
    return points
