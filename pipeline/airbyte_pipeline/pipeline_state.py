"""The pipeline's own state, `<state_dir>/pipeline-state.json`: the last run of each source and stream, and for each
stream pushed to Plecto its high-water mark, the `_airbyte_extracted_at` of the last record Plecto acknowledged.

The sources' own (incremental) state lives in the cache, where PyAirbyte keeps it. High-water marks belong to
one cache: when the pipeline file points at another, they start again (re-sending is safe: Plecto upserts by
external id). The file holds no config value, so no secret; it is replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

FORMAT = 1
FILE_NAME = "pipeline-state.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class PipelineState:
    path: Path
    cache: str
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> last run
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)  # "source.stream" -> last_read, last_push, pushed_through

    @classmethod
    def load(cls, state_dir: Path, cache: str) -> "PipelineState":
        path = state_dir / FILE_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path, cache)
        state = cls(path, cache, data.get("sources", {}), data.get("streams", {}))
        if data.get("cache") != cache:  # another cache: its records were never pushed from here
            for stream in state.streams.values():
                stream.pop("pushed_through", None)
        return state

    def high_water_mark(self, stream: str) -> Optional[str]:
        return self.streams.get(stream, {}).get("pushed_through")

    def record_source_run(self, key: str, run: dict[str, Any]) -> None:
        self.sources[key] = {"at": now_iso(), **run}

    def record_read(self, stream: str, read: dict[str, Any]) -> None:
        self.streams.setdefault(stream, {})["last_read"] = {"at": now_iso(), **read}

    def record_push(self, stream: str, push: dict[str, Any], pushed_through: Optional[str]) -> None:
        entry = self.streams.setdefault(stream, {})
        entry["last_push"] = {"at": now_iso(), **push}
        if pushed_through:
            entry["pushed_through"] = pushed_through

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT, "cache": self.cache, "sources": self.sources, "streams": self.streams}
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".pipeline-state-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2, sort_keys=True)
        os.replace(temporary, self.path)
