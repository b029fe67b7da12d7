"""Mock-server test setup: a placeholder `http_mocker` fixture for @HttpMocker-decorated functions, instant
backoff, and no OAuth token carried from one test to the next (the authenticator shares tokens per process)."""

from typing import Iterator

import pytest

from source_protime.components import ProtimeOAuthAuthenticator


@pytest.fixture
def http_mocker() -> None:
    """Replaced by @HttpMocker(); declared so pytest does not look for a real fixture."""
    return None


@pytest.fixture(autouse=True)
def _no_sleep_and_fresh_tokens(mocker) -> Iterator[None]:
    mocker.patch("time.sleep")
    ProtimeOAuthAuthenticator.clear_shared_tokens()
    yield
    ProtimeOAuthAuthenticator.clear_shared_tokens()
