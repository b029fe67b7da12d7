"""Expected records: what a basic read of the seeded sandbox emits, one `{"stream", "data"}` line per record, as in
the legacy acceptance tests' expected_records.jsonl. Written by `make expected-records` (never by hand), compared by
test_acceptance.py. The sandbox is seeded and its clock origin fixed, so no field changes between runs and none is
ignored in the comparison."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

Records = Mapping[str, list[dict[str, Any]]]  # by stream


def canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def write(path: Path, records: Records) -> None:
    lines = sorted(canonical({"stream": stream, "data": data}) for stream, rows in records.items() for data in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))


def read(path: Path) -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            records.setdefault(entry["stream"], []).append(entry["data"])
    return records


def differences(expected: list[dict[str, Any]], emitted: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The records only one side has (as canonical JSON, at most 3 each), order and repetition accounted for."""
    want, got = Counter(map(canonical, expected)), Counter(map(canonical, emitted))
    return {"missing": sorted((want - got).elements())[:3], "unexpected": sorted((got - want).elements())[:3]}
