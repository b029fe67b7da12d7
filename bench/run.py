"""Connector benchmarks: throughput, CPU per record and peak RSS against a raw loop at several record counts (on the
bench's emulators and, for Pluggy, on a server that answers instantly), start-up CPU, and concurrency against the
vendors' limits. Writes RESULTS.md and a PNG chart next to it, with the goals of issue 21 first. Nothing is asserted
on a timing: the run fails only if a program under test fails or returns the wrong records.

    make bench                          # default sizes, about 15 minutes on 2 cores (see bench/README.md)
    .venv/bin/python bench/run.py --full           # the reads at 1M records, into bench/full/ (about 35 minutes)
    .venv/bin/python bench/run.py --smoke          # tiny sizes, results in /tmp/bench-smoke (about 3 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import chart
import concurrency
import reads
import results
import startup
from harness import start_spawner

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

# Record counts per sweep; the first and last give the marginal CPU and the RSS growth. Pluggy's 180,000 is the most
# that neither side's pace (360 calls per 62 s per endpoint) can hold back: 360 pages of 500. `--full` sweeps only
# what the goals need at a million records (the smallest size and 1M), into bench/full/ (bench/README.md).
SIZES = {
    "default": {"pluggy": [10_000, 100_000, 180_000], "pluggy_instant": [10_000, 100_000],
                "plutio": [10_000, 100_000], "protime": [10_000, 100_000], "plecto": [20_000, 200_000]},
    "full": {"pluggy": [10_000, 1_000_000], "plutio": [10_000, 1_000_000], "protime": [10_000, 1_000_000],
             "plecto": [20_000, 1_000_000]},
    "smoke": {"pluggy": [1_000, 3_000], "pluggy_instant": [1_000, 3_000], "plutio": [500, 1_500],
              "protime": [500, 1_500], "plecto": [500, 1_500]},
}
PARTS = {"default": "startup,reads,concurrency", "full": "reads", "smoke": "startup,reads,concurrency"}
# Pluggy concurrency: items (x 3 accounts) and transactions per account (3 pages of 500), latency, workers.
PACE = {"default": (60, 1_500), "full": (120, 1_500), "smoke": (4, 1_000)}
PACE_LATENCY = 0.1
PACE_WORKERS = [4, 2]  # the spec's default first
PLUTIO_OVERLAP = {"default": 40, "full": 40, "smoke": 5}  # emulator size: pages per stream at 100 a page
STARTUP_REPEAT = {"default": 3, "full": 5, "smoke": 1}
LIMITS = ("the emulators' rate limits raised to 1e9 for the reads and writes; source-plutio's and destination-plecto's "
          "`requests_per_hour` raised on the connectors too; source-pluggy's `requests_per_minute` cannot exceed 360 (its spec), so the "
          "Pluggy loop paces itself the same way (360 calls per 62 s per endpoint). Concurrency runs keep the "
          "vendors' limits (see there).")


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    def first(path: str, prefix: str) -> str:
        try:
            return next(line.split(":", 1)[1].strip() for line in open(path) if line.startswith(prefix))
        except (OSError, StopIteration):
            return "?"

    import importlib.metadata

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "connectors", "sandbox", "bench"],
                           capture_output=True, text=True).stdout.strip()
    memory = first("/proc/meminfo", "MemTotal")
    return {"cores": os.cpu_count(), "cpu": first("/proc/cpuinfo", "model name"), "platform": platform.platform(),
            "memory_gib": int(memory.split()[0]) / 2**20 if memory != "?" else 0,
            "python": platform.python_version(), "airbyte_cdk": importlib.metadata.version("airbyte-cdk"),
            "commit": commit.stdout.strip() + (" + uncommitted changes" if dirty else ""),
            "load_before": os.getloadavg()[0]}


def section(doc: dict[str, Any], name: str, work: Callable[[], Any], into: dict[str, Any] | None = None) -> None:
    """Run one part and keep its figures under `name` (in `into`, default `doc`); a failure is recorded loudly in
    doc["failures"] and the other parts still run."""
    try:
        (doc if into is None else into)[name] = work()
    except reads.BenchFailure as failure:
        progress(f"FAILED: {failure}")
        doc.setdefault("failures", []).append(str(failure))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_const", dest="mode", const="full", help="sweeps up to 1M records")
    mode.add_argument("--smoke", action="store_const", dest="mode", const="smoke", help="tiny sizes, a quick check")
    parser.add_argument("--only", help="comma-separated parts: startup, reads, concurrency (default: all; with "
                                       "--full: reads)")
    parser.add_argument("--sweeps", help="reads to sweep (default: every sweep of the mode, see SIZES)")
    parser.add_argument("--out", type=Path, help="directory for RESULTS.md and the chart (default: bench/, "
                                                 "with --full: bench/full/, with --smoke: /tmp/bench-smoke)")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: write RESULTS.md and the chart again from the --out directory's "
                             "results.json (after a change to the page or to bench/profiles/)")
    args = parser.parse_args()
    mode = args.mode or "default"
    out = args.out or {"smoke": Path(tempfile.gettempdir()) / "bench-smoke", "full": BENCH / "full"}.get(mode, BENCH)
    out.mkdir(parents=True, exist_ok=True)
    if args.render:
        write(json.loads((out / "results.json").read_text()), out)
        return 0
    parts = {p.strip() for p in (args.only or PARTS[mode]).split(",")}
    sweeps = [k.strip() for k in (args.sweeps or ",".join(SIZES[mode])).split(",") if k.strip()]
    started = time.perf_counter()
    spawner = start_spawner(sys.executable)  # first, while this process is small (see bench/spawner.py)
    doc: dict[str, Any] = {"command": " ".join(["python bench/run.py", *sys.argv[1:]]), "mode": mode,
                           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine()}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
            tmp = Path(tmp_name)
            if "startup" in parts:
                doc["startup_repeat"] = STARTUP_REPEAT[mode]
                section(doc, "startup", lambda: [c.figures() for c in startup.measure(tmp, STARTUP_REPEAT[mode],
                                                                                         progress)])
            if "reads" in parts:
                doc["sweeps"] = {}
                for key in sweeps:
                    section(doc, key, lambda key=key: [p.figures() for p in reads.sweep(key, SIZES[mode].get(key) or SIZES['default'][key], tmp,
                                                                                         progress)], doc["sweeps"])
            if "concurrency" in parts:
                run_concurrency(doc, mode, tmp)
    finally:
        spawner.close()
    doc["machine"]["load_after"] = os.getloadavg()[0]
    doc["elapsed_s"] = time.perf_counter() - started
    write(doc, out)
    if doc.get("failures"):
        print("\nBENCH FAILED:\n" + "\n".join(f"  - {f}" for f in doc["failures"]), file=sys.stderr)
        return 1
    return 0


def run_concurrency(doc: dict[str, Any], mode: str, tmp: Path) -> None:
    items, per_account = PACE[mode]
    doc["pace_setup"] = {"items": items, "per_account": per_account, "latency_ms": PACE_LATENCY * 1000,
                         "default_workers": PACE_WORKERS[0], "calls_needed": items * 3 * -(-per_account // 500)}
    section(doc, "pace", lambda: [concurrency.pluggy_pace(tmp, w, items, per_account, PACE_LATENCY, progress)
                                  .figures() for w in PACE_WORKERS])
    size = PLUTIO_OVERLAP[mode]
    doc["overlap_setup"] = {"size": size, "latency_ms": PACE_LATENCY * 1000, "streams": list(concurrency.PLUTIO_STREAMS)}

    def overlaps() -> list[dict[str, Any]]:
        roomy = concurrency.plutio_overlap(tmp, size, PACE_LATENCY, None, progress)
        tight = concurrency.plutio_overlap(tmp, size, PACE_LATENCY, max(2, roomy.calls // 2), progress)
        return [roomy.figures(), tight.figures()]
    section(doc, "overlap", overlaps)


def companions(out: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """The other runs the goals table quotes: the 1M reads (bench/full/) and the large-tenant simulation (scale.json),
    each as its own run left them (with its date and commit)."""
    found: dict[str, Any] = {}
    full = out / "full" / "results.json"
    if doc.get("mode") == "full":
        found["full"] = doc
    elif full.exists():
        found["full"] = json.loads(full.read_text())
    scale = out / "scale.json"
    if scale.exists():
        found["scale"] = json.loads(scale.read_text())
    return found


def write(doc: dict[str, Any], out: Path) -> None:
    (out / "results.json").write_text(json.dumps(doc, indent=1))
    picture = None
    if doc.get("sweeps"):
        picture = chart.draw(doc["sweeps"], out / "results.png",
                             f"{doc['command']} - {doc['date']} - commit {doc['machine']['commit']}").name
    (out / "RESULTS.md").write_text(results.render(doc, picture, LIMITS, **companions(out, doc)))
    progress(f"wrote {out / 'RESULTS.md'} ({doc['elapsed_s'] / 60:.1f} min)")


if __name__ == "__main__":
    sys.exit(main())
