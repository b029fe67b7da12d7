"""Start-up cost: CPU, wall and peak RSS of `spec` and `check` for every connector, against two yardsticks run in
the same loop: `python -c pass` (the interpreter alone) and `python -c "import airbyte_cdk"` (the CDK's import).

`check` talks to a small emulator of its vendor (in this process), so it includes one or two local API calls.
Each command runs `repeat` times, interleaved (one round runs every command once), and the median is shown.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from connector_kit.testing.cli import cli

import tenants
from harness import ChildRun, run_child
from reads import BenchFailure

CONNECTORS = ["source-pluggy", "source-plutio", "source-protime", "destination-plecto"]


@dataclass
class Command:
    label: str
    argv: list[str]
    runs: list[ChildRun] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)

    def figures(self) -> dict[str, Any]:
        return {"label": self.label, "argv": " ".join(Path(a).name if "/" in a else a for a in self.argv),
                "cpu_s": self.median("cpu"), "wall_s": self.median("wall"), "rss_mib": max(r.rss_mib for r in self.runs),
                "cpu_runs": [r.cpu for r in self.runs]}


def check_configs(tmp: Path) -> tuple[dict[str, Path], list[Any]]:
    """A config for `check` per connector, each pointing at a small running emulator (returned, to stop them)."""
    small = {"source-pluggy": tenants.pluggy(60), "source-plutio": tenants.plutio(100),
             "source-protime": tenants.protime(100), "destination-plecto": tenants.plecto(1, tmp)}
    return {name: t.files(tmp)[0] for name, t in small.items()}, [t.emulator for t in small.values()]


def measure(tmp: Path, repeat: int, progress: Callable[[str], None]) -> list[Command]:
    configs, emulators = check_configs(tmp)
    try:
        commands = [Command("python -c pass", [sys.executable, "-c", "pass"]),
                    Command("python -c 'import airbyte_cdk'", [sys.executable, "-c", "import airbyte_cdk"])]
        for name in CONNECTORS:
            commands.append(Command(f"{name} spec", [cli(name), "spec"]))
            commands.append(Command(f"{name} check", [cli(name), "check", "--config", str(configs[name])]))
        for i in range(repeat):
            progress(f"startup: round {i + 1}/{repeat}")
            for command in commands:
                run = run_child(command.argv, tmp / "startup.out")
                if run.returncode != 0:
                    raise BenchFailure(f"`{command.label}` exited with {run.returncode}:\n{run.stderr_tail}")
                if command.label.endswith(" check") and '"status":"SUCCEEDED"' not in (tmp / "startup.out").read_text():
                    raise BenchFailure(f"`{command.label}` did not report SUCCEEDED against the emulator")
                command.runs.append(run)
        return commands
    finally:
        for emulator in emulators:
            emulator.stop()
