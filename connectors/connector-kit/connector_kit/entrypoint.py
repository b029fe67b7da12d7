"""The console entry point of all four connectors: bad input in one line, failures in one readable TRACE.

What it adds to the CDK's entry point, the same way for every connector:
- **Files.** `--config`, `--catalog` and `--state` are read and checked before any connector code runs. A file
  that is missing, not JSON, or not the expected shape is reported in one line naming the file and what is
  wrong: a failed CONNECTION_STATUS for `check`, else one TRACE (config_error) and exit code 1. No traceback.
- **Config values.** Checked against the spec with a message per field (config_check.py), for every command.
- **Catalog.** A stream the connector does not have is an error naming it (the CDK only logs an INCOMPLETE
  status for it and exits 0).
- **Messages, not text.** The kit drives the CDK entry point's public `check`, `discover` and `read` (which yield
  Airbyte messages; the CDK's own `run` only serialises them) and reads each message's fields: a TRACE's type and
  error, a record's stream. It serialises each message once, with the CDK's public serializer, as it prints it.
- **Failures.** The CDK emits a TRACE per failed stream and then a summary whose message is a Python repr,
  tagged config_error whatever the cause. Here the per-stream TRACEs are held back and the run ends with one
  TRACE: each stream with its own message, internals in `internal_message`/`stack_trace`, and a failure type
  that is config_error only when every failure is one.
- **Counts.** When a stream ends, one line of ours says how many records it emitted
  (`Stream 'clockings': records=27`, connector_kit.stream_summary), for every source and every kind of stream.
- **Logs.** Tracebacks stay out of LOG lines (the final TRACE carries the stack trace) and the CDK's generic
  retry line is dropped, since `backoff.RetryWaits` logs each wait with its reason.
- **Output.** Lines go out through the CDK's `PRINT_BUFFER`, the stream its log handler writes to, so that log
  lines from the CDK's worker threads and the messages printed here come out whole and in order.
- **Secrets.** Every `airbyte_secret` value of the config is registered in every form (connector_kit.redact)
  before any connector code runs, and every line printed but a RECORD is masked: CONNECTION_STATUS, TRACE
  (message, internal_message, stack_trace), LOG, whoever wrote it.

The CDK texts it still recognises (a retry line, the closing summary, the retries-used-up prefix) are in
connector_kit.cdk_texts, each pinned by a test; so is every other CDK behaviour it relies on (test_cdk_pins.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, List, Mapping, Optional

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER, is_platform_debug_log_enabled
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteStateMessageSerializer,
    AirbyteStreamStatus,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalogSerializer,
    ConnectorSpecification,
    FailureType,
    Level,
    Status,
    TraceType,
    Type,
)
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from connector_kit import calls
from connector_kit.ast_guard import serialize_ast_parse
from connector_kit.cdk_texts import RETRIES_EXHAUSTED_PREFIX, RETRY_LOG_PREFIX, STARTUP_NOISE, is_read_failure_summary
from connector_kit.config_check import config_problems
from connector_kit.redact import MaskSecrets, mask, mask_line, register_config_secrets
from connector_kit.stream_summary import RECORDS, summary_line

logger = logging.getLogger("airbyte")


class InputError(Exception):
    """A file or value given on the command line that the connector cannot use; the message says why."""


# ---- the files ------------------------------------------------------------------------------------------------
def read_json(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise InputError(f"The {what} file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"The {what} file {path} cannot be read: {error.__class__.__name__}: {error}.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"The {what} file {path} is not valid JSON: {error.msg} at line {error.lineno}, "
                         f"column {error.colno}.") from None


def load_config(path: str) -> dict[str, Any]:
    config = read_json(path, "config")
    if not isinstance(config, dict):
        raise InputError(f"The config file {path} must hold a JSON object of settings, not {_kind(config)}.")
    return config


def load_catalog(path: str) -> Any:
    document = read_json(path, "catalog")
    if not isinstance(document, dict) or not isinstance(document.get("streams"), list):
        raise InputError(f"The catalog file {path} must hold a configured catalog: an object with a `streams` list "
                         f"(run `discover` and keep the streams to sync), not {_kind(document)}.")
    for index, entry in enumerate(document["streams"]):
        name = (entry.get("stream") or {}).get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise InputError(f"The catalog file {path}: streams[{index}] has no `stream.name`.")
        for key in ("sync_mode", "destination_sync_mode"):
            if key not in entry:
                raise InputError(f"The catalog file {path}: stream `{name}` has no `{key}`.")
    try:
        return ConfiguredAirbyteCatalogSerializer.load(document)
    except Exception as error:  # noqa: BLE001 - the serializer's errors name the bad value
        raise InputError(f"The catalog file {path} is not a valid configured catalog: {_short(error)}.") from None


def load_state(path: str) -> list[Any]:
    document = read_json(path, "state")
    if document in (None, {}, []):
        return []
    if not isinstance(document, list):
        raise InputError(f"The state file {path} must hold a JSON list of state messages (as a previous sync emitted "
                         f"them), not {_kind(document)}.")
    states = []
    for index, entry in enumerate(document):
        if not isinstance(entry, dict) or not any(k in entry for k in ("stream", "global", "data")):
            raise InputError(f"The state file {path}: entry {index} is not a state message (it needs `type` and "
                             f"`stream`, `global` or `data`).")
        try:
            states.append(AirbyteStateMessageSerializer.load(entry))
        except Exception as error:  # noqa: BLE001
            raise InputError(f"The state file {path}: entry {index} is not a valid state message: {_short(error)}.") \
                from None
    return states


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(type(value), type(value).__name__)


def _short(error: BaseException) -> str:
    text = " ".join(mask(str(error)).split())  # masked before it is cut: a secret cut in two would no longer match
    return text if len(text) <= 200 else text[:197] + "..."


# ---- config values ----------------------------------------------------------------------------------------------
def check_config(spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
    register_config_secrets(spec.connectionSpecification, config)  # before anything can quote a config value
    problems = config_problems(spec.connectionSpecification, config)
    if problems:
        raise InputError(" ".join(problems))


class KitEntrypoint(AirbyteEntrypoint):
    @staticmethod
    def set_up_secret_filter(config: Mapping[str, Any], connection_specification: Mapping[str, Any]) -> None:
        # The CDK resets its secret list to the plain config values here: every form of every secret instead.
        register_config_secrets(connection_specification, config)

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        # Same check as the CLI's, for callers that drive the entry point directly.
        try:
            check_config(source_spec, config)
        except InputError as error:
            raise AirbyteTracedException(message=str(error), internal_message=str(error),
                                         failure_type=FailureType.config_error) from None

    def messages(self, parsed: argparse.Namespace, config: Optional[Mapping[str, Any]], catalog: Any,
                 state: Optional[list[Any]]) -> Iterator[AirbyteMessage]:
        """What the CDK's `run` prints for a command, as messages rather than text: the same steps (log level, a
        temporary folder for the HTTP cache, `configure`, the source's queued messages before and after), through
        the public `check`, `discover` and `read`. The inputs are the files the kit has already read and checked."""
        debug = getattr(parsed, "debug", False) or is_platform_debug_log_enabled()
        for each in (self.logger, logger) if debug else (self.logger,):
            each.setLevel(logging.DEBUG if debug else logging.INFO)
        spec = self.source.spec(self.logger)
        try:
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as temp_dir:
                os.environ[ENV_REQUEST_CACHE_PATH] = temp_dir  # where the CDK's HttpClient keeps its cache files
                if parsed.command == "spec":
                    yield from self.queued_messages()
                    yield AirbyteMessage(type=Type.SPEC, spec=spec)
                    return
                configured = self.source.configure(config or {}, temp_dir)
                yield from self.queued_messages()
                if parsed.command == "check":
                    yield from self.check(spec, configured)
                elif parsed.command == "discover":
                    yield from self.discover(spec, configured)
                elif parsed.command == "read":
                    yield from self.read(spec, configured, catalog, state or [])
                else:
                    raise ValueError(f"Unexpected command {parsed.command}")
        finally:
            yield from self.queued_messages()

    def queued_messages(self) -> Iterable[AirbyteMessage]:
        """The logs and states the source's message repository holds (a declarative engine queues them)."""
        repository = getattr(self.source, "message_repository", None)
        return repository.consume_queue() if repository is not None else ()


