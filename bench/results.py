"""RESULTS.md from one bench run's figures (the JSON document bench/run.py builds): the goals of issue 21 with the
figure that answers each (the 1M figures from bench/full/results.json and the large tenant from bench/scale.json, each
named with its own run), the earlier goals of issue 10, then every table, then the profiles."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from harness import md_table, ratio

PLUGGY_GOAL_SIZE = 100_000  # under 360 calls: neither side can meet the pace (360 per 62 s), so speed is CPU's
NAMES = {"pluggy": "source-pluggy `transactions`",
         "pluggy_instant": "source-pluggy `transactions`, server answering instantly",
         "plutio": "source-plutio `time_tracks`",
         "protime": "source-protime `clockings` (date windows)", "plecto": "destination-plecto"}
PROFILES = Path(__file__).resolve().parent / "profiles"


def marginal_us(points: list[dict[str, Any]], side: str) -> float | None:
    """CPU per record between the smallest and the largest sweep point: the fixed start-up cost drops out."""
    if len(points) < 2:
        return None
    a, b = points[0][side], points[-1][side]
    return 1e6 * (b["cpu_s"] - a["cpu_s"]) / (b["records"] - a["records"]) if b["records"] > a["records"] else None


def growth(points: list[dict[str, Any]], side: str = "connector") -> float | None:
    return points[-1][side]["rss_mib"] / points[0][side]["rss_mib"] - 1 if len(points) > 1 else None


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**not met**")


# ---- goals ------------------------------------------------------------------------------------------------------
RATIO_GOAL, GROWTH_GOAL, SCALE_GOAL = 4.0, 0.20, 1.15


def cpu_ratio_row(label: str, points: list[dict[str, Any]], size: int | None = None) -> list[str]:
    """Connector / loop CPU at `size` (or the largest), start-up included, and the marginal ratio of the sweep."""
    top = next((p for p in points if p["requested"] == size), points[-1]) if size else points[-1]
    c, b = top["connector"], top["baseline"]
    marginal = ratio(marginal_us(points, "connector"), marginal_us(points, "baseline"))
    return [label, f"{c['cpu_s'] / b['cpu_s']:.2f}x at {c['records']:,} records ({c['cpu_us_per_record']:.0f} vs "
                   f"{b['cpu_us_per_record']:.0f} µs/record, start-up included); marginal {marginal} "
                   f"({points[0]['connector']['records']:,} to {points[-1]['connector']['records']:,})",
            verdict(c["cpu_s"] / b["cpu_s"] <= RATIO_GOAL)]


def growth_row(label: str, points: list[dict[str, Any]]) -> list[str]:
    g = growth(points)
    return [label, f"{points[0]['connector']['rss_mib']:.0f} -> {points[-1]['connector']['rss_mib']:.0f} MiB from "
                   f"{points[0]['connector']['records']:,} to {points[-1]['connector']['records']:,} records ({g:+.0%})",
            verdict(g is not None and g <= GROWTH_GOAL)]


def run_name(doc: dict[str, Any]) -> str:
    return f"`{doc['command']}`, {doc['date']}, commit {doc['machine']['commit']}"


def scale_row(scale: dict[str, Any]) -> list[str]:
    import scale as scale_model  # bench/scale.py: the chain model the simulation is measured against

    tenant = scale_model.Tenant(**scale["tenant"])
    cells = []
    worst = 0.0
    for run, first in zip(scale["runs"], (True, False)):
        predicted, _ = scale_model.duration(scale_model.calls(tenant, first))
        worst = max(worst, run["wall_s"] / predicted)
        cells.append(f"{run['label'].lower()} {run['wall_s'] / 60:.1f} min = {run['wall_s'] / predicted:.2f}x")
    return [f"source-pluggy, {tenant.items:,}-item tenant at the rate limit: a sync within {SCALE_GOAL}x of the chain "
            f"model (bench/SCALE.md, run of {scale['date']}{', commit ' + scale['commit'] if scale.get('commit') else ''})",
            f"chain model {scale_model.duration(scale_model.calls(tenant, True))[0] / 60:.1f} min; " + "; ".join(cells),
            verdict(worst <= SCALE_GOAL)]


def goals(doc: dict[str, Any], full: dict[str, Any] | None = None,
          scale: dict[str, Any] | None = None) -> list[list[str]]:
    """Issue 21's goals: Pluggy's CPU against the loop (this run, the instant server, 1M), memory flat to 1M, the large
    tenant against the chain model."""
    rows: list[list[str]] = []
    sweeps = doc.get("sweeps", {})
    full_sweeps = (full or {}).get("sweeps", {}) if full is not doc else {}
    if pluggy := sweeps.get("pluggy"):
        rows.append(cpu_ratio_row(f"source-pluggy CPU <= {RATIO_GOAL:.0f}x the raw loop's, bench emulator",
                                  pluggy, PLUGGY_GOAL_SIZE))
    if instant := sweeps.get("pluggy_instant"):
        rows.append(cpu_ratio_row(f"source-pluggy CPU <= {RATIO_GOAL:.0f}x the raw loop's, server answering instantly",
                                  instant, PLUGGY_GOAL_SIZE))
    for source, where in ((sweeps, "this run"), (full_sweeps, "the 1M run")):
        if (pluggy := source.get("pluggy")) and pluggy[-1]["requested"] >= 1_000_000:
            rows.append(cpu_ratio_row(f"source-pluggy CPU <= {RATIO_GOAL:.0f}x the raw loop's at 1M ({where})",
                                      pluggy))
        for key in ("pluggy", "plutio", "protime", "plecto"):
            points = source.get(key)
            if points and len(points) > 1 and points[-1]["requested"] >= 1_000_000:
                rows.append(growth_row(f"{NAMES[key]}: peak RSS flat (<= +20%) to 1M ({where})", points))
    if not any("to 1M" in row[0] for row in rows):
        rows.append(["peak RSS flat (<= +20%) to 1M, all four", "no 1M run found: `bench/run.py --full` writes "
                     "bench/full/results.json, which this page quotes", "n/a"])
    for key in ("pluggy", "plutio", "protime", "plecto"):
        if (points := sweeps.get(key)) and len(points) > 1 and points[-1]["requested"] < 1_000_000:
            rows.append(growth_row(f"{NAMES[key]}: peak RSS flat (<= +20%), this run's sizes", points))
    if scale:
        rows.append(scale_row(scale))
    return rows


def earlier_goals(doc: dict[str, Any]) -> list[list[str]]:
    """Issue 10's goals, still measured."""
    rows: list[list[str]] = []
    sweeps = doc.get("sweeps", {})
    if pluggy := sweeps.get("pluggy"):
        top = next((p for p in pluggy if p["requested"] == PLUGGY_GOAL_SIZE), pluggy[-1])
        c, b = top["connector"], top["baseline"]
        rows.append(["source-pluggy reads `transactions` at >= 3,000 records/s (no latency)",
                     f"{c['records_per_s']:,.0f} records/s at {c['records']:,} records (loop: {b['records_per_s']:,.0f})",
                     verdict(c["records_per_s"] >= 3000)])
    for key in ("plutio", "protime"):
        if points := sweeps.get(key):
            c, b = points[-1]["connector"], points[-1]["baseline"]
            rows.append([f"{NAMES[key]}: CPU against a raw loop (no numeric goal)",
                         f"{c['cpu_s'] / b['cpu_s']:.1f}x ({c['cpu_us_per_record']:.0f} vs {b['cpu_us_per_record']:.0f} "
                         f"µs/record at {c['records']:,})", "-"])
    if plecto := sweeps.get("plecto"):
        c = plecto[-1]["connector"]
        m = marginal_us(plecto, "connector")
        rows.append(["destination-plecto <= 100 µs CPU per registration",
                     f"{c['cpu_us_per_record']:.0f} µs at {c['records']:,} (marginal {m:.0f} µs)" if m else
                     f"{c['cpu_us_per_record']:.0f} µs", verdict(c["cpu_us_per_record"] <= 100)])
        minimal = all(p["connector"]["posts"] == math.ceil(p["connector"]["records"] / 100) for p in plecto)
        rows.append(["destination-plecto POSTs the minimum ceil(N/100)",
                     ", ".join(f"{p['connector']['posts']:,} for {p['connector']['records']:,}" for p in plecto),
                     verdict(minimal)])
    for command in doc.get("startup", []):
        if command["label"].endswith(" spec"):
            rows.append([f"`{command['label']}` <= 2 s CPU", f"{command['cpu_s']:.2f} s", verdict(command["cpu_s"] <= 2)])
    for pace in doc.get("pace", []):
        if pace["workers"] == doc["pace_setup"]["default_workers"]:
            used = pace["mean_per_min"] / 360
            rows.append([f"source-pluggy fills >= 90% of 360 calls/min, never over (100 ms latency, "
                         f"{pace['workers']} workers = default)",
                         f"{pace['mean_per_min']:.0f}/min = {used:.0%}; most in any 60 s {pace['max_in_60s']}; "
                         f"{pace['refused']} answered 429", verdict(used >= 0.9 and pace["max_in_60s"] <= 360
                                                                   and pace["refused"] == 0)])
    for overlap in doc.get("overlap", []):
        if overlap["budget"] >= overlap["calls"] and not overlap["waited"]:
            rows.append(["source-plutio reads several streams at once, within its budget",
                         f"up to {overlap['most_at_once']} streams at once; {overlap['calls']} calls for a budget of "
                         f"{overlap['budget']}; {overlap['refused']} answered 429",
                         verdict(overlap["most_at_once"] > 1 and overlap["refused"] == 0)])
    if costs := page_cost(sweeps):
        worst = max(r for _, _, r in costs)
        rows.append(["the bench emulator serves a page in time independent of the data's size",
                     f"ms per page, largest / smallest size: at most {worst:.2f}x", verdict(worst <= 1.5)])
    return rows


