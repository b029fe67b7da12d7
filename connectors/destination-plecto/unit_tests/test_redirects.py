"""The Plecto client follows no redirect: a 3xx is a readable error, never a request to another host nor an
acknowledgement."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_plecto import DestinationPlecto
from request_builder import DATA_SOURCE, ConfigBuilder, PlectoRequests, accept_all, catalog, record, state

OTHER_HOST = "https://collector.example.net:8443"
LOCATION = f"{OTHER_HOST}/api/v2/registrations/?token=leaked-value&amount=120"


@pytest.fixture
def other_host(requests_mock):
    """The host a redirect points at: it would store and acknowledge anything."""
    requests_mock.post(f"{OTHER_HOST}/api/v2/registrations/", json=accept_all)
    requests_mock.get(f"{OTHER_HOST}/api/v2/registrations/", json={"count": 0, "next": None, "results": []})
    requests_mock.get(f"{OTHER_HOST}/api/v2/datasources/{DATA_SOURCE}/", json={"uuid": DATA_SOURCE, "fields": []})
    return requests_mock


def calls_to_other_host(requests_mock) -> list[str]:
    return [r.url for r in requests_mock.request_history if r.url.startswith(OTHER_HOST)]


@pytest.mark.parametrize("status", [307, 308, 302, 301])
def test_given_a_redirect_on_post_when_write_then_readable_error_nothing_sent_elsewhere_and_no_state(other_host, status):
    other_host.post(PlectoRequests.registrations(), status_code=status, headers={"Location": LOCATION})
    emitted = []
    with pytest.raises(AirbyteTracedException) as error:
        for message in DestinationPlecto().write(ConfigBuilder().build(), catalog(), iter([record({"id": 1}), state("s")])):
            emitted.append(message)
    assert emitted == []  # not acknowledged
    assert calls_to_other_host(other_host) == []
    message = error.value.message
    assert str(status) in message and OTHER_HOST in message and "POST /registrations/" in message
    assert f"a redirect to {OTHER_HOST} " in message and "leaked-value" not in message and "token=" not in message
    assert error.value.failure_type == FailureType.config_error
    assert len([r for r in other_host.request_history if r.method == "POST"]) == 1  # not retried


@pytest.mark.parametrize("status", [302, 307])
def test_given_a_redirect_on_get_when_write_then_readable_error_and_no_request_to_the_other_host(other_host, status):
    other_host.get(PlectoRequests.data_source(DATA_SOURCE), status_code=status,
                   headers={"Location": f"{OTHER_HOST}/api/v2/datasources/{DATA_SOURCE}/?session=abc"})
    with pytest.raises(AirbyteTracedException) as error:
        list(DestinationPlecto().write(ConfigBuilder().build(), catalog(), iter([record({"id": 1})])))
    assert calls_to_other_host(other_host) == []
    assert str(status) in error.value.message and OTHER_HOST in error.value.message
    assert "session=abc" not in error.value.message


def test_given_a_redirect_when_listing_registrations_then_readable_error_and_no_request_to_the_other_host(other_host):
    from destination_plecto.client import PlectoClient
    from destination_plecto.config import PlectoConfig

    other_host.get(PlectoRequests.registrations(), status_code=302, headers={"Location": LOCATION})
    with pytest.raises(AirbyteTracedException, match="302"):
        list(PlectoClient(PlectoConfig.parse(ConfigBuilder().build())).iter_registrations(DATA_SOURCE))
    assert calls_to_other_host(other_host) == []


@pytest.mark.parametrize(("location", "named"), [
    ("https://user:pw@login.example.com/sso?next=/api", "https://login.example.com"),  # credentials and query left out
    ("/accounts/login/?next=/api/v2/", "https://app.plecto.com"),  # relative: the same host
    ("http://[::1]:8080/x?q=1", "http://[::1]:8080"),
])
def test_given_a_redirect_when_called_then_error_names_only_the_locations_scheme_and_host(requests_mock, location, named):
    from destination_plecto.client import PlectoClient
    from destination_plecto.config import PlectoConfig

    requests_mock.get(PlectoRequests.data_source(DATA_SOURCE), status_code=301, headers={"Location": location})
    with pytest.raises(AirbyteTracedException) as error:
        PlectoClient(PlectoConfig.parse(ConfigBuilder().build())).get_data_source(DATA_SOURCE)
    assert f"a redirect to {named} " in error.value.message
    assert "pw" not in error.value.message and "next=" not in error.value.message and "q=1" not in error.value.message
    assert len(requests_mock.request_history) == 1
