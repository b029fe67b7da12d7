"""`make test`'s closing line: each phase's counts and time, and the whole run's, in one line; and whether the run
left the working tree as it found it.

    python -m connector_kit.testing.test_totals build/test-results unit-tests sandbox-tests standard-tests

Each phase folder holds the totals files of its pytest runs (`--totals-file`, connector_kit.testing.test_report)
and the `started` and `finished` times its Makefile target wrote (epoch seconds): a phase's time is its wall time,
start-up and collection included. `git-status-before` in the results folder, when there, is `git status
--porcelain` from before the run; a difference now is named and fails the run, since tests must write only under
ignored folders (build/, .cache/, .tmp/). Exit code 0 when every phase ran and nothing failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

SHOWN = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected")
BAD = ("failed", "error")


def duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _counts(counts: Counter) -> str:
    return ", ".join(f"{counts[name]} {name}" for name in SHOWN if counts[name]) or "no test"


def _epoch(path: Path) -> float | None:
    try:
        return float(path.read_text().strip())
    except (OSError, ValueError):
        return None


def phase_totals(folder: Path) -> tuple[Counter, float | None, int]:
    """The counts of a phase's runs, its wall seconds (None if it did not finish) and how many runs it had."""
    counts: Counter = Counter()
    runs = sorted(folder.glob("*.json"))
    for run in runs:
        counts.update({k: v for k, v in json.loads(run.read_text()).items() if k in SHOWN})
    started, finished = _epoch(folder / "started"), _epoch(folder / "finished")
    return counts, (finished - started if started is not None and finished is not None else None), len(runs)


def working_tree_changes(before_file: Path) -> list[str]:
    """Lines of `git status --porcelain` that were not there before the run (none if git cannot tell)."""
    if not before_file.exists():
        return []
    done = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True)
    if done.returncode != 0:
        return []
    before = set(before_file.read_text().splitlines())
    return [line for line in done.stdout.splitlines() if line not in before]


def closing_line(results: Path, phases: list[str]) -> tuple[str, bool]:
    parts, total, seconds, ok = [], Counter(), 0.0, True
    for phase in phases:
        counts, wall, runs = phase_totals(results / phase)
        if not runs:
            parts.append(f"{phase} did not run")
            ok = False
            continue
        total.update(counts)
        seconds += wall or 0.0
        ok = ok and wall is not None and not any(counts[name] for name in BAD)
        parts.append(f"{phase} {_counts(counts)}" + (f" in {duration(wall)}" if wall is not None else ""))
    failed = total["failed"] + total["error"]  # the total always says how many failed, none included
    others = ", ".join(f"{total[name]} {name}" for name in SHOWN if name not in ("passed", *BAD) and total[name])
    line = ("make test: " + "; ".join(parts) + f". Total: {total['passed']} passed, {failed} failed"
            + (f", {others}" if others else "") + f" in {duration(seconds)}")
    return line, ok


def main(argv: list[str]) -> int:
    results, phases = Path(argv[0]), argv[1:]
    line, ok = closing_line(results, phases)
    changes = working_tree_changes(results / "git-status-before")
    if changes:
        print("make test changed the working tree (tests must write under build/, .cache/ or .tmp/): "
              + ", ".join(changes), flush=True)
    print(("" if ok and not changes else "FAILED: ") + line, flush=True)
    return 0 if ok and not changes else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