def page_cost(sweeps: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, float]]:
    """Per sweep: the emulator's ms for one page at each size (the fastest of 50), and largest / smallest."""
    out = []
    for key, points in sweeps.items():
        if len(points) > 1 and all("page_ms" in p for p in points):
            sizes = ", ".join(f"{p['page_ms']:.2f} at {p['expected']:,}" for p in points)
            out.append((key, sizes, points[-1]["page_ms"] / points[0]["page_ms"]))
    return out


# ---- tables -----------------------------------------------------------------------------------------------------
def rate(side: dict[str, Any]) -> str:
    """records/s, marked when the side met Pluggy's pace (360 calls to one endpoint in 62 s) and had to wait."""
    return f"{side['records_per_s']:,.0f}" + (" (paced)" if side.get("paced") else "")


def sweep_table(points: list[dict[str, Any]]) -> str:
    rows = []
    for p in points:
        c, b = p["connector"], p["baseline"]
        rows.append([f"{c['records']:,}", rate(c), rate(b),
                     f"{c['cpu_us_per_record']:.0f}", f"{b['cpu_us_per_record']:.0f}", ratio(c["cpu_s"], b["cpu_s"]),
                     f"{c['rss_mib']:.1f}", f"{b['rss_mib']:.1f}", f"{c['wall_s']:.1f} / {b['wall_s']:.1f}",
                     f"{c['calls']:,} / {b['calls']:,}", f"{c['emulator_cpu_s']:.1f} / {b['emulator_cpu_s']:.1f}"])
    return md_table(["records", "connector rec/s", "loop rec/s", "connector CPU µs/rec", "loop CPU µs/rec",
                     "CPU ratio", "connector peak RSS MiB", "loop peak RSS MiB", "wall s (conn / loop)",
                     "API calls (conn / loop)", "emulator CPU s (conn / loop)"], rows)


