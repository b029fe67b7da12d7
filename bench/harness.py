"""Measuring one child process (wall time, CPU, peak RSS), and the Markdown tables the figures go into.

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
from dataclasses import dataclass
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


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; the first column left-aligned, the figures right-aligned."""
    lines = ["| " + " | ".join(map(str, headers)) + " |",
             "|" + "|".join([":---"] + ["---:"] * (len(headers) - 1)) + "|"]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}x"


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
