import pytest
from connector_kit.pacing import forget_all_pacers

from request_builder import DATA_SOURCE, OTHER_DATA_SOURCE, PlectoRequests


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


@pytest.fixture(autouse=True)
def data_sources_without_fields(requests_mock):
    """Every write reads its data sources' fields first: by default both test data sources exist and have no
    fields yet (tests about fields register their own answer, which wins)."""
    for uuid, title in ((DATA_SOURCE, "Transactions"), (OTHER_DATA_SOURCE, "Sales")):
        requests_mock.get(PlectoRequests.data_source(uuid), json={"uuid": uuid, "title": title, "fields": []})
