import pytest
from connector_kit.pacing import forget_all_pacers


@pytest.fixture
def http_mocker():
    return None  # placeholder: decorators that inject a mocker need the argument to exist as a fixture


@pytest.fixture(autouse=True)
def no_sleep(mocker):
    """Backoff, Retry-After and pacing waits return at once; tests assert on the requested durations."""
    return mocker.patch("time.sleep")


@pytest.fixture(autouse=True)
def new_call_budget():
    """Each test starts with Plecto's hourly budget untouched (budgets are shared per process, as in a sync)."""
    forget_all_pacers()
    yield
    forget_all_pacers()
