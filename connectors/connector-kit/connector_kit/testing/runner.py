"""Run a connector's entry point in-process, as its CLI would run, and return what it emitted.

The whole command path runs (files, config checks, the failure report), not only the source's `read`:
`run(main, "check", config=...)` where `main` is the connector's `main(argv, emit)` (e.g.
`source_pluggy.run.main`). Logs are captured too, so `output.logs` works as with the CDK's helpers.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from airbyte_cdk.logger import AirbyteLogFormatter
from airbyte_cdk.models import AirbyteStateMessageSerializer, ConfiguredAirbyteCatalogSerializer
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput

Main = Callable[..., int]


class Outcome(EntrypointOutput):
    """The CDK's EntrypointOutput plus the exit code."""

    def __init__(self, messages: list[str], exit_code: int) -> None:
        super().__init__(messages=messages or [])
        self.exit_code = exit_code
        self.lines = list(messages)

    def text(self) -> str:
        """Everything the run printed (messages and logs), one line each."""
        return "\n".join(self.lines)

    def error_message(self) -> str:
        """The message of the run's last error TRACE ('' when there is none)."""
        errors = [m.trace.error for m in self.errors if m.trace and m.trace.error]
        return errors[-1].message if errors else ""

    def connection_status(self) -> Any:
        return [m.connectionStatus for m in self.connection_status_messages][-1]


def _doc(value: Any, serializer: Any = None) -> Any:
    if value is None or isinstance(value, (dict, str)):
        return value
    if isinstance(value, list):
        return [AirbyteStateMessageSerializer.dump(v) if not isinstance(v, dict) else v for v in value]
    if serializer is not None:
        return serializer.dump(value)
    return asdict(value) if is_dataclass(value) else value


def run(main: Main, verb: str, *, config: Any = None, catalog: Any = None, state: Any = None,
        args: Optional[list[str]] = None, stdin: Optional[str] = None) -> Outcome:
    """`config`/`catalog`/`state`: documents (written to files) or raw text (written as is) or None."""
    messages: list[str] = []
    capture = io.StringIO()
    handler = logging.StreamHandler(capture)
    handler.setLevel(logging.INFO)
    handler.setFormatter(AirbyteLogFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with tempfile.TemporaryDirectory() as folder:
            argv = [verb, *(args or [])]
            for flag, value, serializer in (("--config", config, None),
                                            ("--catalog", catalog, ConfiguredAirbyteCatalogSerializer),
                                            ("--state", state, None)):
                if value is None:
                    continue
                path = Path(folder) / f"{flag[2:]}.json"
                document = _doc(value, serializer)
                path.write_text(document if isinstance(document, str) else json.dumps(document))
                argv += [flag, str(path)]
            if stdin is not None:
                import sys
                from unittest import mock

                with mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")):
                    code = main(argv, emit=messages.append)
            else:
                code = main(argv, emit=messages.append)
    finally:
        root.removeHandler(handler)
    logs = [line for line in capture.getvalue().split("\n") if line.startswith("{")]
    return Outcome(messages + logs, code)
