"""The table that ends a run: per source and per stream, the records read, the registrations written, the API
calls and the time; then what failed, in the connector's own words.

API calls are what each connector reports as the last line of its run (connector_kit.calls: every answer that
came over the network, by endpoint); a connector that reports none gets "not reported" rather than a guess.
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
    rows, failures, by_endpoint = [], [], []
    for read in summary.reads:
        source = pipeline.sources[read.source]
        status = sum(read.records.values()) if read.ok else "FAILED"
        rows.append([f"{read.source} ({read.connector})", str(status), "", total_calls(read.api_calls),
                     elapsed(read.seconds)])
        if read.api_calls:
            by_endpoint.append(f"  {read.source}: {read.api_calls}")
        if not read.ok:
            failures.append(f"{read.source}: {read.message}")
        for stream in source.streams:
            push = pushes.get(f"{read.source}.{stream}")
            rows.append([f"  {stream}", str(read.records[stream]) if read.ok else "-", *_push_cells(push)])
            if push is not None and push.api_calls:
                by_endpoint.append(f"  {push.label} to Plecto: {push.api_calls}")
            if push is not None and not push.ok and read.ok:
                failures.append(f"{push.label} to Plecto: {push.message}")
    done = sum(read.ok for read in summary.reads)
    pushed = sum(push.ok for push in summary.pushes)
    title = (f"Pipeline '{pipeline.name}' {'done' if summary.ok else 'FAILED'} in {elapsed(summary.seconds)}: "
             f"{done} of {len(summary.reads)} source(s) read, {pushed} of {len(summary.pushes)} push(es) to Plecto done")
    notes = ["API calls: as each connector reports them (answers from the network, token requests included), by "
             "endpoint:", *by_endpoint,
             "Time: a source's row is its read into the cache, a stream's row its push to Plecto."]
    text = "\n".join([title, "", render(HEADERS, rows, right=(1, 2, 3, 4)), "", *notes])
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
    return [written, total_calls(push.api_calls), elapsed(push.seconds)]


def total_calls(reported: str | None) -> str:
    """The total of a connector's '11 API calls: ...' line."""
    return reported.split(" ", 1)[0] if reported else NOT_REPORTED
