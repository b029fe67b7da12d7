"""Where a connector's CPU goes: a py-spy profile of one bench read (or write), summarised as text for RESULTS.md.

    .venv/bin/pip install py-spy          # a dev tool: the bench itself does not need it
    .venv/bin/python bench/hotspots.py     # every scenario; or: bench/hotspots.py pluggy plecto

Each scenario runs the installed CLI on a bench tenant (bench/tenants.py) under `py-spy record --threads` (only
samples of threads that are running: waiting costs nothing) and writes bench/profiles/<scenario>.txt: the command,
the commit, the share of samples per thread, the functions with the most samples of their own ("self") and the
functions the most samples pass through ("total", scaffolding left out). `make bench` copies these files into
RESULTS.md, with the commit each was taken at.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from connector_kit.testing.cli import cli

import tenants

BENCH = Path(__file__).resolve().parent
PROFILES = BENCH / "profiles"
SCENARIOS = {  # name -> (tenant key, records)
    "pluggy": ("pluggy", 100_000),
    "plutio": ("plutio", 50_000),
    "protime": ("protime", 50_000),
    "plecto": ("plecto", 100_000),
}
RATE = 250  # samples per second
SCAFFOLDING = re.compile(r"<frozen importlib|threading\.py|concurrent/futures/thread\.py|^<module> \(source-|"
                         r"^<module> \(destination-|^run \(|^main \(")
_LINE = re.compile(r":\d+\)$")


def py_spy() -> str:
    found = Path(sys.executable).with_name("py-spy")
    if found.exists():
        return str(found)
    return shutil.which("py-spy") or sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")


def record(argv: list[str], stdin: Path | None, out: Path) -> None:
    with open(stdin or "/dev/null", "rb") as source:
        done = subprocess.run([py_spy(), "record", "--format", "raw", "--threads", "--gil", "--rate", str(RATE), "-o", str(out),
                               "--", *argv], stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"py-spy or the program failed ({done.returncode}):\n{done.stderr[-2000:]}")


def summarise(raw: Path, top: int = 15) -> str:
    """Self and total shares per function (line numbers dropped), and the share of each thread."""
    own: Counter = Counter()
    through: Counter = Counter()
    threads: Counter = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        head, _, frames_text = stack.partition(": ")
        frames = [_LINE.sub(")", f) for f in frames_text.split(";")]
        thread = frames[0] if frames and not frames[0].endswith(")") else "?"
        threads["main thread" if thread == "MainThread" else "worker threads"] += n
        own[frames[-1] if len(frames) > 1 and frames[-1] else "(no Python frame: native code)"] += n
        for frame in set(frames[1:] if thread != "?" else frames):
            through[frame] += n
    if not samples:
        return "(no samples)"

    def pct(n: int) -> str:
        return f"{100 * n / samples:5.1f}%"

    out = [f"samples: {samples:,} at {RATE}/s (running threads only) = {samples / RATE:.1f} s of CPU",
           "by thread: " + ", ".join(f"{name} {pct(n).strip()}" for name, n in threads.most_common()), "",
           "self (samples in the function itself):"]
    out += [f"  {pct(n)}  {frame}" for frame, n in own.most_common(top)]
    out += ["", "total (samples passing through the function; thread and import scaffolding left out):"]
    kept = [(frame, n) for frame, n in through.most_common() if not SCAFFOLDING.search(frame)]
    out += [f"  {pct(n)}  {frame}" for frame, n in kept[:top + 10]]
    return "\n".join(out)


def commit() -> str:
    done = subprocess.run(["git", "-C", str(BENCH), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(BENCH), "status", "--porcelain", "--", "../connectors"],
                           capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + (" (connectors modified)" if dirty else "")


def profile(name: str, tmp: Path) -> Path:
    key, records = SCENARIOS[name]
    tenant = tenants.plecto(records, tmp) if key == "plecto" else tenants.BUILDERS[key](records)
    try:
        config, catalog = tenant.files(tmp)
        verb = "write" if tenant.stdin else "read"
        argv = [cli(tenant.connector), verb, "--config", str(config), "--catalog", str(catalog)]
        raw = tmp / f"{name}.raw"
        print(f"profiling {tenant.connector} {verb}, {records:,} records", file=sys.stderr)
        record(argv, tenant.stdin, raw)
    finally:
        tenant.stop()
    text = (f"{tenant.connector} {verb} of `{tenant.stream}`, {records:,} records ({tenant.describe})\n"
            f"taken {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} at commit {commit()} with "
            f"`py-spy record --threads --gil --rate {RATE}`\n\n{summarise(raw)}\n")
    PROFILES.mkdir(exist_ok=True)
    path = PROFILES / f"{name}.txt"
    path.write_text(text)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help=f"some of {', '.join(SCENARIOS)}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        for name in args.scenarios:
            print(profile(name, Path(tmp)).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
