"""Connector benchmarks: throughput, peak memory and API calls, each against a hand-written baseline run in the same
invocation, printed as tables of figures and ratios. Nothing is asserted on a timing (team rule: speed and memory go
in benchmarks that print figures, never in timed assertions); the process fails only if a run itself fails.

    make bench                                     # default sizes, 2 runs per side: about 2.5 minutes on 2 cores
    .venv/bin/python bench/run.py --size 5         # 5x the records (see --help and bench/README.md)
    .venv/bin/python bench/run.py --size 0.1 --repeat 1   # a quick smoke run (~30 s)

Sections (each starts its emulator in this process on a free loopback port, with rate limits raised):
  pluggy  `source-pluggy read` of the incremental `transactions` stream vs bench/baseline_pluggy.py
  plecto  `destination-plecto write` of N records (a STATE every 1,000) vs bench/baseline_plecto.py
  plutio  `source-plutio read` of the incremental `time_tracks` stream vs bench/baseline_plutio.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
VENV_BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO / "integration_tests"))
sys.path.insert(0, str(BENCH))

from harness import (SIDE_HEADERS, ChildRun, Side, fmt_ratio, ratios, round_trip_ms, run_child,  # noqa: E402
                     start_spawner, table)

# Records at --size 1 (the default); --size multiplies them.
PLUGGY_TX_PER_ACCOUNT = 5_000  # x 2 items x 3 accounts = 30,000 transactions
PLECTO_RECORDS = 20_000
PLUTIO_SCALE = 200  # the emulator's size unit: 27 time-tracks each -> 5,400
UNLIMITED = 1_000_000_000


def python() -> str:
    exe = VENV_BIN / "python"
    return str(exe) if exe.exists() else sys.executable


def cli(name: str) -> str:
    exe = VENV_BIN / name
    if not exe.exists():
        sys.exit(f"{exe} not found: run `make install` first")
    return str(exe)


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


def summary_from_stderr(run: ChildRun) -> dict[str, Any]:
    for line in reversed(run.stderr_tail.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def count_messages(path: Path, stream: str | None = None) -> dict[str, int]:
    """Airbyte messages on a connector's stdout, by type (RECORDs only of `stream` when given)."""
    counts: dict[str, int] = {}
    with open(path) as lines:
        for line in lines:
            if line.startswith('{"type":"RECORD"') and (stream is None or f'"stream":"{stream}"' in line):
                counts["RECORD"] = counts.get("RECORD", 0) + 1
                continue
            if not line.startswith("{"):
                continue
            message = json.loads(line)
            kind = message.get("type", "?")
            if kind == "RECORD" and stream is not None and message["record"]["stream"] != stream:
                continue
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def check(run: ChildRun, what: str) -> None:
    if run.returncode != 0:
        sys.exit(f"{what} exited with {run.returncode}; stderr tail:\n{run.stderr_tail}")


@dataclass
class Contender:
    """One program of a comparison: how to start it, and how to read its records and API calls after a run."""

    side: Side
    argv: list[str]
    startup_argv: list[str]  # a run that only starts the program: its time is subtracted for "after startup"
    after: Callable[[ChildRun, Path, int], tuple[int, int]]  # (run, stdout file, run index) -> (records, API calls)
    before: Callable[[], None] = lambda: None  # bring the emulator back to the same starting point
    stdin: Path | None = None


def compare(section: str, repeat: int, tmp: Path, *contenders: Contender) -> None:
    """Each repeat: both startups, then both runs; which goes first alternates, so warm-up favours neither."""
    for i in range(repeat):
        order = contenders if i % 2 == 0 else tuple(reversed(contenders))
        for c in order:
            startup = run_child(c.startup_argv, tmp / "startup.out")
            check(startup, " ".join(c.startup_argv))
            c.side.startups.append(startup)
        for c in order:
            progress(f"{section}: {c.side.label}, run {i + 1}/{repeat}")
            c.before()
            out = tmp / f"{section}-{len(c.side.runs)}.out"
            run = run_child(c.argv, out, stdin_path=c.stdin)
            check(run, c.side.label)
            records, calls = c.after(run, out, i)
            c.side.runs.append(run), c.side.records.append(records), c.side.calls.append(calls)
            out.unlink()


