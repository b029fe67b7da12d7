"""`status`: for each stream, its last read, its last push to Plecto, its high-water mark and the source state
kept in the cache (read-only: a DuckDB cache in use by a running sync is said to be busy)."""

from __future__ import annotations

import json
from typing import Any, Optional

from airbyte_pipeline.caches import open_cache
from airbyte_pipeline.connector_output import first_line
from airbyte_pipeline.pipeline_file import Pipeline, Source
from airbyte_pipeline.pipeline_state import PipelineState
from airbyte_pipeline.reading import quiet

STATE_TEXT_LIMIT = 110


def show_status(pipeline: Pipeline, as_json: bool = False) -> int:
    document = status_document(pipeline)
    text = json.dumps(document, indent=2, default=str) if as_json else _as_text(pipeline, document)
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
                              "pushed_through": entry.get("pushed_through"),
                              "pushed_to": _push_target(pipeline, label),
                              "source_state": source_states.get(stream)}
    return {"pipeline": pipeline.name, "file": str(pipeline.file), "cache": pipeline.cache.describe(),
            "state_file": str(state.path), "sources": sources, "streams": streams}


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


def describe_state(stream_state: Any) -> str:
    """Short: per-partition states are counted, with the global cursor if there is one."""
    if not stream_state:
        return "none (the next read is a full read)"
    if isinstance(stream_state, dict) and isinstance(stream_state.get("states"), list):
        text = f"{len(stream_state['states'])} partition(s)"
        if stream_state.get("state"):
            text += f", cursor {json.dumps(stream_state['state'], default=str)}"
        return text
    text = json.dumps(stream_state, default=str)
    return text if len(text) <= STATE_TEXT_LIMIT else text[: STATE_TEXT_LIMIT - 3] + "..."


def _as_text(pipeline: Pipeline, document: dict[str, Any]) -> str:
    lines = [f"Pipeline '{document['pipeline']}' ({document['file']})", f"cache: {document['cache']}",
             f"state: {document['state_file']}"]
    for key, source in document["sources"].items():
        run = source["last_run"]
        ran = f"last run {run['at']} {run['status']} ({run['seconds']} s)" if run else "never run"
        lines += ["", f"{key} ({pipeline.sources[key].connector_name}): {ran}"
                  + (f": {run['message']}" if run and run.get("message") else "")
                  + ("" if source["cache"] == "ok" else f"; {source['cache']}")]
        for stream in pipeline.sources[key].streams:
            entry = document["streams"][f"{key}.{stream}"]
            lines.append(f"  {stream}")
            read = entry["last_read"]
            lines.append("    last read       " + (f"{read['at']} {read['status']}, {read['records']} record(s)"
                                                   if read else "never"))
            if entry["pushed_to"]:
                push = entry["last_push"]
                lines.append("    last push       " + (
                    f"{push['at']} {push['status']}, {push['sent']} sent, {push['registrations'] or 0} registration(s)"
                    + (f": {push['message']}" if push.get("message") else "") if push else "never")
                    + f" -> Plecto '{entry['pushed_to']}'")
                lines.append(f"    pushed through  {entry['pushed_through'] or '-'}")
            lines.append(f"    source state    {describe_state(entry['source_state'])}")
    return "\n".join(lines)