def startup_table(commands: list[dict[str, Any]]) -> str:
    base = next((c["cpu_s"] for c in commands if c["label"] == "python -c pass"), None)
    cdk = next((c["cpu_s"] for c in commands if "airbyte_cdk" in c["label"]), None)
    rows = [[f"`{c['label']}`", f"{c['cpu_s']:.2f}", ", ".join(f"{x:.2f}" for x in c["cpu_runs"]), f"{c['wall_s']:.2f}",
             f"{c['rss_mib']:.0f}", ratio(c["cpu_s"], base), ratio(c["cpu_s"], cdk)] for c in commands]
    return md_table(["command", "CPU s (median)", "CPU s (runs)", "wall s", "peak RSS MiB", "/ python -c pass",
                     "/ import airbyte_cdk"], rows)


def pace_table(paces: list[dict[str, Any]]) -> str:
    rows = [[p["workers"], f"{p['records']:,}", f"{p['calls']:,}", f"{p['span_s']:.0f}", f"{p['mean_per_min']:.1f}",
             f"{p['mean_per_min'] / 360:.0%}", p["max_in_60s"], "-" if p["min_in_60s"] is None else p["min_in_60s"],
             p["refused"], f"{p['cpu_s']:.0f}", f"{p['cpu_s'] / p['wall_s']:.2f}", f"{p['rss_mib']:.0f}"]
            for p in paces]
    return md_table(["num_workers", "records", "/v2/transactions calls", "span s", "calls/min (mean)", "of 360",
                     "most in any 60 s", "fewest in a 60 s window", "429s (any endpoint)", "connector CPU s",
                     "cores used", "peak RSS MiB"], rows)


