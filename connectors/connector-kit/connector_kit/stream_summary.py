"""The one line per stream that our connectors log about what a stream did, in words we own:

    Stream 'clockings': records=27                      a source, when the stream ends (connector_kit.entrypoint)
    Stream 'transactions': posts=3, received=240, ...   destination-plecto, at the end of a write

A source's line counts the records the entry point passed on for that stream, whoever read them (the CDK's
declarative engine or a connector's own reader, such as Protime's delta streams), so every source prints the same
progress lines. Standard library only: the pipeline reads these lines with `parse_summary`.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

RECORDS = "records"  # a source's count: the records emitted for the stream in this run

_LINE = re.compile(r"^Stream '(?P<stream>[^']+)': (?P<stats>\w+=\d+(?:, \w+=\d+)*)$")


def summary_line(stream: str, stats: Mapping[str, int]) -> str:
    return f"Stream '{stream}': " + ", ".join(f"{key}={int(value)}" for key, value in sorted(stats.items()))


def parse_summary(text: str) -> Optional[tuple[str, dict[str, int]]]:
    """(stream, {key: count}) of a summary line, or None for any other line."""
    match = _LINE.match(text)
    if not match:
        return None
    stats = dict(pair.split("=") for pair in match["stats"].split(", "))
    return match["stream"], {key: int(value) for key, value in stats.items()}