def launch(emulator: Any, args: argparse.Namespace) -> dict[str, float]:
    """Start an emulator for the bench, with the optional added latency; its measured round trip."""
    emulator.start()
    emulator.faults.delay_seconds = args.latency_ms / 1000
    return {"bench": round_trip_ms(emulator.url + "/")}


def compare_source_read(args: argparse.Namespace, tmp: Path, emulator: Any, connector_name: str, stream: str,
                        config: Path, catalog: Path, baseline_script: str,
                        expected: int) -> tuple["Contender", "Contender", list[str]]:
    """Run `<connector> read` and its baseline script against the same emulator; note any wrong record count."""
    notes: list[str] = []

    def counted(label: str, got: int, i: int) -> tuple[int, int]:
        if got != expected:
            notes.append(f"{label} run {i + 1}: {got:,} records, expected {expected:,}")
        return got, len(emulator.calls())

    connector = Contender(
        Side(f"{connector_name} read"),
        [cli(connector_name), "read", "--config", str(config), "--catalog", str(catalog)],
        [cli(connector_name), "spec"], before=emulator.reset_calls,
        after=lambda run, out, i: counted("connector", count_messages(out, stream).get("RECORD", 0), i))
    baseline = Contender(
        Side("baseline (requests loop)"),
        [python(), str(BENCH / baseline_script), "--config", str(config), "--out", os.devnull],
        [python(), str(BENCH / baseline_script), "--startup-only"], before=emulator.reset_calls,
        after=lambda run, out, i: counted("baseline", summary_from_stderr(run).get("records", 0), i))
    compare(connector_name.removeprefix("source-"), args.repeat, tmp, connector, baseline)
    return connector, baseline, notes


# ---- 1. source-pluggy read ------------------------------------------------------------------------------------
def bench_pluggy(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from sandbox.pluggy import PluggyEmulator

    per_account = max(1, round(PLUGGY_TX_PER_ACCOUNT * args.size))
    progress(f"pluggy: seeding {per_account:,} transactions per account")
    emulator = PluggyEmulator(size=per_account, rate_limit_per_minute=UNLIMITED)
    rtt = launch(emulator, args)
    try:
        expected = sum(len(rows) for rows in emulator.transactions.values())
        config = write_json(tmp / "pluggy-config.json", emulator.connector_config())
        catalog = write_json(tmp / "pluggy-catalog.json", {"streams": [{
            "stream": {"name": "transactions", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
            "sync_mode": "incremental", "destination_sync_mode": "append_dedup"}]})
        connector, baseline, notes = compare_source_read(args, tmp, emulator, "source-pluggy", "transactions",
                                                         config, catalog, "baseline_pluggy.py", expected)
        return {"title": "1. source-pluggy read, stream `transactions` (incremental, first sync)",
                "size": f"2 items x 3 accounts x {per_account:,} transactions = {expected:,} records; "
                        f"/v2/transactions pages of 500",
                "connector": connector.side, "baseline": baseline.side, "notes": notes, "round_trip_ms": rtt}
    finally:
        emulator.stop()


# ---- 2. destination-plecto write ------------------------------------------------------------------------------
def plecto_messages(n: int, path: Path) -> None:
    """N RECORDs of a `transactions` stream with a STATE after every 1,000 (and at the end)."""
    statuses, descriptions = ["POSTED", "POSTED", "PENDING"], ["PIX RECEBIDO", "COMPRA CARTAO", "TED", "BOLETO", "SALARIO"]
    with open(path, "w") as out:
        for i in range(n):
            minute = i % (60 * 24 * 365)
            data = {"id": f"tx-{i:08d}",
                    "booked_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1_704_067_200 + 60 * minute)),
                    "owner_id": i % 25, "owner_name": f"Owner {i % 25}", "amount": round((i * 37 % 90_000) / 100, 2),
                    "currency": "BRL", "description": descriptions[i % 5], "status": statuses[i % 3],
                    "category": "Transfers"}
            out.write(json.dumps({"type": "RECORD", "record": {"stream": "transactions", "data": data,
                                                               "emitted_at": 1_700_000_000_000}}) + "\n")
            if (i + 1) % 1000 == 0 or i + 1 == n:
                out.write(json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
                    "stream_descriptor": {"name": "transactions"}, "stream_state": {"cursor": data["id"]}}}}) + "\n")


