"""Shared fixtures of the source-pluggy mock-server tests."""

from __future__ import annotations

import pytest

from source_pluggy import components


@pytest.fixture
def http_mocker():
    """Placeholder: @HttpMocker() injects the real mocker into decorated test functions."""
    return None


@pytest.fixture(autouse=True)
def isolate_run(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Each test is a new sync: no API key shared from an earlier test, a fresh HTTP cache, no real waiting."""
    components._SHARED_SESSIONS.clear()
    monkeypatch.setenv("REQUEST_CACHE_PATH", str(tmp_path))
    monkeypatch.setattr("time.sleep", lambda seconds: None)
