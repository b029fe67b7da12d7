"""What a source's acceptance-test-config.yml asks for beyond the CDK's standard tests, read the way the CDK reads
the file (paths relative to the connector directory):

- `basic_read` entries: each config, its `empty_streams`, and the expected records of its read, kept next to the
  YAML in `expected_records/<config file stem>.jsonl` (CDK 7.39.1 rejects `expect_records` in the YAML);
- `incremental` entries, in the legacy acceptance tests' keys (the CDK does not run this section): `config_path`,
  optionally `configured_catalog_path` and `future_state.future_state_path`, and `future_state.missing_streams`,
  each with a `bypass_reason`. A key this runner does not read is an error, so what is configured is what is tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

REPO = Path(__file__).resolve().parents[2]
INCREMENTAL_KEYS = {"config_path", "configured_catalog_path", "future_state"}
FUTURE_STATE_KEYS = {"future_state_path", "missing_streams"}


def connector_dir(connector: str) -> Path:
    return REPO / "connectors" / connector


def acceptance_dir(connector: str) -> Path:
    return REPO / "acceptance-test-config" / connector


def _tests(connector: str, section: str) -> list[dict[str, Any]]:
    document = yaml.safe_load((connector_dir(connector) / "acceptance-test-config.yml").read_text())
    return list((document["acceptance_tests"].get(section) or {}).get("tests") or [])


def _path(connector: str, relative: Optional[str]) -> Optional[Path]:
    return (connector_dir(connector) / relative).resolve() if relative else None


@dataclass(frozen=True)
class BasicRead:
    connector: str
    config_path: Path
    empty_streams: frozenset[str] = frozenset()

    @property
    def expected_records_path(self) -> Path:
        return acceptance_dir(self.connector) / "expected_records" / f"{self.config_path.stem}.jsonl"

    @property
    def id(self) -> str:
        return f"{self.connector}:{self.config_path.stem}"


@dataclass(frozen=True)
class IncrementalRead:
    connector: str
    config_path: Path
    configured_catalog_path: Optional[Path] = None
    future_state_path: Optional[Path] = None
    missing_streams: dict[str, str] = field(default_factory=dict)  # stream -> why it has no future state

    @property
    def id(self) -> str:
        return f"{self.connector}:{self.config_path.stem}"


def basic_reads(connector: str) -> list[BasicRead]:
    reads = []
    for entry in _tests(connector, "basic_read"):
        empty = entry.get("empty_streams") or []
        if not all(stream.get("bypass_reason") for stream in empty):
            raise ValueError(f"{connector}: every empty_streams entry of {entry['config_path']} needs a bypass_reason "
                             "(test_strictness_level: high)")
        reads.append(BasicRead(connector, _path(connector, entry["config_path"]),
                               frozenset(stream["name"] for stream in empty)))
    return reads


def incremental_reads(connector: str) -> list[IncrementalRead]:
    reads = []
    for entry in _tests(connector, "incremental"):
        future = entry.get("future_state") or {}
        unread = sorted(set(entry) - INCREMENTAL_KEYS) + sorted(f"future_state.{k}" for k in set(future) - FUTURE_STATE_KEYS)
        if unread:
            raise ValueError(f"{connector}: the incremental entry for {entry.get('config_path')} sets {unread}, "
                             f"which integration_tests/acceptance/ does not read")
        missing = {stream["name"]: stream.get("bypass_reason") for stream in future.get("missing_streams") or []}
        if not all(missing.values()):
            raise ValueError(f"{connector}: every future_state.missing_streams entry needs a bypass_reason")
        reads.append(IncrementalRead(connector, _path(connector, entry["config_path"]),
                                     _path(connector, entry.get("configured_catalog_path")),
                                     _path(connector, future.get("future_state_path")), missing))
    return reads