def overlap_tables(overlaps: list[dict[str, Any]]) -> list[str]:
    out = []
    for o in overlaps:
        kind = ("budget below what the sync needs: the connector must stop at it and wait" if o["waited"] or
                o["budget"] < o["calls"] else "budget above what the sync needs")
        out += ["", f"Budget {o['budget']} calls/hour ({kind}): {o['calls']} calls made (token call included), "
                    f"{o['refused']} answered 429, up to {o['most_at_once']} streams reading at once"
                    + ("; the connector logged that it waits for the budget, and was stopped there."
                       if o["waited"] else f"; read took {o['wall_s']:.1f} s wall (start-up included)."), ""]
        rows = [[f"`{name}`", f"{first:.2f}", f"{last:.2f}", calls]
                for name, (first, last, calls) in sorted(o["streams"].items(), key=lambda kv: kv[1][0])]
        out.append(md_table(["stream", "first call s", "last call s", "calls"], rows))
    return out


def plecto_notes(points: list[dict[str, Any]]) -> list[str]:
    out = []
    for p in points:
        c = p["connector"]
        minimum = math.ceil(c["records"] / 100)
        out.append(f"- {c['records']:,} records: {c['posts']:,} POSTs (minimum {minimum:,}, "
                   f"{c['posts'] / minimum:.2f}x), {c['calls'] - c['posts']} other call(s) (the data source's fields), "
                   f"{c['states']:,} STATE messages emitted for {math.ceil(c['records'] / 1000):,} in the input; "
                   + "; ".join(p["notes"]))
    return out


def profiles(keys: list[str]) -> list[str]:
    out = []
    for key in keys:
        path, notes = PROFILES / f"{key}.txt", PROFILES / f"{key}.md"
        if path.exists():
            out += ["", f"#### {NAMES.get(key, key)}", ""]
            out += [notes.read_text().rstrip(), ""] if notes.exists() else []
            out += ["```", path.read_text().rstrip(), "```"]
    return out


