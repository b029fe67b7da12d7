"""One stream from the cache to Plecto: the records that reached the cache since the stream's high-water mark,
piped as Airbyte messages into `destination-plecto write`, as a platform would run it.

Every CHECKPOINT_RECORDS records (where the extraction time changes) and at the end, a STATE carries the
extraction time reached; destination-plecto gives a state back only once Plecto has acknowledged every record
before it, so the last state it gives back is the new high-water mark. A push that fails half-way resumes from
there; re-sent records are upserts. Plecto's calls are counted from destination-plecto's own summary line.

After the last record and state of a stream sent in full, a TRACE STREAM_STATUS COMPLETE says that the stream
ended, as a platform says it: destination-plecto deletes nothing for a stream without it (its `overwrite` clean-up
waits for it). A push cut short (the cache failed, the destination stopped reading) sends none.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Optional

from airbyte.caches import CacheBase
from airbyte_protocol.models import (AirbyteMessage, AirbyteStreamStatus, AirbyteStreamStatusTraceMessage,
                                     AirbyteTraceMessage, StreamDescriptor, TraceType, Type)

from airbyte_pipeline.cached_records import as_utc, records_since
from airbyte_pipeline.connector_output import ConnectorOutput, first_line
from airbyte_pipeline.pipeline_file import Pipeline, Push
from airbyte_pipeline.private_files import temp_folder
from airbyte_pipeline.progress import Progress
from airbyte_pipeline.reading import StreamShape

CHECKPOINT_RECORDS = 1000


@dataclass
class PushOutcome:
    label: str  # source.stream
    ok: bool
    seconds: float
    sent: int = 0
    stats: dict[str, int] = field(default_factory=dict)  # destination-plecto's summary: posts, stored, deleted, ...
    pushed_through: Optional[str] = None  # the new high-water mark, when Plecto acknowledged something
    message: Optional[str] = None
    api_calls: Optional[str] = None  # destination-plecto's own count, by endpoint (connector_kit.calls)


def push_stream(pipeline: Pipeline, push: Push, cache: CacheBase, shape: StreamShape, since: Optional[datetime],
                progress: Progress) -> PushOutcome:
    """Send what reached the cache after `since` (the stream's high-water mark; None: everything)."""
    started = time.monotonic()
    records = records_since(cache, push.stream, since, shape.json_schema)
    first = next(records, None)
    if first is None:
        return PushOutcome(push.label, True, time.monotonic() - started, message="nothing new since the last push",
                           api_calls="0 API calls: destination-plecto did not run")
    output = ConnectorOutput(push.label, progress)
    feed = _Feed(push.stream, _chain(first, records))
    with progress.heartbeat(push.label, "writing"):
        returncode, acknowledged = _run_destination(pipeline, push, shape, feed, output)
    stats = output.summaries.get(push.stream, {})
    outcome = PushOutcome(push.label, False, time.monotonic() - started, feed.sent, stats, acknowledged,
                          api_calls=output.api_calls)
    if feed.error is not None:
        outcome.message = f"reading the cache failed: {first_line(str(feed.error))}"
    elif returncode != 0 or output.trace_errors:
        outcome.message = output.failure() or f"destination-plecto exited with code {returncode}"
    elif acknowledged != feed.last_state:
        outcome.message = "destination-plecto ended before Plecto acknowledged every record"
    else:
        outcome.ok = True
    if outcome.message:
        outcome.message = pipeline.redactor.clean(outcome.message)
    return outcome


def _run_destination(pipeline: Pipeline, push: Push, shape: StreamShape, feed: "_Feed",
                     output: ConnectorOutput) -> tuple[int, Optional[str]]:
    """destination-plecto write fed by `feed`; its exit code and the last state it gave back. Its config lives in a
    temporary folder in the state folder's private one for the push only (a killed run's is removed by the next);
    what it says goes to its log file, secrets masked."""
    with tempfile.TemporaryDirectory(prefix="destination-plecto-", dir=temp_folder(pipeline.state_dir)) as private, \
            open(_log_path(pipeline, push), "w", encoding="utf-8") as log:
        config = _write_json(Path(private) / "config.json", pipeline.destination_config(push))
        catalog = _write_json(Path(private) / "catalog.json", destination_catalog(push.stream, shape))
        process = subprocess.Popen([str(pipeline.plecto_connector), "write", "--config", config, "--catalog", catalog],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   encoding="utf-8")
        feeder = threading.Thread(target=feed.into, args=(process.stdin,), daemon=True)
        feeder.start()
        stderr = _Drain(process.stderr)
        acknowledged = _read_answers(process.stdout, output, lambda line: log.write(pipeline.redactor.clean(line)))
        returncode = process.wait()
        feeder.join()
        log.write(pipeline.redactor.clean(stderr.text()))
    return returncode, acknowledged


def destination_catalog(stream: str, shape: StreamShape) -> dict[str, Any]:
    return {"streams": [{
        "stream": {"name": stream, "json_schema": shape.json_schema, "supported_sync_modes": ["full_refresh", "incremental"],
                   "source_defined_primary_key": shape.primary_key},
        "sync_mode": "incremental", "destination_sync_mode": "append_dedup", "primary_key": shape.primary_key,
    }]}


class _Feed:
    """RECORD lines in extraction order, with a STATE at checkpoints; runs on its own thread."""

    def __init__(self, stream: str, records: Iterator[tuple[datetime, dict]]) -> None:
        self.stream = stream
        self.records = records
        self.sent = 0
        self.last_state: Optional[str] = None
        self.error: Optional[BaseException] = None
        self.complete = False  # every record sent, and the stream's COMPLETE status after them

    def into(self, pipe: IO[str]) -> None:
        try:
            since_state, previous = 0, None
            for extracted_at, record in self.records:
                if since_state >= CHECKPOINT_RECORDS and extracted_at != previous:
                    self._state(pipe, previous)
                    since_state = 0
                emitted_at = int(as_utc(extracted_at).timestamp() * 1000)
                pipe.write(json.dumps({"type": "RECORD", "record": {"stream": self.stream, "data": record,
                                                                    "emitted_at": emitted_at}}, default=str) + "\n")
                self.sent += 1
                since_state += 1
                previous = extracted_at
            if previous is not None:
                self._state(pipe, previous)
            pipe.write(stream_complete(self.stream) + "\n")
            self.complete = True
        except BrokenPipeError:
            pass  # the destination stopped reading: its own message says why
        except Exception as error:  # noqa: BLE001 - a cache read failure: reported, the push stops
            self.error = error
        finally:
            try:
                pipe.close()
            except BrokenPipeError:
                pass

    def _state(self, pipe: IO[str], through: datetime) -> None:
        self.last_state = through.isoformat()
        pipe.write(json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
            "stream_descriptor": {"name": self.stream}, "stream_state": {"pushed_through": self.last_state}}}}) + "\n")