def plecto_fingerprint(emulator: Any, data_source: str) -> str:
    """What is stored, without server-made ids and timestamps: equal when both sides wrote the same registrations."""
    rows = []
    for reg in emulator.registrations(data_source):
        member = reg["member"]
        kept = {k: v for k, v in reg.items() if k not in ("id", "member", "created", "modified")}
        rows.append(json.dumps([kept, member["api_provider"], member["api_id"], member["name"]], sort_keys=True))
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()[:12]


def bench_plecto(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from sandbox.plecto import PlectoEmulator

    n = max(1, round(PLECTO_RECORDS * args.size))
    minimum = math.ceil(n / 100)
    progress(f"plecto: generating {n:,} records")
    messages = tmp / "plecto-messages.jsonl"
    plecto_messages(n, messages)
    emulator = PlectoEmulator(requests_per_hour=UNLIMITED)
    rtt = launch(emulator, args)
    try:
        data_source = emulator.data_source_uuid("Transactions")
        cfg = emulator.connector_config()
        cfg["streams"][0].update(date_field="booked_at", member_api_id_field="owner_id", member_name_field="owner_name")
        config = write_json(tmp / "plecto-config.json", cfg)
        catalog = write_json(tmp / "plecto-catalog.json", {"streams": [{
            "stream": {"name": "transactions", "json_schema": {"type": "object"},
                       "supported_sync_modes": ["full_refresh", "incremental"], "source_defined_primary_key": [["id"]]},
            "sync_mode": "incremental", "destination_sync_mode": "append"}]})
        notes: list[str] = []
        prints: dict[str, set[str]] = {"connector": set(), "baseline": set()}
        states_out: list[int] = []

        def fresh() -> None:
            emulator.reset()  # the seeded data again: every run creates the same registrations from scratch
            emulator.faults.delay_seconds = args.latency_ms / 1000  # reset() clears it

        def stored(label: str, i: int) -> tuple[int, int]:
            regs = len(emulator.registrations(data_source))
            if regs != n:
                notes.append(f"{label} run {i + 1}: {regs:,} registrations stored, expected {n:,}")
            prints[label].add(plecto_fingerprint(emulator, data_source))
            return regs, len(emulator.calls())

        def connector_done(run: ChildRun, out: Path, i: int) -> tuple[int, int]:
            states_out.append(count_messages(out).get("STATE", 0))
            return stored("connector", i)

        connector = Contender(
            Side("destination-plecto write"),
            [cli("destination-plecto"), "write", "--config", str(config), "--catalog", str(catalog)],
            [cli("destination-plecto"), "spec"], before=fresh, after=connector_done, stdin=messages)
        baseline = Contender(
            Side("baseline (requests loop)"),
            [python(), str(BENCH / "baseline_plecto.py"), "--config", str(config), "--input", str(messages)],
            [python(), str(BENCH / "baseline_plecto.py"), "--startup-only"], before=fresh,
            after=lambda run, out, i: stored("baseline", i))
        compare("plecto", args.repeat, tmp, connector, baseline)
        c, b = connector.side, baseline.side
        same = prints["connector"] == prints["baseline"] and len(prints["connector"]) == 1
        notes.append(f"API calls per run: connector {c.ncalls:,} (its data source's fields read once, then the POSTs), "
                     f"baseline {b.ncalls:,} (POSTs only), minimum ceil({n:,}/100) = {minimum:,} POSTs  "
                     f"(connector/minimum = {c.ncalls / minimum:.2f}x)")
        notes.append(f"STATE messages emitted by the connector: {', '.join(map(str, states_out))} per run "
                     f"(input had {math.ceil(n / 1000):,})")
        notes.append("stored registrations identical for connector and baseline: "
                     + ("yes" if same else f"NO ({sorted(prints['connector'])} vs {sorted(prints['baseline'])})"))
        return {"title": "2. destination-plecto write, stream `transactions` (append; mapping: date, member id and name)",
                "size": f"{n:,} RECORD messages + a STATE every 1,000, from a file on stdin; lists of at most 100 per POST",
                "connector": c, "baseline": b, "notes": notes, "round_trip_ms": rtt,
                "extra": {"posts_minimum": minimum, "states_emitted": states_out, "stored_identical": same}}
    finally:
        emulator.stop()


# ---- 3. source-plutio read ------------------------------------------------------------------------------------
def bench_plutio(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from sandbox.plutio import PlutioEmulator

    scale = max(1, round(PLUTIO_SCALE * args.size))
    progress(f"plutio: seeding size {scale}")
    emulator = PlutioEmulator(size=scale, requests_per_hour=UNLIMITED)
    rtt = launch(emulator, args)
    try:
        cfg = emulator.connector_config()
        cfg["requests_per_hour"] = UNLIMITED  # the connector's own call budget would pace it otherwise
        start = cfg["start_date"].replace("Z", ".000Z")
        expected = sum(1 for r in emulator.records("time-tracks") if r["updatedAt"] >= start)
        config = write_json(tmp / "plutio-config.json", cfg)
        catalog = write_json(tmp / "plutio-catalog.json", {"streams": [{
            "stream": {"name": "time_tracks", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
            "sync_mode": "incremental", "destination_sync_mode": "append_dedup", "cursor_field": ["updatedAt"],
            "primary_key": [["_id"]]}]})
        connector, baseline, notes = compare_source_read(args, tmp, emulator, "source-plutio", "time_tracks",
                                                         config, catalog, "baseline_plutio.py", expected)
        return {"title": "3. source-plutio read, stream `time_tracks` (incremental, first sync)",
                "size": f"emulator size {scale} = {expected:,} time-tracks; skip/limit pages of 100",
                "connector": connector.side, "baseline": baseline.side, "notes": notes, "round_trip_ms": rtt}
    finally:
        emulator.stop()


SECTIONS = {"pluggy": bench_pluggy, "plecto": bench_plecto, "plutio": bench_plutio}


# ---- report ---------------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0))
                            if hasattr(os, "sched_getaffinity") else os.cpu_count(), "platform": platform.platform()}
    try:
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "?"
    probe = ("import platform, importlib.metadata as m; "
             "print(platform.python_version(), platform.python_implementation(), m.version('airbyte-cdk'))")
    try:
        version, impl, cdk = subprocess.run([python(), "-c", probe], capture_output=True, text=True, check=True).stdout.split()
        info.update(python=f"{impl} {version}", airbyte_cdk=cdk)
    except (subprocess.CalledProcessError, ValueError):
        info.update(python=platform.python_version(), airbyte_cdk="?")
    try:
        info["commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                        text=True).stdout.strip() or "?"
    except OSError:
        info["commit"] = "?"
    return info


def report(results: list[dict[str, Any]], info: dict[str, Any], args: argparse.Namespace, elapsed: float) -> str:
    out = ["", "Connector benchmarks (figures and ratios, no assertions)", "=" * 56,
           f"machine : {info['cores']} cores ({info['usable_cores']} usable), {info['cpu']}, {info['platform']}",
           f"python  : {info['python']} ({python()}), airbyte-cdk {info['airbyte_cdk']}, commit {info['commit']}",
           f"load    : 1-min load average {info['load_before'][0]:.2f} at start, {info['load_after'][0]:.2f} at end "
           f"(other work on the machine shows up in the times)",
           f"memory  : peak RSS of each child from wait4, spawned from a small process: floor "
           f"{info['rss_floor_mib']:.1f} MiB (`python -S -c pass`)",
           f"size    : --size {args.size:g} (1 = default), {args.repeat} run(s) per side, medians shown "
           f"(peak RSS: the largest run)",
           "limits  : emulator rate limits raised to 1e9 for the bench (Pluggy 360/min per endpoint, Plecto 3,600/h, "
           "Plutio 1,000/h,",
           "          and source-plutio's own requests_per_hour budget), so the figures measure speed, not pacing.",
           "network : emulators run in this process on 127.0.0.1 and share the cores with the program measured;",
           "          " + (f"{args.latency_ms:g} ms added to every answer" if args.latency_ms else "no added latency"),
           "times   : wall = spawn to exit; startup = the same program doing no work (connector `spec`, baseline "
           "imports); CPU = user+sys"]
    for result in results:
        connector, baseline = result["connector"], result["baseline"]
        rtt = result["round_trip_ms"]
        out += ["", result["title"], f"  size: {result['size']}",
                f"  emulator round trip: {rtt['bench']:.1f} ms per request", ""]
        out.append(table(SIDE_HEADERS, [connector.row(), baseline.row()]))
        r = ratios(connector, baseline)
        out += ["", f"  connector / baseline: wall {fmt_ratio(r['wall'])}, wall after startup {fmt_ratio(r['after_startup'])}, "
                    f"child CPU {fmt_ratio(r['child_cpu'])}, peak RSS {fmt_ratio(r['peak_rss'])}, "
                    f"API calls per 1k records {fmt_ratio(r['calls_per_1k'])}",
                f"  startup alone (connector `spec` / baseline import): {connector.startup:.2f} s, "
                f"{connector.startup_rss_mib:.1f} MiB / {baseline.startup:.2f} s, {baseline.startup_rss_mib:.1f} MiB"]
        out += [f"  {note}" for note in result["notes"]]
    out += ["", "Summary: connector / baseline (same run; > 1.00x means the connector uses more)", ""]
    rows = []
    for result in results:
        r = ratios(result["connector"], result["baseline"])
        rows.append([result["connector"].label, f"{result['connector'].rec:,}", fmt_ratio(r["wall"]),
                     fmt_ratio(r["after_startup"]), fmt_ratio(r["child_cpu"]), fmt_ratio(r["peak_rss"]),
                     fmt_ratio(r["calls_per_1k"])])
    out.append(table(["connector", "records", "wall", "wall after startup", "child CPU", "peak RSS", "calls/1k rec"], rows))
    out += ["", f"bench took {elapsed:.0f} s", ""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=float, default=1.0,
                        help="multiplies the record counts (default 1: Pluggy 30,000 transactions, Plecto 20,000 "
                             "records, Plutio 5,400 time-tracks); e.g. 0.1 for a smoke run, 5 or 10 to scale up")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs per side, alternating which goes first; medians are shown (default 2)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="add this many ms to every emulator answer (a network-like delay; default 0)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown or args.size <= 0 or args.repeat < 1:
        parser.error(f"unknown section(s) {unknown}" if unknown else "--size must be > 0 and --repeat >= 1")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(var, None)
    started = time.perf_counter()
    spawner = start_spawner(python())  # first, while this process is small (see bench/spawner.py)
    info = machine()
    info["load_before"] = os.getloadavg()
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            floor = run_child([python(), "-S", "-c", "pass"], Path(tmp) / "floor.out")
            info["rss_floor_mib"] = floor.rss_mib
            for name in chosen:
                results.append(SECTIONS[name](args, Path(tmp)))
    finally:
        spawner.close()
    info["load_after"] = os.getloadavg()
    elapsed = time.perf_counter() - started
    print(report(results, info, args, elapsed), flush=True)
    if args.json:
        doc = {"machine": info, "size": args.size, "repeat": args.repeat, "latency_ms": args.latency_ms,
               "elapsed_s": elapsed, "sections": [
            {"title": r["title"], "size": r["size"], "notes": r["notes"], "extra": r.get("extra", {}),
             "round_trip_ms": r["round_trip_ms"],
             "connector": r["connector"].figures(), "baseline": r["baseline"].figures(),
             "ratios": ratios(r["connector"], r["baseline"])} for r in results]}
        args.json.write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
