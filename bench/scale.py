"""A large Pluggy tenant on paper, and a simulation at a tenth of its size that checks the paper (bench/SCALE.md).

    make bench-scale                                   # the model, then the simulation: rewrites bench/SCALE.md (~30 min)
    .venv/bin/python bench/scale.py --model-only       # the tables of the model only (instant, printed)
    .venv/bin/python bench/scale.py --items 30 --out /tmp/scale.md --json /tmp/scale.json   # a small tenant, quick
    .venv/bin/python bench/scale.py --render           # SCALE.md again from bench/scale.json (no simulation)

The model counts the calls of a full sync and of a daily incremental sync per Pluggy endpoint, and their duration
under the connector's pace (360 calls per 62 s per endpoint) and its stream groups (the streams that read the
accounts parent take turns: accounts, transactions, bills; likewise investments and investment_transactions).
The simulation seeds the Pluggy emulator with the tenant, adds latency to every answer, keeps Pluggy's published
limit (360 calls per minute per endpoint), runs a full sync of every stream, adds a day of transactions, runs the
incremental sync from the full sync's state, and prints measured against predicted. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airbyte_cdk.sources.declarative.incremental import ConcurrentPerPartitionCursor
from connector_kit.testing.cli import cli
from sandbox import emulator_class

from harness import md_table, run_child, start_spawner

PAGE = 500
HISTORIES = (100, 1_000, 5_000)  # transactions per account on the first sync, in the 10,000-item model
LIMIT, WINDOW = 360, 62.0  # the connector's pace per endpoint
ENDPOINTS = ["/auth", "/v2/items", "/accounts", "/v2/transactions", "/bills", "/investments",
             "/investments/{id}/transactions", "/loans", "/identity", "/categories", "/connectors"]
# stream -> (sync mode, endpoint of its own partitions)
STREAMS = {"items": "incremental", "accounts": "incremental", "transactions": "incremental", "bills": "incremental",
           "investments": "incremental", "investment_transactions": "full_refresh", "loans": "full_refresh",
           "identity": "full_refresh", "categories": "full_refresh", "connectors": "full_refresh"}
CHAINS = {  # streams that take turns (the manifest's stream groups), as the endpoints each one calls
    "accounts readers": ["/accounts", "/v2/transactions", "/bills"],
    "investments readers": ["/investments", "/investments/{id}/transactions"],
    "loans": ["/loans"], "identity": ["/identity"],
}


@dataclass
class Tenant:
    items: int
    accounts_per_item: int = 3
    credit_per_item: int = 1  # accounts with bills (the emulator: the last account of each item)
    investments_per_item: int = 2
    history: int = 100  # transactions per account on the first sync
    daily: int = 3  # new transactions per account per day

    @property
    def accounts(self) -> int:
        return self.items * self.accounts_per_item


def pages(n: int) -> int:
    return max(1, math.ceil(n / PAGE))


def calls(t: Tenant, first_sync: bool) -> dict[str, int]:
    """Calls per endpoint of one sync of every stream. Parents are read once per sync (the HTTP cache)."""
    per_account = t.history if first_sync else t.daily
    return {"/auth": 1, "/v2/items": pages(t.items), "/accounts": t.items * pages(t.accounts_per_item),
            "/v2/transactions": t.accounts * pages(per_account), "/bills": t.items * t.credit_per_item,
            "/investments": t.items, "/investments/{id}/transactions": t.items * t.investments_per_item,
            "/loans": t.items, "/identity": t.items, "/categories": 1, "/connectors": 1}


def paced_seconds(n: int) -> float:
    """n calls to one endpoint at 360 per 62 s (steady state; the first window's burst makes it up to 62 s less)."""
    return n * WINDOW / LIMIT


def duration(counts: dict[str, int]) -> tuple[float, str]:
    """The longest chain of endpoints read one after the other; other chains run beside it."""
    chains = {name: sum(paced_seconds(counts[e]) for e in endpoints) for name, endpoints in CHAINS.items()}
    name = max(chains, key=lambda k: chains[k])
    return chains[name], name


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.1f} min"


def model_table(t: Tenant) -> str:
    full, daily = calls(t, True), calls(t, False)
    rows = [[e, f"{full[e]:,}", hours(paced_seconds(full[e])), f"{daily[e]:,}", hours(paced_seconds(daily[e]))]
            for e in ENDPOINTS]
    (fs, fchain), (ds, dchain) = duration(full), duration(daily)
    rows.append(["**all**", f"{sum(full.values()):,}", f"**{hours(fs)}** ({fchain})", f"{sum(daily.values()):,}",
                 f"**{hours(ds)}** ({dchain})"])
    return md_table(["endpoint", "full sync calls", "at 360/62 s", "daily sync calls", "at 360/62 s"], rows)


