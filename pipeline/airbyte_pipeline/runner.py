"""A pipeline run: each source read into its cache, then its streams pushed to Plecto. A source that fails stops
only its own part (its pushes wait for a run where it succeeds); the others still run. The pipeline state is
saved after every step, so whatever Plecto acknowledged before an interruption is never sent again."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from airbyte_pipeline.caches import open_cache
from airbyte_pipeline.connector_output import first_line
from airbyte_pipeline.pipeline_file import Pipeline, Source
from airbyte_pipeline.pipeline_state import PipelineState
from airbyte_pipeline.plecto_push import PushOutcome, push_stream
from airbyte_pipeline.private_files import prepare_state_dir
from airbyte_pipeline.progress import Progress, elapsed
from airbyte_pipeline.reading import ReadOutcome, read_source
from airbyte_pipeline.shown_times import with_zone


@dataclass
class RunSummary:
    pipeline: Pipeline
    reads: list[ReadOutcome] = field(default_factory=list)
    pushes: list[PushOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(read.ok for read in self.reads) and all(push.ok for push in self.pushes)


def run_pipeline(pipeline: Pipeline, progress: Progress) -> RunSummary:
    started = time.monotonic()
    state = PipelineState.load(pipeline.state_dir, pipeline.cache.identity())
    leftovers = prepare_state_dir(pipeline.state_dir)  # private; an interrupted run's connector configs go
    summary = RunSummary(pipeline)
    if leftovers:
        progress.say(pipeline.name, f"removed {leftovers} temporary file(s) an interrupted run left (connector "
                                    "configs with their secrets)")
    progress.say(pipeline.name, f"{len(pipeline.sources)} source(s) into {pipeline.cache.describe()}, "
                                f"{len(pipeline.pushes)} stream(s) to Plecto")
    for source in pipeline.sources.values():
        read, pushes = _run_source(pipeline, source, state, progress)
        summary.reads.append(read)
        summary.pushes.extend(pushes)
    summary.seconds = time.monotonic() - started
    return summary


def _run_source(pipeline: Pipeline, source: Source, state: PipelineState,
                progress: Progress) -> tuple[ReadOutcome, list[PushOutcome]]:
    progress.say(source.key, f"reading {', '.join(source.streams)} with {source.connector_name}")
    started = time.monotonic()
    cache = None
    try:
        cache = open_cache(pipeline.cache, source.key, pipeline.state_dir)
        read = read_source(source, cache, pipeline.redactor, progress)
    except Exception as error:  # noqa: BLE001 - the cache itself failed (a database down): this source's part stops
        read = ReadOutcome(source.key, source.connector_name, False, time.monotonic() - started,
                           pipeline.redactor.clean(f"the cache failed: {first_line(str(error))}"))
    _record_read(state, source, read)
    pushes: list[PushOutcome] = []
    try:
        if not read.ok:
            progress.say(source.key, f"FAILED after {elapsed(read.seconds)}: {read.message}")
            pushes = [PushOutcome(push.label, False, 0.0, message="not pushed: its source failed")
                      for push in pipeline.pushes_of(source.key)]
            return read, pushes
        progress.say(source.key, f"{sum(read.records.values())} record(s) reached the cache in {elapsed(read.seconds)}")
        for push in pipeline.pushes_of(source.key):
            mark = state.high_water_mark(push.label)
            progress.say(push.label, f"to Plecto '{push.mapping['data_source']}': the records "
                                     + (f"extracted after {with_zone(mark)}" if mark else "in the cache (first push)"))
            pushed = push_stream(pipeline, push, cache, read.shapes[push.stream],
                                 datetime.fromisoformat(mark) if mark else None, progress)
            _record_push(state, pushed)
            progress.say(push.label, _push_line(pushed))
            pushes.append(pushed)
        return read, pushes
    finally:
        if cache is not None:
            cache.dispose_engine()


def _record_read(state: PipelineState, source: Source, read: ReadOutcome) -> None:
    state.record_source_run(source.key, {"status": "ok" if read.ok else "failed", "seconds": round(read.seconds, 1),
                                         "message": read.message})
    for stream in source.streams:
        state.record_read(f"{source.key}.{stream}", {"status": "ok" if read.ok else "failed",
                                                     "records": read.records.get(stream)})
    state.save()


def _record_push(state: PipelineState, pushed: PushOutcome) -> None:
    state.record_push(pushed.label, {"status": "ok" if pushed.ok else "failed", "sent": pushed.sent,
                                     "registrations": pushed.stats.get("stored"), "message": pushed.message,
                                     "seconds": round(pushed.seconds, 1)}, pushed.pushed_through)
    state.save()


def _push_line(pushed: PushOutcome) -> str:
    if pushed.ok and not pushed.sent:
        return pushed.message or "nothing to send"
    done = f"{pushed.sent} record(s) sent, {pushed.stats.get('stored', 0)} registration(s) written"
    if pushed.ok:
        return f"{done} in {elapsed(pushed.seconds)}"
    return f"FAILED after {elapsed(pushed.seconds)} ({done}): {pushed.message}"
