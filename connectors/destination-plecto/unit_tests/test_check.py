"""check: authenticates and confirms every mapped data source; failures name the field and what to do."""

import logging

import requests
from airbyte_cdk.models import Status

from destination_plecto import DestinationPlecto
from request_builder import DATA_SOURCE, OTHER_DATA_SOURCE, ConfigBuilder, PlectoRequests, response

LOGGER = logging.getLogger("test")


def test_given_valid_credentials_and_existing_data_sources_when_check_then_succeeded_with_one_read_each(requests_mock):
    config = ConfigBuilder().with_streams({"stream": "a", "data_source": DATA_SOURCE},
                                          {"stream": "b", "data_source": OTHER_DATA_SOURCE}).build()
    assert DestinationPlecto().check(LOGGER, config).status == Status.SUCCEEDED
    assert [r.url for r in requests_mock.request_history] == [
        PlectoRequests.data_source(DATA_SOURCE), PlectoRequests.data_source(OTHER_DATA_SOURCE)]
    assert requests_mock.request_history[0].headers["Authorization"].startswith("Basic ")


def test_given_data_source_404_when_check_then_failed_naming_field_and_uuid(requests_mock):
    missing = "0" * 32
    requests_mock.get(PlectoRequests.data_source(missing), status_code=404, json={"detail": "Not found."})
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_stream(data_source=missing).build())
    assert status.status == Status.FAILED
    assert "streams[0].data_source" in status.message and missing in status.message and "transactions" in status.message


def test_given_wrong_password_when_check_then_failed_naming_credentials_without_the_secret(requests_mock):
    requests_mock.get(PlectoRequests.data_source(DATA_SOURCE), status_code=401, json=response("401"))
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().build())
    assert status.status == Status.FAILED
    assert "'username'" in status.message and "'password'" in status.message
    assert "unit-test-password" not in status.message


def test_given_unreachable_host_when_check_then_failed_naming_base_url(requests_mock):
    requests_mock.get(PlectoRequests.data_source(DATA_SOURCE), exc=requests.exceptions.ConnectionError)
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_(max_retries=0).build())
    assert status.status == Status.FAILED and "base_url" in status.message


def test_given_invalid_mapping_when_check_then_failed_before_any_request(requests_mock):
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_stream(data_source="nope").build())
    assert status.status == Status.FAILED and "streams[0].data_source" in status.message
    assert not requests_mock.request_history
