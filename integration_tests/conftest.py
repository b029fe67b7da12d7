"""Fixtures shared by every sandbox test: start an emulator on a free loopback port for one test module."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sandbox import emulator_class

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def start_emulator() -> Iterator[Callable[..., object]]:
    """Factory: `start_emulator("pluggy", size="small", seed=42)` returns a started emulator, stopped after the module."""
    started = []

    def start(name: str, **kwargs: object) -> object:
        emulator = emulator_class(name)(**kwargs).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture(scope="module")
def emulator(request: pytest.FixtureRequest, start_emulator: Callable[..., object]) -> object:
    """The emulator a test module declares, e.g. `EMULATOR = ("plecto", {})`, started once for the module."""
    name, kwargs = request.module.EMULATOR
    return start_emulator(name, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_declared_emulator(request: pytest.FixtureRequest) -> None:
    """Each test of a module that declares EMULATOR starts from the seeded data, no faults, no call log."""
    if hasattr(request.module, "EMULATOR"):
        request.getfixturevalue("no_proxy")
        request.getfixturevalue("emulator").reset()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
