"""One source read into its cache through PyAirbyte: the installed connector CLI as a local executable, with the
state PyAirbyte keeps in the cache, so every read after the first is incremental. A failure ends with the
connector's own message (its TRACE error), never a traceback."""

from __future__ import annotations

import io
import logging
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import Iterator, Optional

import airbyte as ab
from airbyte import exceptions as pyairbyte_errors
from airbyte.caches import CacheBase

from airbyte_pipeline.cached_records import count_since, latest_extracted_at
from airbyte_pipeline.connector_output import ConnectorOutput, PyAirbyteConnectorLog, first_line
from airbyte_pipeline.pipeline_file import Source
from airbyte_pipeline.progress import Progress
from airbyte_pipeline.redaction import Redactor


@dataclass(frozen=True)
class StreamShape:
    """What a push needs of a stream: its JSON schema (field names, types) and its primary key."""
    json_schema: dict
    primary_key: list[list[str]]


@dataclass
class ReadOutcome:
    source: str
    connector: str
    ok: bool
    seconds: float
    message: Optional[str] = None
    records: dict[str, int] = field(default_factory=dict)  # stream -> records that reached the cache in this read
    api_calls: Optional[str] = None  # the connector's own count, by endpoint (connector_kit.calls)
    shapes: dict[str, StreamShape] = field(default_factory=dict)


@contextmanager
def quiet() -> Iterator[None]:
    """PyAirbyte's own prints (log file paths, 'Completed ... sync', 'ERROR: ...'): the pipeline says it instead."""
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        yield


def read_source(source: Source, cache: CacheBase, redactor: Redactor, progress: Progress) -> ReadOutcome:
    output = ConnectorOutput(source.key, progress)
    started = time.monotonic()

    def outcome(ok: bool, message: Optional[str] = None, **details: object) -> ReadOutcome:
        return ReadOutcome(source.key, source.connector_name, ok, time.monotonic() - started,
                           redactor.clean(message) if message else None, api_calls=output.api_calls, **details)

    before = {stream: latest_extracted_at(cache, stream) for stream in source.streams}
    try:
        with quiet():
            connector = ab.get_source(source.connector_name, config=source.config, local_executable=source.connector)
        logger = logging.getLogger(f"airbyte.{source.connector_name}")
        for guarded in (logger, logging.getLogger("airbyte")):
            redactor.guard(guarded)
        handler = PyAirbyteConnectorLog(output)
        logger.addHandler(handler)
        try:
            with quiet(), progress.heartbeat(source.key, "reading"):
                connector.select_streams(source.streams)
                connector.read(cache=cache, skip_validation=True)  # checked against the spec before the run
                catalog = connector.get_configured_catalog(streams=source.streams)
        finally:
            logger.removeHandler(handler)
    except pyairbyte_errors.AirbyteStreamNotFoundError as error:
        return outcome(False, f"{source.connector_name} has no stream '{error.stream_name}'; its streams: "
                              f"{', '.join(error.available_streams or [])}")
    except pyairbyte_errors.PyAirbyteError as error:
        return outcome(False, output.failure() or _last_words(error))
    shapes = {configured.stream.name: StreamShape(configured.stream.json_schema,
                                                  configured.primary_key or configured.stream.source_defined_primary_key or [])
              for configured in catalog.streams}
    records = {stream: count_since(cache, stream, before[stream]) for stream in source.streams}
    return outcome(True, records=records, shapes=shapes)


def _last_words(error: pyairbyte_errors.PyAirbyteError) -> str:
    """When the connector gave no TRACE error: PyAirbyte's message and the last line the connector logged that is
    not part of a traceback."""
    lines = error.log_text if isinstance(error.log_text, list) else (error.log_text or "").splitlines()
    last = next((line for line in reversed(lines) if line.strip() and not line.startswith((" ", "\t", "Traceback"))),
                "")
    exit_code = (error.context or {}).get("exit_code")
    said = first_line(error.get_message()) + (f" (exit code {exit_code})" if exit_code is not None else "")
    return f"{said}: {first_line(last)}" if last else said
