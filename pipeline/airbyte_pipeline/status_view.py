"""`status`: for each stream, its last read, its last push to Plecto, its high-water mark and the source state
kept in the cache (read-only: a DuckDB cache in use by a running sync is said to be busy)."""

from __future__ import annotations

import json
from typing import Any, Optional

from airbyte_pipeline.caches import open_cache
from airbyte_pipeline.connector_output import first_line
from airbyte_pipeline.deploy_record import DeployRecord
from airbyte_pipeline.pipeline_file import Pipeline, Source
from airbyte_pipeline.pipeline_state import PipelineState
from airbyte_pipeline.reading import quiet
from airbyte_pipeline.shown_times import with_zone
from airbyte_pipeline.status_text import status_text


def show_status(pipeline: Pipeline, as_json: bool = False) -> int:
    document = status_document(pipeline)
    text = json.dumps(document, indent=2, default=str) if as_json else status_text(pipeline, document)
    print(pipeline.redactor.clean(text))
    return 0


def status_document(pipeline: Pipeline) -> dict[str, Any]:
    state = PipelineState.load(pipeline.state_dir, pipeline.cache.identity())
    streams: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for source in pipeline.sources.values():
        source_states, cache_note = _source_states(pipeline, source)
        sources[source.key] = {"last_run": state.sources.get(source.key), "cache": cache_note}
        for stream in source.streams:
            label = f"{source.key}.{stream}"
            entry = state.streams.get(label, {})
            streams[label] = {"last_read": entry.get("last_read"), "last_push": entry.get("last_push"),
                              "pushed_through": with_zone(entry.get("pushed_through")),
                              "pushed_to": _push_target(pipeline, label),
                              "source_state": source_states.get(stream)}
    airbyte = DeployRecord.load(pipeline.state_dir)  # what `deploy` created, per Airbyte instance and workspace
    return {"pipeline": pipeline.name, "file": str(pipeline.file), "cache": pipeline.cache.describe(),
            "state_file": str(state.path), "schedule": pipeline.document.data.get("schedule"),
            "sources": sources, "streams": streams, "airbyte": list(airbyte.targets.values())}


def _push_target(pipeline: Pipeline, label: str) -> Optional[str]:
    return next((push.mapping["data_source"] for push in pipeline.pushes if push.label == label), None)


def _source_states(pipeline: Pipeline, source: Source) -> tuple[dict[str, Any], str]:
    """The stream states PyAirbyte keeps in the cache for this source, and a word on the cache."""
    if pipeline.cache.kind == "duckdb" and not (pipeline.cache.path and pipeline.cache.path.exists()):
        return {}, "no cache yet"
    try:
        with quiet():
            cache = open_cache(pipeline.cache, source.key, pipeline.state_dir)
            try:
                provider = cache.get_state_provider(source_name=source.connector_name)
                states = {stream: _blob(provider.get_stream_state(stream).stream.stream_state)
                          for stream in provider.known_stream_names}
            finally:
                cache.dispose_engine()
    except Exception as error:  # noqa: BLE001 - a busy or unreachable cache: say so, show the rest
        return {}, f"cache not readable now: {first_line(str(error), 160)}"
    return states, "ok"


def _blob(blob: Any) -> Any:
    return blob.model_dump(exclude_none=True) if hasattr(blob, "model_dump") else blob
