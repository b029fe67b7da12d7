"""What a connector said while it ran: its own failure message (the TRACE error, never a traceback), the lines
worth showing as progress (waits, streams done, warnings, data sources created), each stream's summary line
(connector_kit.stream_summary: a source's `Stream 'x': records=27` when the stream ends, destination-plecto's
`Stream 'x': posts=3, received=240, stored=240`) and the API calls the run made. Every line read here is one our
connectors write themselves, none of the CDK's."""

from __future__ import annotations

import logging
import re
from typing import Optional

from connector_kit.stream_summary import RECORDS, parse_summary

from airbyte_pipeline.progress import Progress

WORTH_SHOWING = re.compile(r"\bwaiting\b|\bcreated Plecto data source\b", re.IGNORECASE)
# connector_kit.calls: the last log line of every run of our connectors, e.g. "11 API calls: GET /accounts 2, ..."
API_CALLS = re.compile(r"^(?P<total>\d+) API calls?: (?P<by_endpoint>.+)$")


class ConnectorOutput:
    def __init__(self, who: str, progress: Progress) -> None:
        self.who = who
        self.progress = progress
        self.trace_errors: list[str] = []
        self.errors: list[str] = []
        self.summaries: dict[str, dict[str, int]] = {}
        self.api_calls: Optional[str] = None  # "11 API calls: GET /accounts 2, ...", as the connector reported it

    def log(self, level: str, message: str) -> None:
        if API_CALLS.match(message):
            self.api_calls = message
            return
        summary = parse_summary(message)
        if summary:
            stream, stats = summary
            self.summaries[stream] = stats
            if RECORDS in stats:  # a source's stream has ended
                self.progress.say(self.who, f"{stream}: {stats[RECORDS]} records read")
        elif level in ("WARN", "WARNING", "ERROR", "FATAL"):
            if level in ("ERROR", "FATAL"):
                self.errors.append(message)
            self.progress.say(self.who, f"{level.lower()}: {first_line(message)}")
        elif WORTH_SHOWING.search(message):
            self.progress.say(self.who, first_line(message).split(". ")[0])

    def trace_error(self, message: str) -> None:
        self.trace_errors.append(message)

    def failure(self) -> Optional[str]:
        """The connector's own account of why it failed, if it gave one."""
        if self.trace_errors:
            return self.trace_errors[-1]
        return self.errors[-1] if self.errors else None


def first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


class PyAirbyteConnectorLog(logging.Handler):
    """PyAirbyte logs a connector's LOG messages at INFO and its TRACE errors at ERROR, on `airbyte.<connector>`."""

    def __init__(self, output: ConnectorOutput) -> None:
        super().__init__(logging.INFO)
        self.output = output

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.output.trace_error(message)
        else:
            self.output.log("INFO", message)
