"""`make demo`: the main job on the vendor sandbox, with no credentials, as a user runs it.

1. Start the four emulators on free loopback ports (so that a `make sandbox` in another terminal is no bother),
   and point pipeline/examples/sandbox.yaml at them (a copy in .cache/demo/).
2. `airbyte-pipeline run`: Pluggy, Protime and Plutio into the embedded DuckDB cache, then Pluggy transactions,
   Protime clockings and Plutio time tracks to Plecto as registrations.
3. Change the sandbox: new transactions, a clocking inserted, updated and deleted, a time track added and updated.
4. Run the same command again: it reads and sends only the changes.
5. Check that Plecto holds exactly one registration per sandbox record, with the changes applied, and that the
   second run sent only the changes; say loudly and exit 1 if not.
"""

from __future__ import annotations

import json
import shutil
import sys
import time

from sandbox import emulator_class
from sandbox_pipeline import (EXAMPLE, FIXED_PORTS, PUSHED, REPO, airbyte_pipeline, example_over, make_changes,
                              registration_mismatches, write_pipeline)

STATE_DIR = REPO / ".cache" / "demo"
PIPELINE_FILE = STATE_DIR / "sandbox.yaml"


def run_pipeline(number: int, emulators: dict) -> None:
    print(f"\n==== Run {number}: airbyte-pipeline run {PIPELINE_FILE.relative_to(REPO)}\n", flush=True)
    for emulator in emulators.values():
        emulator.reset_calls()
    done = airbyte_pipeline("run", str(PIPELINE_FILE), "--state-dir", str(STATE_DIR), capture=False)
    calls = ", ".join(f"{name} {len(emulator.calls())}" for name, emulator in emulators.items())
    print(f"\nAPI calls as the sandbox counted them in run {number}: {calls}", flush=True)
    if done.returncode != 0:
        sys.exit(f"DEMO FAILED: run {number} exited with code {done.returncode}")


def second_run_problems(changes) -> list[str]:
    state = json.loads((STATE_DIR / "pipeline-state.json").read_text())
    problems = []
    for stream in PUSHED:
        sent = state["streams"][stream].get("last_push", {}).get("sent")
        if sent != changes.moved[stream]:
            problems.append(f"run 2 sent {sent} record(s) of {stream} to Plecto; the changes were {changes.moved[stream]}")
    return problems


def main() -> int:
    started = time.monotonic()
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    STATE_DIR.mkdir(parents=True)
    emulators = {name: emulator_class(name)().start() for name in FIXED_PORTS}
    try:
        print("Vendor sandbox: " + ", ".join(f"{name} at {e.url}" for name, e in emulators.items()))
        write_pipeline(PIPELINE_FILE, example_over(emulators))
        print(f"Pipeline file: {EXAMPLE.relative_to(REPO)} with this sandbox's ports, as {PIPELINE_FILE.relative_to(REPO)}")
        run_pipeline(1, emulators)
        changes = make_changes(emulators)
        print(f"\n==== Changes in the sandbox: {changes.describe()}", flush=True)
        run_pipeline(2, emulators)
        problems = second_run_problems(changes) + registration_mismatches(emulators, changes)
        held = {title: len(emulators["plecto"].registrations(emulators["plecto"].data_sources_titled(title)[0]["uuid"]))
                for title in PUSHED.values() if emulators["plecto"].data_sources_titled(title)}
    finally:
        for emulator in emulators.values():
            emulator.stop()
    if problems:
        print("\nDEMO CHECK FAILED:\n" + "\n".join(f"  - {p}" for p in problems), file=sys.stderr)
        return 1
    print(f"\nDemo checks passed: Plecto holds exactly one registration per sandbox record ({held}), with the "
          f"update and the delete applied, and run 2 sent only the changes. Done in "
          f"{time.monotonic() - started:.0f} s; the DuckDB cache and the state stay in {STATE_DIR}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
