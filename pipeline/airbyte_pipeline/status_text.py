"""`status` for a terminal: each source's last run, then per stream its last read, last push, high-water mark and
source state (per-partition states counted rather than listed)."""

from __future__ import annotations

import json
from typing import Any

from airbyte_pipeline.pipeline_file import Pipeline
from airbyte_pipeline.shown_times import with_zone

STATE_TEXT_LIMIT = 110


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


def status_text(pipeline: Pipeline, document: dict[str, Any]) -> str:
    """The status document (status_view) for a terminal: per source, then per stream."""
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
                lines.append(f"    pushed through  {with_zone(entry['pushed_through']) or '-'}")
            lines.append(f"    source state    {describe_state(entry['source_state'])}")
    if document.get("schedule"):
        lines += ["", f"schedule: {document['schedule']} (Quartz cron, UTC; for Airbyte, set by `deploy`)"]
    for deployed in document.get("airbyte") or []:
        lines += ["", *airbyte_lines(deployed)]
    return "\n".join(lines)


def airbyte_lines(deployed: dict[str, Any]) -> list[str]:
    """One Airbyte instance's side of the pipeline, as `deploy` recorded it (no call is made)."""
    lines = [f"Airbyte {deployed.get('kind', '?')} {deployed.get('api_root', '?')}, workspace "
             f"{deployed.get('workspace_id', '?')}: deployed {deployed.get('deployed_at') or 'in part (rerun deploy)'}"]
    for key, entry in deployed.get("definitions", {}).items():
        form = f"image {entry['image']}" if entry.get("type") == "docker" else (
            f"{entry.get('edition')} manifest, version {entry.get('version')}")
        lines.append(f"  definition   {key:<20} {entry['id']}  {form}")
    for section, label in (("sources", "source"), ("destinations", "destination"), ("connections", "connection")):
        for key, entry in deployed.get(section, {}).items():
            extra = ""
            if section == "connections":
                extra = f"  {'; '.join(entry.get('streams', []))}; schedule {entry.get('schedule') or 'manual'}"
            lines.append(f"  {label:<12} {key:<20} {entry['id']}  '{entry['name']}'{extra}")
    for note in deployed.get("not_deployed", []):
        lines.append(f"  not deployed: {note.split(' is not deployed')[0]} (Airbyte Cloud runs no custom destination:"
                     " the local runner pushes it)")
    return lines