# ---- the page -----------------------------------------------------------------------------------------------------
def render(doc: dict[str, Any], chart: str | None, limits: str, full: dict[str, Any] | None = None,
           scale: dict[str, Any] | None = None) -> str:
    m = doc["machine"]
    out = ["# Bench results", "",
           f"Written by `{doc['command']}` on {doc['date']} in {doc['elapsed_s'] / 60:.1f} minutes ({doc['mode']} sizes).",
           "Figures only: nothing here is asserted. Every ratio compares two programs measured one after the other "
           "in the same run, on the same emulator and data.", "",
           f"- Machine: {m['cores']} cores, {m['cpu']}, {m['memory_gib']:.0f} GiB; {m['platform']}",
           f"- Python {m['python']}, airbyte-cdk {m['airbyte_cdk']}, commit {m['commit']}",
           f"- Load average (1 min) {m['load_before']:.2f} at the start, {m['load_after']:.2f} at the end: the machine "
           "is shared, so wall times are noisy; CPU seconds and ratios much less so.",
           "- Emulators run in the bench process on 127.0.0.1 and share the cores with the program measured.",
           f"- Limits: {limits}", ""]
    if doc.get("failures"):
        out += ["## FAILED", "", *[f"- {f}" for f in doc["failures"]], ""]
    out += ["## Goals (issue 21)", "",
            "CPU ratios: connector / loop, both measured in the same run, on the same data; \"start-up included\" is "
            "the whole run's CPU, \"marginal\" the CPU per record between the sweep's smallest and largest size "
            "(start-up removed). Figures from another run name it.", "",
            md_table(["goal", "measured", "verdict"], goals(doc, full, scale)), ""]
    if full and full is not doc and full.get("sweeps"):
        out += [f"The 1M run: {run_name(full)} (bench/full/RESULTS.md), load average {full['machine']['load_before']:.2f} "
                f"at its start.", ""]
    if earlier := earlier_goals(doc):
        out += ["### Earlier goals (issue 10), still measured", "", md_table(["goal", "measured", "verdict"], earlier),
                ""]
    if chart:
        out += [f"![throughput and peak RSS against record count]({chart})", ""]
    sweeps = doc.get("sweeps", {})
    if sweeps:
        out += ["## Reads and writes against a raw loop", "",
                "Each row: the connector's CLI and a minimal hand-written loop doing the same API work (same pages, "
                "the JSON parsed, one Airbyte RECORD line printed per record; for Plecto the same registrations "
                "POSTed in lists of 100), each a child process. CPU is the child's user+sys, start-up included; "
                "peak RSS is the child's own (`wait4`).", ""]
        for key, points in sweeps.items():
            out += [f"### {NAMES[key]}", "", f"{points[0]['describe']}.", "", sweep_table(points), ""]
            mc, mb = marginal_us(points, "connector"), marginal_us(points, "baseline")
            if mc and mb:
                out += [f"Marginal CPU per record from {points[0]['connector']['records']:,} to "
                        f"{points[-1]['connector']['records']:,} (start-up removed): connector {mc:.0f} µs, loop "
                        f"{mb:.0f} µs, {mc / mb:.1f}x. Peak RSS growth: connector {growth(points):+.0%}, loop "
                        f"{growth(points, 'baseline'):+.0%}.", ""]
            if key == "plecto":
                out += plecto_notes(points) + [""]
        out += ["### The emulator's cost per page", "",
                "Wall time of one page request from the bench process (a page from the middle of the data, the "
                "fastest of 50 sends after the query's first page), at each size of each sweep (`pages.py`); for "
                "Plecto a POST of 100 new registrations into a data source already holding that many.", "",
                md_table(["sweep", "ms per page at each size", "largest / smallest"],
                         [[k, sizes, f"{r:.2f}x"] for k, sizes, r in page_cost(sweeps)]), ""]
    if doc.get("startup"):
        out += ["## Start-up", "", f"Each command {doc['startup_repeat']} times, interleaved; `check` against a small "
                "emulator of its vendor.", "", startup_table(doc["startup"]), ""]
    if doc.get("pace"):
        s = doc["pace_setup"]
        out += ["## Concurrency", "", "### source-pluggy against 360 calls/min on /v2/transactions", "",
                f"{s['items']} items x 3 accounts x {s['per_account']:,} transactions (pages of 500: "
                f"{s['calls_needed']} calls), {s['latency_ms']:.0f} ms added to every answer, the emulator at "
                "Pluggy's published 360 calls per minute per endpoint (sliding window, 429 past it). Calls/min is "
                "the mean over the span of the transactions calls; the 60 s windows are counted from the emulator's "
                "log.", "", pace_table(doc["pace"]), ""]
    if doc.get("overlap"):
        s = doc["overlap_setup"]
        out += ["### source-plutio: several streams at once, within the hourly budget", "",
                f"Emulator size {s['size']}, streams {', '.join(s['streams'])}, default num_workers, "
                f"{s['latency_ms']:.0f} ms added to every answer. Scaled down: the budget (the emulator's hourly "
                "limit and the connector's `requests_per_hour`, set equal) is a few dozen calls instead of 1,000, so "
                "the sync is short; the hourly window itself cannot be shortened on the connector side, so the "
                "second run is stopped once the connector says it waits."]
        out += overlap_tables(doc["overlap"]) + [""]
    unmet = [key for key in ("pluggy", "plutio", "protime", "plecto") if key in sweeps]
    out += ["## What limits it: profiles", "",
            "py-spy profiles of one connector run each (`bench/hotspots.py`, not part of `make bench`: py-spy is a "
            "dev tool), taken at the commit they name, with a reading of each (`bench/profiles/<key>.md`, by hand). "
            "`--gil` samples the thread holding the GIL, so the shares are shares of the Python CPU time."]
    out += profiles(unmet) + [""]
    return "\n".join(out)