# ---- failures -----------------------------------------------------------------------------------------------
@dataclass
class FailureReport:
    """Holds the error TRACEs of a run back, and ends the run with one readable TRACE."""

    errors: list[AirbyteErrorTraceMessage] = field(default_factory=list)
    held: list[AirbyteMessage] = field(default_factory=list)  # the error TRACEs as the run yielded them

    def holds(self, message: AirbyteMessage) -> bool:
        """Whether `message` is an error TRACE, kept for the final report rather than printed now."""
        trace = message.trace if message.type == Type.TRACE else None
        if trace is not None and trace.type == TraceType.ERROR and trace.error is not None:
            self.errors.append(trace.error)
            self.held.append(message)
            return True
        return False

    def final(self, exception: Optional[BaseException]) -> Optional[AirbyteMessage]:
        errors = list(self.errors)
        if exception is not None and not (errors and is_read_failure_summary(exception)):
            errors.append(_as_error(exception))
        if not errors:
            return None
        parts, seen = [], set()
        for error in errors:
            stream = error.stream_descriptor.name if error.stream_descriptor else None
            text = (f"Stream {stream}: " if stream else "") + readable(error.message, error.internal_message)
            if text not in seen:
                seen.add(text)
                parts.append(text)
        failure_type = overall_failure_type(e.failure_type for e in errors)
        first = errors[0]
        report = AirbyteErrorTraceMessage(
            message=mask(" ".join(parts)),
            internal_message=mask(" | ".join(e.internal_message or "" for e in errors if e.internal_message)),
            # A traceback helps only with a fault of the connector itself; for a config or transient error the
            # message says everything, and a platform would show the traceback to the user as "details".
            stack_trace=first.stack_trace if failure_type == FailureType.system_error else None,
            failure_type=failure_type,
            stream_descriptor=first.stream_descriptor if len(errors) == 1 else None,
        )
        return AirbyteMessage(type=Type.TRACE, trace=AirbyteTraceMessage(type=TraceType.ERROR, emitted_at=_now_ms(),
                                                                           error=report))


