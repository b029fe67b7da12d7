"""Concurrency against the vendors' limits, with latency added to every answer.

- Pluggy: a tenant with enough accounts (partitions) that `/v2/transactions` is busy for more than a minute, the
  emulator at its published 360 calls per minute per endpoint (a sliding window, 429 past it). From the emulator's
  call log: calls per minute on /v2/transactions (mean over the read, and the fewest and most in any 60 s), and
  the 429s the emulator answered. Run at the default `num_workers` and at one other value.
- Plutio: several streams in one sync, the emulator's hourly limit and the connector's `requests_per_hour` set to
  the same budget. (a) A budget above what the sync needs: when each stream's calls start and end (the overlap),
  the calls against the budget, no 429. (b) A budget below it: the connector must stop at the budget and wait for
  the window (an hour), not be refused; the bench stops it once it says it waits, and counts the calls and 429s.
"""

from __future__ import annotations

import json
import math
import selectors
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from connector_kit.testing.cli import cli
from sandbox import emulator_class

from harness import child_env, run_child
from reads import BenchFailure, count_records
from tenants import catalog

PLUGGY_LIMIT = 360


@dataclass
class Pace:
    workers: int
    records: int
    calls: int
    refused: int  # 429s on any endpoint
    span_s: float
    mean_per_min: float
    max_in_60s: int
    min_in_60s: int | None  # over the 60 s windows inside the read; None when it lasted under 60 s
    wall_s: float
    cpu_s: float
    rss_mib: float

    def figures(self) -> dict[str, Any]:
        return dict(self.__dict__)


def per_minute(times: list[float]) -> tuple[float, int, int | None]:
    """Mean calls per minute over the span; the most in any 60 s; the fewest in a 60 s window inside the span."""
    times = sorted(times)
    if len(times) < 2:
        return 0.0, len(times), None
    span = times[-1] - times[0]
    most, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= 60:
            j += 1
        most = max(most, i - j + 1)
    inside = [sum(1 for u in times[i:] if u < t + 60) for i, t in enumerate(times) if t + 60 <= times[-1]]
    return (len(times) - 1) / span * 60 if span else 0.0, most, min(inside) if inside else None


def pluggy_pace(tmp: Path, workers: int, items: int, per_account: int, latency: float,
                progress: Callable[[str], None]) -> Pace:
    emulator = emulator_class("pluggy")(size=per_account, items=items, accounts_per_item=3).start()
    emulator.faults.delay_seconds = latency
    try:
        config = tmp / "pace-config.json"
        config.write_text(json.dumps({**emulator.connector_config(), "num_workers": workers}))
        cat = tmp / "pace-catalog.json"
        cat.write_text(json.dumps(catalog("transactions")))
        progress(f"concurrency: source-pluggy, {workers} workers, {items * 3} accounts, {latency * 1000:.0f} ms latency")
        out = tmp / "pace.out"
        run = run_child([cli("source-pluggy"), "read", "--config", str(config), "--catalog", str(cat)], out)
        if run.returncode != 0:
            raise BenchFailure(f"source-pluggy ({workers} workers, latency) exited with {run.returncode}:\n"
                               f"{run.stderr_tail}")
        records, _ = count_records(out, "transactions")
        out.unlink()
        expected = sum(len(rows) for rows in emulator.transactions.values())
        if records != expected:
            raise BenchFailure(f"source-pluggy ({workers} workers, latency): {records:,} records, expected {expected:,}")
        calls = emulator.calls(path_regex="/v2/transactions")
        times = [c.at for c in calls if c.status != 429]
        mean, most, least = per_minute(times)
        return Pace(workers, records, len(calls), sum(1 for c in emulator.calls() if c.status == 429),
                    max(times) - min(times), mean, most, least, run.wall, run.cpu, run.rss_mib)
    finally:
        emulator.stop()


