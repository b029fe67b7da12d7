"""A configured catalog made from what a source's `discover` prints, for the command line and the tests:

    source-pluggy discover --config config.json | python -m connector_kit.configured_catalog accounts transactions

prints a configured catalog with the named streams (every stream when none is named): each one incremental on its
default cursor when the stream supports it, else full refresh; deduplicated on its primary key downstream
(`append_dedup`) when it syncs incrementally and has one, `overwrite` when it syncs in full, else `append`.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Mapping, Optional, Sequence


def discovered_streams(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The streams of the CATALOG message among a `discover` run's output lines (LOG lines and others skipped)."""
    for line in lines:
        if line.startswith("{"):
            message = json.loads(line)
            if message.get("type") == "CATALOG":
                return list(message["catalog"]["streams"])
    raise ValueError("no CATALOG message in the input: pipe the output of `<source> discover --config ...` into it")


def configured_stream(stream: Mapping[str, Any]) -> dict[str, Any]:
    incremental = "incremental" in stream["supported_sync_modes"] and bool(stream.get("default_cursor_field"))
    primary_key = stream.get("source_defined_primary_key") or []
    entry: dict[str, Any] = {"stream": dict(stream), "sync_mode": "incremental" if incremental else "full_refresh"}
    if incremental:
        entry["cursor_field"] = list(stream["default_cursor_field"])
        entry["destination_sync_mode"] = "append_dedup" if primary_key else "append"
    else:
        entry["destination_sync_mode"] = "overwrite"
    if primary_key:
        entry["primary_key"] = primary_key
    return entry


def configured_catalog(streams: Sequence[Mapping[str, Any]], names: Optional[Sequence[str]] = None) -> dict[str, Any]:
    """The configured catalog of `names` (all `streams` when None or empty), in the order given."""
    by_name = {stream["name"]: stream for stream in streams}
    unknown = [name for name in names or [] if name not in by_name]
    if unknown:
        raise ValueError(f"not streams of this source: {', '.join(unknown)}; its streams: {', '.join(by_name)}")
    return {"streams": [configured_stream(by_name[name]) for name in (names or list(by_name))]}


def main(argv: Sequence[str]) -> int:
    try:
        catalog = configured_catalog(discovered_streams(sys.stdin), list(argv))
    except ValueError as error:
        print(f"configured_catalog: {error}", file=sys.stderr)
        return 2
    print(json.dumps(catalog, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