def overall_failure_type(types: Iterable[Optional[FailureType]]) -> FailureType:
    """The failure type of a run that failed in several ways: config_error only when every failure is one (the user
    can fix them all), else system_error if any is one, else transient_error (an untyped failure is a system error)."""
    seen = {failure_type or FailureType.system_error for failure_type in types}
    if seen == {FailureType.config_error}:
        return FailureType.config_error
    return next((t for t in (FailureType.system_error, FailureType.transient_error) if t in seen),
                FailureType.system_error)


def readable(message: Optional[str], internal_message: Optional[str] = None) -> str:
    text = (message or "").strip()
    if text.startswith(RETRIES_EXHAUSTED_PREFIX):
        text = "Retries used up: " + text[len(RETRIES_EXHAUSTED_PREFIX):]
    if not text:
        text = (internal_message or "").strip().splitlines()[0] if internal_message else "The connector failed."
    return text if text.endswith((".", "!", "?")) else text + "."


def _as_error(exception: BaseException) -> AirbyteErrorTraceMessage:
    if isinstance(exception, AirbyteTracedException):
        traced = exception
    else:
        traced = AirbyteTracedException(
            message=f"The connector failed: {type(exception).__name__}: {_short(exception)}",
            internal_message=repr(exception), failure_type=FailureType.system_error, exception=exception)
    trace = traced.as_airbyte_message().trace
    assert trace is not None and trace.error is not None
    return trace.error


def _now_ms() -> float:
    import time

    return float(time.time_ns() // 1_000_000)


Emit = Callable[[str], None]
Serialize = Callable[[AirbyteMessage], str]


def _print_line(line: str) -> None:
    # One write per message: the concurrent CDK prints from several threads.
    print(f"{line}\n", end="")


# The CDK's public serializer: orjson, with a fallback to json for what orjson refuses (e.g. integers over 64 bits).
serialized: Serialize = AirbyteEntrypoint.airbyte_message_to_string


def log_message(text: str, level: Level = Level.INFO) -> AirbyteMessage:
    return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=text))


