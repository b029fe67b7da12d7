"""Mock-server test setup: no real sleeping, no token carried over between tests."""

from __future__ import annotations

from typing import Iterator

import pytest

from source_plutio.components import PlutioOAuthAuthenticator


@pytest.fixture
def http_mocker() -> None:
    """Placeholder: @HttpMocker() injects the real mocker into this argument."""
    return None


@pytest.fixture(autouse=True)
def no_sleep(mocker) -> Iterator[object]:
    yield mocker.patch("time.sleep")


@pytest.fixture(autouse=True)
def fresh_tokens() -> Iterator[None]:
    # Tokens are shared per process on purpose (one token per lifetime); tests each start without one.
    PlutioOAuthAuthenticator.forget_tokens()
    yield
    PlutioOAuthAuthenticator.forget_tokens()