# ---- the simulation ---------------------------------------------------------------------------------------------
def endpoint(path: str) -> str:
    if path.startswith("/investments/"):
        return "/investments/{id}/transactions"
    return path


def catalog() -> dict[str, Any]:
    return {"streams": [{"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                         "sync_mode": mode, "destination_sync_mode": "append"} for name, mode in STREAMS.items()]}


def parse_output(path: Path) -> tuple[Counter, dict[str, dict[str, Any]], Counter]:
    """Records per stream, the last STATE of each stream, and how many STATE messages each emitted."""
    records: Counter = Counter()
    states: dict[str, dict[str, Any]] = {}
    emitted: Counter = Counter()
    with open(path) as lines:
        for line in lines:
            if line.startswith('{"type":"RECORD"'):
                records[line.split('"stream":"', 1)[1].split('"', 1)[0]] += 1
            elif line.startswith('{"type":"STATE"'):
                state = json.loads(line)["state"]
                name = state["stream"]["stream_descriptor"]["name"]
                states[name] = state
                emitted[name] += 1
    return records, states, emitted


def sync(emulator: Any, tmp: Path, label: str, state: list[dict[str, Any]] | None) -> dict[str, Any]:
    config, cat = tmp / "config.json", tmp / "catalog.json"
    config.write_text(json.dumps(emulator.connector_config()))
    cat.write_text(json.dumps(catalog()))
    argv = [cli("source-pluggy"), "read", "--config", str(config), "--catalog", str(cat)]
    if state is not None:
        (tmp / "state.json").write_text(json.dumps(state))
        argv += ["--state", str(tmp / "state.json")]
    emulator.reset_calls()
    emulator.rate_limit.reset()  # a day later: last sync's calls are out of every window
    print(f"[scale {time.strftime('%H:%M:%S')}] {label} sync", file=sys.stderr, flush=True)
    started = time.time()
    run = run_child(argv, tmp / "out.jsonl", timeout=3 * 3600)
    if run.returncode != 0:
        sys.exit(f"SCALE SIMULATION FAILED: the {label} sync exited with {run.returncode}:\n{run.stderr_tail}")
    records, states, emitted = parse_output(tmp / "out.jsonl")
    (tmp / "out.jsonl").unlink()
    log = emulator.calls()
    by_endpoint = Counter(endpoint(c.path) for c in log if c.status != 429)
    spans = {e: (min(c.at for c in log if endpoint(c.path) == e) - started,
                 max(c.at for c in log if endpoint(c.path) == e) - started) for e in by_endpoint}
    return {"label": label, "wall_s": run.wall, "cpu_s": run.cpu, "rss_mib": run.rss_mib, "calls": dict(by_endpoint),
            "refused": sum(1 for c in log if c.status == 429), "records": dict(records), "spans": spans,
            "states": states, "state_summaries": {name: state_summary(state) for name, state in states.items()},
            "states_emitted": dict(emitted)}


def state_summary(state: dict[str, Any]) -> str:
    blob = state["stream"]["stream_state"]
    size = len(json.dumps(blob))
    if "states" in blob:
        return f"per partition: {len(blob['states']):,} partitions, {size:,} bytes"
    if blob.get("use_global_cursor"):
        return f"global cursor ({', '.join(sorted(blob))}), {size:,} bytes"
    return f"{', '.join(sorted(blob)) or 'empty'}, {size:,} bytes"


def measured_table(t: Tenant, run: dict[str, Any], first_sync: bool) -> str:
    predicted = calls(t, first_sync)
    rows = []
    for e in ENDPOINTS:
        got = run["calls"].get(e, 0)
        first, last = run["spans"].get(e, (0.0, 0.0))
        rows.append([e, f"{predicted[e]:,}", f"{got:,}", f"{hours(paced_seconds(predicted[e]))}",
                     f"{first:.0f} - {last:.0f}"])
    seconds, chain = duration(predicted)
    rows.append(["**all**", f"{sum(predicted.values()):,}", f"{sum(run['calls'].values()):,}",
                 f"**{hours(seconds)}** ({chain})", f"**{hours(run['wall_s'])}** wall"])
    return md_table(["endpoint", "predicted calls", "measured calls", "predicted time", "measured: first - last call s"],
                    rows)


def report(t: Tenant, latency: float, runs: list[dict[str, Any]]) -> str:
    out = [f"Simulated tenant: {t.items:,} items x {t.accounts_per_item} accounts = {t.accounts:,} accounts, "
           f"{t.history} transactions per account, then {t.daily} new per account; {latency * 1000:.0f} ms added to "
           "every answer; the emulator at 360 calls per minute per endpoint; default num_workers.", ""]
    for run, first in zip(runs, (True, False)):
        out += [f"### {run['label']} sync", "", measured_table(t, run, first), "",
                f"- {sum(run['records'].values()):,} records ({', '.join(f'{k} {v:,}' for k, v in sorted(run['records'].items()))})",
                f"- connector: {run['cpu_s']:.0f} s CPU, peak RSS {run['rss_mib']:.0f} MiB; {run['refused']} answers 429",
                "- final state per stream: " + "; ".join(f"`{name}` {summary}"
                                                         for name, summary in sorted(run["state_summaries"].items())),
                "- STATE messages emitted: " + ", ".join(f"{k} {v}" for k, v in sorted(run["states_emitted"].items())),
                ""]
    return "\n".join(out)


INTRO = """# Pluggy at scale: 10,000 items and 30,000 accounts

Written by `make bench-scale` (bench/scale.py) on {date}: the model first, then a simulation at a tenth of the size
that checks it. Nothing here is asserted; the figures are what the run measured.

**How the model counts.** One sync of every stream. Each account is one partition of `transactions` and `bills`
(pages of 500), each item one partition of `accounts`, `investments`, `loans` and `identity`; the parents are read
once per sync (the manifest's HTTP cache). Pluggy's published limit is 360 calls per minute per endpoint; the
connector paces each endpoint at 360 per 62 s (2 s of margin for clock skew). The streams that read the accounts
parent take turns (stream group `accounts_readers`: accounts, transactions, bills), and so do the investments
readers, so the model's duration of a sync is the longest such chain at the pace of its endpoints (the chain
model); the other chains run beside it within `num_workers`. A daily incremental sync still calls every account once: Pluggy has no
"changed accounts" endpoint, so the calls are the partitions, not the new records.
"""

SCHEDULING = """## How the sync keeps every endpoint busy

The model counts the calls within 0.1%. The extras measured are the pages of `/v2/items`, read twice (by `items`
and as the parent of the other streams), and in some runs a few `/investments` calls made again where reading
it as a parent missed the HTTP cache.

Its time is the longest chain (accounts, transactions, bills one after the other, each at its endpoint's pace). The
CDK schedules a sync this way, and the connector is arranged around it:

- it makes the partitions of at most `num_workers // 2` streams at once (2 at the default 4 workers), starting the
  streams in the catalog's order, and sends a stream whose group is busy to the back of that order;
- its workers run partitions in the order they were made, each waiting for its endpoint's budget: a stream that
  makes a thousand partitions at once (its parent list comes from the cache) holds the workers on its endpoint
  while the other endpoints' partitions wait behind it.

So the connector (connector_kit.engine) reads the streams in the manifest's order, whatever the catalog's, with
`transactions` first: it makes its partitions while it reads the accounts parent, so its calls overlap those of
`/accounts` instead of following them; `investment_transactions` likewise with the investments parent; `loans`
and `identity` next, `bills` once `transactions` has all its accounts, and `accounts`, `investments` and `items`
last, answered from the HTTP cache. And each stream makes at most 4 partitions ahead of those it has finished
(connector_kit.partitions), so the partitions of the streams being read alternate in the workers' queue and each
of their endpoints is paced at 360 per 62 s side by side. Before this (bench/SCALE.md of issue 10) a full sync of
the simulated tenant took 23.1 min, 1.61 times the chain model: `transactions` started after the investments
chain, `loans` and `identity`.

What remains: at most two streams make partitions at once, so the streams of one lane wait for each other
(`bills` waits for `transactions` to have its accounts: the stream group keeps them from reading the accounts parent
at the same moment; `identity` for `loans`). A higher `num_workers` makes more streams' partitions at once. The
first minute of each endpoint is faster than the model's steady pace (the budget's first window is empty), which is
why a sync can be shorter than the chain.

Estimate for the 10,000-item tenant: the model's time multiplied by the simulation's wall / predicted ratio (the
same streams in the same order; every endpoint's calls scale with the items; the first minute's head start weighs
ten times less there, so this is a lower bound):

{estimates}
"""

STATE_AND_MEMORY = """## State and memory

- **State per partition, then one global cursor.** The CDK's `ConcurrentPerPartitionCursor` keeps one cursor per
  partition until a stream has more than {switch:,} partitions; past that it switches the stream to one global
  cursor (`use_global_cursor: true`) and the state stops growing. At 30,000 accounts `transactions` and `bills`
  are past the switch: their state is a few hundred bytes, and an incremental sync reads every account from the
  global cursor (minus the lookback window), which is the same call count, since every account is called anyway.
  Below the switch (the simulated tenant) each partition has its own entry: the final states above give the bytes,
  which grow with the partitions up to the switch and stop there.
- **Memory.** The cursor holds at most {held:,} partitions in memory and drops the oldest finished ones beyond;
  records are not held (each is written as it is read). The peak RSS below is the whole connector process.
- **Checkpoints.** The CDK emits a stream's STATE as its partitions close, at most once every 10 minutes, and
  once at the end (the counts above). A sync cut short after hours at 30,000 accounts resumes from its last
  checkpoint, so it loses at most 10 minutes of reading, not the whole run.
"""


def comparison(t: Tenant, runs: list[dict[str, Any]]) -> str:
    """Measured against the model, per run: calls and wall time."""
    rows = []
    for run, first in zip(runs, (True, False)):
        predicted = calls(t, first)
        seconds, _ = duration(predicted)
        rows.append([run["label"], f"{sum(predicted.values()):,}", f"{sum(run['calls'].values()):,}",
                     hours(seconds), hours(run["wall_s"]), f"{run['wall_s'] / seconds:.2f}", str(run["refused"])])
    return md_table(["sync", "predicted calls", "measured calls", "predicted time", "measured wall", "wall / predicted",
                     "429s"], rows)


def estimates(ratios: tuple[float, float]) -> str:
    """The 10,000-item model's durations scaled by the simulation's wall / predicted ratio (full, daily)."""
    rows = []
    for history in HISTORIES:
        tenant = Tenant(10_000, history=history)
        (full, _), (daily, _) = duration(calls(tenant, True)), duration(calls(tenant, False))
        rows.append([f"{history:,} per account", hours(full * ratios[0]), hours(daily * ratios[1])])
    return md_table(["history", "full sync", "daily sync"], rows)


def document(sim: Tenant, latency: float, runs: list[dict[str, Any]], date: str) -> str:
    model = ["## Model: 10,000 items, 30,000 accounts", ""]
    for history in HISTORIES:
        model += [f"History of {history:,} transactions per account, 3 new per account per day:", "",
                  model_table(Tenant(10_000, history=history)), ""]
    model += [f"## Model of the simulated tenant ({sim.items:,} items)", "", model_table(sim), ""]
    ratios = tuple(run["wall_s"] / duration(calls(sim, first))[0] for run, first in zip(runs, (True, False)))
    return "\n".join([INTRO.format(date=date), *model,
                      "## Simulation", "", report(sim, latency, runs),
                      "## The model against the simulation", "", comparison(sim, runs), "",
                      SCHEDULING.format(estimates=estimates(ratios)),
                      STATE_AND_MEMORY.format(switch=ConcurrentPerPartitionCursor.SWITCH_TO_GLOBAL_LIMIT,
                                              held=ConcurrentPerPartitionCursor.DEFAULT_MAX_PARTITIONS_NUMBER)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000, help="items of the simulated tenant (default 1,000)")
    parser.add_argument("--history", type=int, default=100, help="transactions per account on the first sync")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--model-only", action="store_true", help="print the model, skip the simulation")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("scale.json"),
                        help="where the simulation's figures go (default bench/scale.json)")
    parser.add_argument("--render", action="store_true", help="rewrite the document from --json, simulate nothing")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("SCALE.md"),
                        help="the document to write (default bench/SCALE.md)")
    args = parser.parse_args()
    if args.model_only:
        print("\n\n".join(model_table(Tenant(10_000, history=history)) for history in HISTORIES))
        return 0
    if args.render:
        saved = json.loads(args.json.read_text())
        sim, latency, runs, date = Tenant(**saved["tenant"]), saved["latency_s"], saved["runs"], saved["date"]
    else:
        sim, latency, date = Tenant(args.items, history=args.history), args.latency_ms / 1000, time.strftime("%Y-%m-%d")
        runs = simulate(sim, latency)
        args.json.write_text(json.dumps({"tenant": vars(sim), "latency_s": latency, "date": date, "commit": commit(),
                                         "runs": [{k: v for k, v in run.items() if k != "states"} for run in runs]},
                                        indent=1))
    args.out.write_text(document(sim, latency, runs, date))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def commit() -> str:
    import subprocess

    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "connectors", "sandbox", "bench"],
                           capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + (" + uncommitted changes" if dirty else "")


def simulate(sim: Tenant, latency: float) -> list[dict[str, Any]]:
    """A full sync of every stream, a day of new transactions, then the incremental sync from the full one's state."""
    start_spawner(sys.executable)
    emulator = emulator_class("pluggy")(size=sim.history, items=sim.items, accounts_per_item=sim.accounts_per_item).start()
    emulator.faults.delay_seconds = latency
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp_name:
            tmp = Path(tmp_name)
            full = sync(emulator, tmp, "Full", None)
            for account in emulator.accounts:
                emulator.add_transactions(account["id"], sim.daily)
            daily = sync(emulator, tmp, "Daily incremental", list(full["states"].values()))
    finally:
        emulator.stop()
    return [full, daily]


if __name__ == "__main__":
    sys.exit(main())