def stream_complete(stream: str) -> str:
    """The protocol's TRACE STREAM_STATUS COMPLETE for `stream`, as one line of JSON."""
    return AirbyteMessage(type=Type.TRACE, trace=AirbyteTraceMessage(
        type=TraceType.STREAM_STATUS, emitted_at=time.time() * 1000,
        stream_status=AirbyteStreamStatusTraceMessage(stream_descriptor=StreamDescriptor(name=stream),
                                                      status=AirbyteStreamStatus.COMPLETE),
    )).model_dump_json(exclude_none=True)


def _read_answers(stdout: IO[str], output: ConnectorOutput, log: Callable[[str], Any]) -> Optional[str]:
    """Follow destination-plecto's messages (each kept in the log); the extraction time of the last state it gave
    back."""
    acknowledged = None
    for line in stdout:
        try:
            message = json.loads(line)
        except ValueError:
            log(line)
            continue
        kind = message.get("type")
        if kind == "LOG":
            level, text = message["log"].get("level", "INFO"), message["log"].get("message", "")
            log(f"{level} {text}\n")
            output.log(level, text)
            continue
        log(line)
        if kind == "STATE":
            acknowledged = message["state"]["stream"]["stream_state"].get("pushed_through", acknowledged)
        elif kind == "TRACE" and message["trace"].get("type") == "ERROR":
            output.trace_error(message["trace"]["error"].get("message", ""))
    return acknowledged


class _Drain:
    """Reads a pipe to its end on its own thread, so that a chatty stderr never blocks the destination."""

    def __init__(self, pipe: IO[str]) -> None:
        self._chunks: list[str] = []
        self._thread = threading.Thread(target=lambda: self._chunks.extend(pipe), daemon=True)
        self._thread.start()

    def text(self) -> str:
        self._thread.join()
        return "".join(self._chunks)


def _log_path(pipeline: Pipeline, push: Push) -> Path:
    """<state_dir>/logs/destination-plecto/<source.stream>-<time>.log: what destination-plecto said, secrets masked."""
    folder = pipeline.state_dir / "logs" / "destination-plecto"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{push.label}-{datetime.now():%Y%m%d-%H%M%S}.log"


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _write_json(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)
