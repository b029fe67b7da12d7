"""Measuring one child process (wall time, CPU, peak RSS) and printing figures as plain-text tables.

Peak RSS comes from `os.wait4(pid)` in bench/spawner.py, which returns the rusage of that one child (and of any
grandchildren it waited for): unlike `getrusage(RUSAGE_CHILDREN)`, whose ru_maxrss is the maximum over every child
ever waited for, it does not carry a larger earlier child's peak into a later measurement; and spawning from that
small process keeps the bench's own (emulator-sized) RSS out of the children's figures. Nothing here asserts on a
figure.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence


@dataclass
class ChildRun:
    wall: float  # seconds from spawn to exit
    cpu: float  # user + sys seconds of the child
    rss_mib: float  # peak resident set size of the child, MiB
    server_cpu: float  # user + sys seconds of this process meanwhile: the in-process emulator serving it
    returncode: int
    stderr_tail: str


def child_env() -> dict[str, str]:
    """What `make` exports for the connectors, and no proxy between them and the loopback emulators."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(AIRBYTE_OFFLINE_MODE="1", DO_NOT_TRACK="1", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


class Spawner:
    """bench/spawner.py, started once before any emulator seeds data: it runs each measured program (see why there)."""

    def __init__(self, python: str) -> None:
        self.proc = subprocess.Popen([python, "-S", str(Path(__file__).with_name("spawner.py"))], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def run(self, argv: Sequence[str], stdin: Path | None, stdout: Path, stderr: Path, timeout: float) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        request = {"argv": list(argv), "stdin": str(stdin) if stdin else None, "stdout": str(stdout),
                   "stderr": str(stderr), "env": child_env(), "timeout": timeout}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("bench/spawner.py exited")
        return json.loads(answer)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


_spawner: Spawner | None = None


def start_spawner(python: str) -> Spawner:
    global _spawner
    _spawner = Spawner(python)
    return _spawner


def run_child(argv: Sequence[str], stdout_path: Path, stdin_path: Path | None = None, timeout: float = 3600) -> ChildRun:
    """Run argv with stdin from a file and stdout to a file (so this process does no I/O work meanwhile).

    The spawner starts it; this process only waits, so its own CPU meanwhile is the in-process emulator's work.
    """
    assert _spawner is not None, "start_spawner() first"
    stderr_path = stdout_path.with_name(stdout_path.name + ".stderr")
    before = resource.getrusage(resource.RUSAGE_SELF)
    answer = _spawner.run(argv, stdin_path, stdout_path, stderr_path, timeout)
    after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = stderr_path.read_text(errors="replace")[-3000:]
    stderr_path.unlink()
    return ChildRun(answer["wall"], answer["cpu"], answer["maxrss_kib"] / 1024, server_cpu, answer["returncode"], tail)


@dataclass
class Side:
    """One side of a comparison (the connector or its baseline), over the repeats of a run."""

    label: str
    runs: list[ChildRun] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    startups: list[ChildRun] = field(default_factory=list)  # runs that only start the program (connector: `spec`)

    def med(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)

    @property
    def wall(self) -> float:
        return self.med("wall")

    @property
    def startup(self) -> float:
        return statistics.median(r.wall for r in self.startups) if self.startups else 0.0

    @property
    def startup_rss_mib(self) -> float:
        return max((r.rss_mib for r in self.startups), default=0.0)

    @property
    def net(self) -> float | None:
        """Wall time minus the program's startup: the part that grows with the data. None when startup is most of
        the wall time (the difference would be mostly noise: use a larger --size)."""
        net = self.wall - self.startup
        return net if net >= 0.25 * self.wall else None

    @property
    def rec(self) -> int:
        return int(statistics.median(self.records))

    @property
    def ncalls(self) -> int:
        return int(statistics.median(self.calls))

    @property
    def rss(self) -> float:
        return max(r.rss_mib for r in self.runs)

    def row(self) -> list[Any]:
        rec, net = self.rec, self.net
        return [self.label, f"{rec:,}", f"{self.wall:.2f}", f"{self.startup:.2f}", f"{rec / self.wall:,.0f}",
                f"{rec / net:,.0f}" if net else "n/a", f"{self.med('cpu'):.2f}", f"{self.med('server_cpu'):.2f}", f"{self.rss:.1f}",
                f"{self.ncalls:,}", f"{1000 * self.ncalls / rec:.2f}" if rec else "-"]

    def figures(self) -> dict[str, Any]:
        rec = self.rec
        return {"records": rec, "wall_s": self.wall, "startup_s": self.startup, "records_per_s": rec / self.wall,
                "records_per_s_after_startup": rec / self.net if self.net else None, "child_cpu_s": self.med("cpu"),
                "server_cpu_s": self.med("server_cpu"), "peak_rss_mib": self.rss, "startup_rss_mib": self.startup_rss_mib,
                "api_calls": self.ncalls, "calls_per_1k_records": 1000 * self.ncalls / rec if rec else None,
                "runs": [r.__dict__ | {"stderr_tail": None} for r in self.runs]}


SIDE_HEADERS = ["run", "records", "wall s", "startup s", "rec/s", "rec/s after startup", "child CPU s",
                "emulator CPU s", "peak RSS MiB", "API calls", "calls/1k rec"]


def ratios(connector: Side, baseline: Side) -> dict[str, float | None]:
    def r(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    c_per_k = connector.ncalls / connector.rec if connector.rec else 0
    b_per_k = baseline.ncalls / baseline.rec if baseline.rec else 0
    return {"wall": r(connector.wall, baseline.wall), "after_startup": r(connector.net, baseline.net),
            "child_cpu": r(connector.med("cpu"), baseline.med("cpu")), "peak_rss": r(connector.rss, baseline.rss),
            "calls_per_1k": r(c_per_k, b_per_k)}


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        return indent + " | ".join([first] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])])

    rule = indent + "-+-".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def round_trip_ms(url: str, requests_count: int = 20) -> float:
    """Median wall time of a keep-alive GET to the emulator (any answer, a 401 or 404 will do)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    times = []
    for _ in range(requests_count):
        start = time.perf_counter()
        session.get(url, timeout=10)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)