# ---- Plutio: several streams at once, within the hourly budget ------------------------------------------------
PLUTIO_STREAMS = {"people": "people", "companies": "companies", "projects": "projects", "tasks": "tasks",
                  "time_tracks": "time-tracks", "invoices": "invoices"}


@dataclass
class Overlap:
    budget: int
    calls: int  # token call included
    refused: int
    wall_s: float
    streams: dict[str, tuple[float, float, int]]  # stream -> (first call, last call, calls), seconds from the start
    most_at_once: int  # streams with calls in flight at the same moment (from their first to last call)
    waited: bool  # (b): the connector said it waits for the budget

    def figures(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _plutio(size: int, budget: int, latency: float) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    emulator = emulator_class("plutio")(size=size, requests_per_hour=budget).start()
    emulator.faults.delay_seconds = latency
    config = {**emulator.connector_config(), "requests_per_hour": budget}
    streams = [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": "incremental", "destination_sync_mode": "append"} for name in PLUTIO_STREAMS]
    return emulator, config, {"streams": streams}


def _timeline(emulator: Any, started: float) -> dict[str, tuple[float, float, int]]:
    out = {}
    for name, resource in PLUTIO_STREAMS.items():
        times = [c.at - started for c in emulator.calls() if c.path.endswith("/" + resource)]
        if times:
            out[name] = (min(times), max(times), len(times))
    return out


def _most_at_once(spans: dict[str, tuple[float, float, int]]) -> int:
    edges = sorted([(s, 1) for s, _, _ in spans.values()] + [(e, -1) for _, e, _ in spans.values()],
                   key=lambda edge: (edge[0], -edge[1]))
    now = best = 0
    for _, step in edges:
        now += step
        best = max(best, now)
    return best


def plutio_overlap(tmp: Path, size: int, latency: float, budget: int | None,
                   progress: Callable[[str], None]) -> Overlap:
    """(a) `budget` None: a budget 50% above the calls the sync needs. (b) a budget below them."""
    probe = emulator_class("plutio")(size=size)
    needed = 1 + sum(math.floor(len(probe.data[r]) / 100) + 1 for r in PLUTIO_STREAMS.values())
    chosen = budget if budget is not None else math.ceil(needed * 1.5)
    emulator, config, cat = _plutio(size, chosen, latency)
    try:
        (tmp / "overlap-config.json").write_text(json.dumps(config))
        (tmp / "overlap-catalog.json").write_text(json.dumps(cat))
        argv = [cli("source-plutio"), "read", "--config", str(tmp / "overlap-config.json"),
                "--catalog", str(tmp / "overlap-catalog.json")]
        progress(f"concurrency: source-plutio, {len(PLUTIO_STREAMS)} streams, budget {chosen} calls/h "
                 f"(the sync needs {needed}), {latency * 1000:.0f} ms latency")
        started = time.time()
        waited = _run_until_wait(argv, tmp) if chosen < needed else _run_whole(argv, tmp)
        wall = time.time() - started
        spans = _timeline(emulator, started)
        return Overlap(chosen, len(emulator.calls()), sum(1 for c in emulator.calls() if c.status == 429), wall,
                       spans, _most_at_once(spans), waited)
    finally:
        emulator.stop()


def _run_whole(argv: list[str], tmp: Path) -> bool:
    run = run_child(argv, tmp / "overlap.out")
    if run.returncode != 0:
        raise BenchFailure(f"source-plutio (several streams) exited with {run.returncode}:\n{run.stderr_tail}")
    waited = "call budget used up" in (tmp / "overlap.out").read_text()
    (tmp / "overlap.out").unlink()
    return waited


def _run_until_wait(argv: list[str], tmp: Path, timeout: float = 120) -> bool:
    """Run until the connector logs that it waits for its budget, then stop it (the wait would last an hour)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=child_env(), text=True)
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=1):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            if "call budget used up" in line:
                time.sleep(2)  # any call that would slip past the budget has time to arrive
                return True
        return False
    finally:
        proc.kill()
        proc.wait()
