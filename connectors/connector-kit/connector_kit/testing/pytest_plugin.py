"""Fixtures of every connector's mock-server tests (`pytest_plugins = ["connector_kit.testing.pytest_plugin"]`).

- `http_mocker`: a placeholder so pytest does not look for a real fixture; `@HttpMocker()` injects the mocker.
- every test is a new sync: no token, call budget or secret to mask carried over from an earlier test, and a
  fresh HTTP cache directory;
- `sleeps`: time.sleep is recorded instead of waited (the CDK's backoff and our own both sleep through it).
"""

from __future__ import annotations

from typing import Iterator
from unittest.mock import MagicMock

import pytest

from connector_kit.auth import forget_all_tokens
from connector_kit.calls import forget_all_calls
from connector_kit.pacing import forget_all_pacers
from connector_kit.redact import forget_all_secrets


@pytest.fixture
def http_mocker() -> None:
    return None


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> MagicMock:
    recorder = MagicMock(return_value=None)
    monkeypatch.setattr("time.sleep", recorder)
    return recorder


@pytest.fixture(autouse=True)
def new_sync(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    forget_all_tokens()
    forget_all_pacers()
    forget_all_calls()
    forget_all_secrets()
    monkeypatch.setenv("REQUEST_CACHE_PATH", str(tmp_path))
    yield
    forget_all_tokens()
    forget_all_pacers()
