"""`run --dry-run`: what a run would do, from the checked file and the pipeline state alone (no connector runs,
nothing is opened or written)."""

from __future__ import annotations

from airbyte_pipeline.env_values import placeholders
from airbyte_pipeline.pipeline_file import Pipeline
from airbyte_pipeline.pipeline_state import PipelineState
from airbyte_pipeline.shown_times import with_zone


def plan(pipeline: Pipeline) -> str:
    state = PipelineState.load(pipeline.state_dir, pipeline.cache.identity())
    variables = sorted({name for _, name in placeholders(pipeline.document.data)})
    lines = [
        f"Pipeline '{pipeline.name}' ({pipeline.file}): the file, its variables, the connector configs and the streams are valid.",
        f"cache: {pipeline.cache.describe()} (one schema per source)",
        f"state: {state.path}" + ("" if state.path.exists() else " (none yet: first run)"),
        f"variables: {', '.join(variables)} (values masked in all output)" if variables else "variables: none",
        "",
        "A run would, source after source:",
    ]
    for number, source in enumerate(pipeline.sources.values(), start=1):
        last = state.sources.get(source.key)
        history = f"last read {last['at']} {last['status']}" if last else "never read: a full read"
        lines.append(f"  {number}. {source.connector} read {', '.join(source.streams)} into schema "
                     f"'{pipeline.cache.schema_of(source.key)}' ({history}; incremental streams resume from the "
                     "state in the cache)")
        for push in pipeline.pushes_of(source.key):
            mark = state.high_water_mark(push.label)
            since = f"the records extracted after {with_zone(mark)}" if mark else "every record in the cache (first push)"
            lines.append(f"     then {pipeline.plecto_connector} write {push.stream} to Plecto data source "
                         f"'{push.mapping['data_source']}': {since}")
    return pipeline.redactor.clean("\n".join(lines))
