"""The table that ends a run: per source and per stream, the records read, the registrations written, the API
calls and the time; then what failed, in the connector's own words.

API calls are what the connectors report: the sources report none (the table says so rather than guess),
destination-plecto reports its registration requests (POSTs, and for deletions a look-up and a DELETE each).
"""

from __future__ import annotations

from airbyte_pipeline.plecto_push import PushOutcome
from airbyte_pipeline.progress import elapsed
from airbyte_pipeline.runner import RunSummary
from airbyte_pipeline.text_table import render

HEADERS = ("stream", "records read", "registrations written", "API calls", "time")
NOT_REPORTED = "not reported"


def run_table(summary: RunSummary) -> str:
    pipeline = summary.pipeline
    pushes = {push.label: push for push in summary.pushes}
    rows, failures = [], []
    for read in summary.reads:
        source = pipeline.sources[read.source]
        status = sum(read.records.values()) if read.ok else "FAILED"
        rows.append([f"{read.source} ({read.connector})", str(status), "", NOT_REPORTED, elapsed(read.seconds)])
        if not read.ok:
            failures.append(f"{read.source}: {read.message}")
        for stream in source.streams:
            push = pushes.get(f"{read.source}.{stream}")
            rows.append([f"  {stream}", str(read.records[stream]) if read.ok else "-", *_push_cells(push)])
            if push is not None and not push.ok and read.ok:
                failures.append(f"{push.label} to Plecto: {push.message}")
    done = sum(read.ok for read in summary.reads)
    pushed = sum(push.ok for push in summary.pushes)
    title = (f"Pipeline '{pipeline.name}' {'done' if summary.ok else 'FAILED'} in {elapsed(summary.seconds)}: "
             f"{done} of {len(summary.reads)} source(s) read, {pushed} of {len(summary.pushes)} push(es) to Plecto done")
    notes = ["API calls: sources do not report theirs; Plecto's are the registration requests destination-plecto "
             "reports (data-source look-ups not counted).",
             "Time: a source's row is its read into the cache, a stream's row its push to Plecto."]
    text = "\n".join([title, "", render(HEADERS, rows, right=(1, 2, 4)), "", *notes])
    if failures:
        text += "\n\nWhat failed:\n" + "\n".join(f"  {line}" for line in failures)
    return pipeline.redactor.clean(text)


def _push_cells(push: PushOutcome | None) -> list[str]:
    if push is None:
        return ["-", "", ""]
    if not push.ok and not push.stats:
        return ["FAILED" if push.seconds else "not pushed", "", elapsed(push.seconds) if push.seconds else ""]
    stats = push.stats
    written = str(stats.get("stored", 0))
    if stats.get("deleted"):
        written += f" (+{stats['deleted']} deleted)"
    if not push.ok:
        written += " FAILED"
    return [written, plecto_calls(stats), elapsed(push.seconds)]


def plecto_calls(stats: dict[str, int]) -> str:
    if not stats:
        return "0"
    parts = [f"{stats.get('posts', 0)} POST"]
    deletes = stats.get("deleted", 0)
    lookups = deletes + stats.get("delete_not_found", 0)
    if lookups:
        parts.append(f"{lookups} GET")
    if deletes:
        parts.append(f"{deletes} DELETE")
    return ", ".join(parts)
