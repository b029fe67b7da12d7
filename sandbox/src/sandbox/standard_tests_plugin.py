"""Pytest plugin for `airbyte-cdk connector test connectors/<name>`: start the connector's emulator on its
fixed loopback port for the run, so the stock standard tests pass offline with no manual `make sandbox`.

A connector's root conftest.py loads it with `pytest_plugins`. It only acts when the session holds the
generated standard tests (test_airbyte_standards.py), and leaves an emulator that already listens alone.
"""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from sandbox import EMULATORS, emulator_class

STANDARD_TESTS_FILE = "test_airbyte_standards.py"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def sandbox_for_standard_tests(vendor: str):
    """Build the session fixture that runs `vendor`'s emulator during the standard tests."""

    @pytest.fixture(scope="session", autouse=True)
    def _vendor_sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
        wanted = any(item.fspath.basename == STANDARD_TESTS_FILE for item in request.session.items)
        port = EMULATORS[vendor][1]
        if not wanted or _listening(port):
            yield
            return
        emulator = emulator_class(vendor)(size="small", seed=42).start(port=port)
        try:
            yield
        finally:
            emulator.stop()

    return _vendor_sandbox
