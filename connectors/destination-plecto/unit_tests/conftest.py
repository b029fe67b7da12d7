import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # request_builder, helpers


@pytest.fixture
def http_mocker():
    return None  # placeholder: decorators that inject a mocker need the argument to exist as a fixture


@pytest.fixture(autouse=True)
def no_sleep(mocker):
    """Backoff, Retry-After and pacing waits return at once; tests assert on the requested durations."""
    return mocker.patch("time.sleep")