@dataclass
class Printer:
    """Prints messages: each serialised once, every secret masked in all but records (whose data is the API's,
    never a credential, and which are nearly all of a sync's output)."""

    emit: Emit
    serialize: Serialize = serialized

    def __call__(self, message: AirbyteMessage) -> None:
        line = self.serialize(message)
        self.emit(line if message.type == Type.RECORD else mask_line(line))


@dataclass
class StreamCounts:
    """The records each stream emitted (`counts`, which the output loop adds each record to); a stream's count is
    logged (stream_summary) when it ends."""

    counts: Counter[str] = field(default_factory=Counter)
    told: set[str] = field(default_factory=set)

    def see(self, message: AirbyteMessage) -> Optional[AirbyteMessage]:
        """The count line to print before `message`, when `message` ends a stream."""
        trace = message.trace if message.type == Type.TRACE else None
        status = trace.stream_status if trace is not None and trace.type == TraceType.STREAM_STATUS else None
        if status is not None and status.status in (AirbyteStreamStatus.COMPLETE, AirbyteStreamStatus.INCOMPLETE):
            return self.line(status.stream_descriptor.name)
        return None

    def rest(self) -> list[AirbyteMessage]:
        """At the end of a run: the count of each stream that emitted records but never said it ended."""
        return [line for line in map(self.line, list(self.counts)) if line is not None]

    def line(self, stream: str) -> Optional[AirbyteMessage]:
        if stream in self.told:
            return None
        self.told.add(stream)
        return log_message(summary_line(stream, {RECORDS: self.counts[stream]}))


def _fail_input(command: str, error: InputError, emit: Emit) -> int:
    text = mask(str(error))
    output = Printer(emit)
    if command == "check":
        output(AirbyteMessage(type=Type.CONNECTION_STATUS,
                              connectionStatus=AirbyteConnectionStatus(status=Status.FAILED, message=text)))
        return 0
    report = FailureReport([AirbyteErrorTraceMessage(message=text, failure_type=FailureType.config_error)])
    final = report.final(None)
    assert final is not None
    output(final)
    return 1


# ---- logs ---------------------------------------------------------------------------------------------------------
class QuietRetryLog(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        if text.startswith(RETRY_LOG_PREFIX) or text.startswith(STARTUP_NOISE):
            return False
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage().splitlines()[0]} ({type(error).__name__}: {_short(error)})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_logs() -> None:
    """On every log handler: no traceback, no CDK retry line, and every secret masked in every form."""
    for handler in logging.getLogger().handlers:
        for kind in (QuietRetryLog, MaskSecrets):
            if not any(isinstance(f, kind) for f in handler.filters):
                handler.addFilter(kind())


# ---- running ------------------------------------------------------------------------------------------------------
SourceFactory = Callable[..., Any]


def source_main(make_source: SourceFactory, argv: List[str], emit: Optional[Emit] = None) -> int:
    """Run a source command; returns the exit code. `make_source(catalog=, config=, state=)` builds the source;
    `emit` receives each output line (default: stdout, through the CDK's print buffer)."""
    parsed = AirbyteEntrypoint.parse_args(argv)
    command = parsed.command
    quiet_logs()
    serialize_ast_parse()  # the CDK's interpolation parses from the read's threads
    try:
        config = load_config(parsed.config) if command != "spec" else None
        catalog = load_catalog(parsed.catalog) if command == "read" else None
        state = load_state(parsed.state) if command == "read" and getattr(parsed, "state", None) else None
        source = make_source(catalog=catalog, config=config, state=state)
        if config is not None:
            check_config(source.spec(logger), config)
        if catalog is not None:
            _check_streams(source, catalog)
    except InputError as error:
        return _fail_input(command, error, emit or _print_line)
    return _run(KitEntrypoint(source).messages(parsed, config, catalog, state), serialized, emit)


def _check_streams(source: Any, catalog: Any) -> None:
    known = getattr(source, "stream_names", None)
    if known is None:
        return
    names = set(known())
    unknown = sorted({s.stream.name for s in catalog.streams} - names)
    if unknown:
        raise InputError(f"The catalog names stream(s) this connector does not have: {', '.join(unknown)}. "
                         f"Its streams are: {', '.join(sorted(names))}.")


