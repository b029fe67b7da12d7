"""The pipeline's own state, `<state_dir>/pipeline-state.json`: the last run of each source and stream, and for each
stream pushed to Plecto its high-water mark, the `_airbyte_extracted_at` of the last record Plecto acknowledged.

The sources' own (incremental) state lives in the cache, where PyAirbyte keeps it. High-water marks belong to
one cache: when the pipeline file points at another, they start again (re-sending is safe: Plecto upserts by
external id). The file holds no config value, so no secret (the messages in it are masked). It is replaced
atomically and durably: written to a temporary file beside it, flushed to disk, renamed over the old one, and the
rename itself flushed with the folder; a failed write leaves the old file and no temporary one.
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


class StateFileError(Exception):
    """The state file cannot be read: one line naming the file and how to recover."""


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
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise StateFileError(_unreadable(path, _why(error))) from None
        if not isinstance(data, dict) or not all(isinstance(data.get(k, {}), dict) for k in ("sources", "streams")):
            raise StateFileError(_unreadable(path, "holds no pipeline state (a JSON object of sources and streams)"))
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
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT, "cache": self.cache, "sources": self.sources, "streams": self.streams}
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".pipeline-state-", suffix=".tmp")  # 0600
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """The rename reaches the disk too: a crash right after a save finds the new file, not the old one or none."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _why(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
    if isinstance(error, OSError):
        return f"cannot be read ({error.strerror})"
    return "is not UTF-8 text"


def _unreadable(path: Path, why: str) -> str:
    return (f"the pipeline state {path} {why}; nothing was run. Restore it from a backup, or delete it: the next "
            "run then sends every record in the cache to Plecto again (upserts by external id, so no duplicates, "
            "but more API calls) and `status` forgets the last runs; the sources' own state, kept in the cache, "
            "is not lost.")
