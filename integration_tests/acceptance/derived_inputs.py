"""What the incremental acceptance tests derive from the source instead of reading it from a file, so that a new
stream needs no edit in acceptance-test-config/: the catalogs (from `discover`), the future state, and each stream's
lookback (from the stream's cursor in the resolved manifest)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping, Optional

from airbyte_cdk.sources.declarative.datetime.datetime_parser import DatetimeParser
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from connector_kit.configured_catalog import configured_catalog
from connector_kit.manifest import load_manifest, resolve, stream_name, streams
from isodate import parse_duration

FAR_FUTURE = datetime(2999, 1, 1, tzinfo=timezone.utc)
Streams = Mapping[str, Mapping[str, Any]]  # discovered streams by name


def full_refresh_catalog(discovered: Streams, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every discovered stream read in full, as the CDK's basic_read reads them."""
    entries = configured_catalog([s for name, s in discovered.items() if name not in leave_out])["streams"]
    for entry in entries:
        entry.pop("cursor_field", None)
        entry.update(sync_mode="full_refresh", destination_sync_mode="overwrite")
    return {"streams": entries}


def incremental_catalog(discovered: Streams) -> dict[str, Any]:
    """Every stream `discover` offers incrementally, each on its default cursor."""
    entries = configured_catalog(list(discovered.values()))["streams"]
    return {"streams": [entry for entry in entries if entry["sync_mode"] == "incremental"]}


def datetime_cursors(connector: str) -> dict[str, Mapping[str, Any]]:
    """Each stream's DatetimeBasedCursor in the resolved manifest, by stream name."""
    resolved = resolve(load_manifest(connector.replace("-", "_")))
    return {stream_name(s): s["incremental_sync"] for s in streams(resolved)
            if (s.get("incremental_sync") or {}).get("type") == "DatetimeBasedCursor"}


def _evaluated(cursor: Mapping[str, Any], key: str, config: Mapping[str, Any], default: str) -> str:
    value = cursor.get(key) or default
    return str(InterpolatedString.create(str(value), parameters=cursor.get("$parameters") or {}).eval(config))


def lookback(cursor: Optional[Mapping[str, Any]], config: Mapping[str, Any]) -> timedelta:
    """How far before its state a stream reads again, as its manifest says for this config (no cursor: none)."""
    return parse_duration(_evaluated(cursor, "lookback_window", config, "PT0S")) if cursor else timedelta(0)


def future_state(catalog: Mapping[str, Any], cursors: Mapping[str, Mapping[str, Any]],
                 config: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """A state far in the future for every incremental stream of `catalog` that syncs on its manifest's datetime
    cursor, in that cursor's format; and the streams that do not (their state is something else)."""
    states, uncovered = [], []
    for entry in catalog["streams"]:
        name, cursor = entry["stream"]["name"], cursors.get(entry["stream"]["name"])
        if cursor is None or [_evaluated(cursor, "cursor_field", config, "")] != entry.get("cursor_field"):
            uncovered.append(name)
            continue
        value = DatetimeParser().format(FAR_FUTURE, _evaluated(cursor, "datetime_format", config, "%Y-%m-%dT%H:%M:%SZ"))
        states.append({"type": "STREAM", "stream": {"stream_descriptor": {"name": name},
                                                    "stream_state": {entry["cursor_field"][0]: value}}})
    return states, uncovered


def cursor_values(state: Any, cursor_field: str) -> Iterator[Any]:
    """Every value a stream state holds under its cursor's name (per-partition states hold several)."""
    if isinstance(state, Mapping):
        for key, value in state.items():
            if key == cursor_field and not isinstance(value, (Mapping, list)):
                yield value
            else:
                yield from cursor_values(value, cursor_field)
    elif isinstance(state, list):
        for value in state:
            yield from cursor_values(value, cursor_field)


def moment(value: Any) -> datetime:
    """A cursor value (ISO date or date-time, `Z` or offset or none) as an aware datetime, UTC when it has no zone."""
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