def _run(messages: Iterable[AirbyteMessage], serialize: Serialize, emit: Optional[Emit] = None) -> int:
    """Print a command's messages; a run that raised ends with one readable TRACE and exit code 1."""
    if emit is None:
        with PRINT_BUFFER:  # see the module's docstring, "Output"
            return _run(messages, serialize, _print_line)
    output = Printer(emit, serialize)
    report = FailureReport()
    counts = StreamCounts()
    failure: Optional[BaseException] = None
    records = counts.counts
    try:
        for message in messages:
            if message.type == Type.RECORD and message.record is not None:  # nearly all of a sync: the short way
                records[message.record.stream] += 1
                emit(serialize(message))
                continue
            if report.holds(message):
                continue
            count = counts.see(message)
            if count is not None:
                output(count)
            output(message)
    except Exception as error:  # noqa: BLE001 - every failure ends in one readable TRACE
        failure = error
    for count in counts.rest():
        output(count)
    made = calls.summary()
    if made:  # the last log line of every run: what it cost against the vendor's limit
        output(log_message(made))
    if failure is None:
        for held in report.held:  # e.g. `check`'s TRACE before its FAILED status: the run itself went well
            output(held)
        return 0
    final = report.final(failure)
    if final is not None:
        output(final)
    return 1


ParseLines = Callable[[Iterable[str], logging.Logger], Iterable[AirbyteMessage]]


def run_destination(destination: Any, argv: Optional[List[str]] = None, dump: Optional[Serialize] = None,
                    parse: Optional[ParseLines] = None) -> None:
    sys.exit(destination_main(destination, sys.argv[1:] if argv is None else argv, dump, parse=parse))


def destination_main(destination: Any, argv: List[str], dump: Optional[Serialize] = None,
                     emit: Optional[Emit] = None, parse: Optional[ParseLines] = None,
                     stdin: Optional[Iterable[str]] = None) -> int:
    """Run a destination command; returns the exit code. `spec` and `check` go through the CDK's public `run_cmd`;
    `write` is this loop's own (the CDK's Destination reads stdin only through private methods): stdin (or `stdin`)
    read by `parse` (default: parse_messages), handed to the public `destination.write(config, catalog, messages)`,
    each message it yields printed with `dump`."""
    parsed = destination.parse_args(argv)
    command = parsed.command
    quiet_logs()
    config: dict[str, Any] = {}
    catalog = None
    try:
        if command != "spec":
            config = load_config(parsed.config)
            check_config(destination.spec(logger), config)
            if command == "write":
                catalog = load_catalog(parsed.catalog)
    except InputError as error:
        return _fail_input(command, error, emit or _print_line)
    if command == "write":
        messages = write_messages(destination, config, catalog, parse or parse_messages, stdin)
    else:
        messages = destination.run_cmd(parsed)
    return _run(messages, dump or serialized, emit)


def write_messages(destination: Any, config: Mapping[str, Any], catalog: Any, parse: ParseLines,
                   stdin: Optional[Iterable[str]] = None) -> Iterable[AirbyteMessage]:
    """A destination's `write`: the input lines, parsed, through `destination.write`, with the CDK's log lines."""
    import io

    lines = stdin if stdin is not None else io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")  # as the CDK reads it
    logger.info("Begin writing to the destination...")
    yield from destination.write(config, catalog, parse(lines, logger))
    logger.info("Writing complete.")


def parse_messages(lines: Iterable[str], log: logging.Logger) -> Iterable[AirbyteMessage]:
    """Input lines -> Airbyte messages, for a destination without a reader of its own; a line that is not a message
    is logged (shortened: it may hold data) and skipped, as the CDK does."""
    for line in lines:
        if not line.strip():
            continue
        try:
            yield AirbyteMessageSerializer.load(orjson.loads(line))
        except (orjson.JSONDecodeError, ValueError, TypeError) as error:
            log.warning(f"Ignoring input line that is not an Airbyte message ({type(error).__name__}): {line[:80]!r}")
