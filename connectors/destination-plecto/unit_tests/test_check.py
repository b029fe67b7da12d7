"""check: authenticates and confirms every mapped data source; failures name the field and what to do."""

import logging

import requests
from airbyte_cdk.models import Status

from destination_plecto import DestinationPlecto
from request_builder import DATA_SOURCE, OTHER_DATA_SOURCE, ConfigBuilder, PlectoRequests, response

LOGGER = logging.getLogger("test")


def test_given_valid_credentials_and_listed_data_sources_when_check_then_succeeded_with_one_call(requests_mock):
    requests_mock.get(PlectoRequests.data_sources(), json=response("datasources"))
    config = ConfigBuilder().with_streams({"stream": "a", "data_source": DATA_SOURCE},
                                          {"stream": "b", "data_source": OTHER_DATA_SOURCE}).build()
    assert DestinationPlecto().check(LOGGER, config).status == Status.SUCCEEDED
    assert requests_mock.call_count == 1
    assert requests_mock.request_history[0].headers["Authorization"].startswith("Basic ")


def test_given_data_source_missing_from_list_and_404_when_check_then_failed_naming_field_and_uuid(requests_mock):
    missing = "0" * 32
    requests_mock.get(PlectoRequests.data_sources(), json=response("datasources"))
    requests_mock.get(PlectoRequests.data_source(missing), status_code=404, json={"detail": "Not found."})
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_stream(data_source=missing).build())
    assert status.status == Status.FAILED
    assert "streams[0].data_source" in status.message and missing in status.message and "transactions" in status.message


def test_given_data_source_hidden_from_list_but_readable_when_check_then_succeeded(requests_mock):
    requests_mock.get(PlectoRequests.data_sources(), json=[])
    requests_mock.get(PlectoRequests.data_source(DATA_SOURCE), json={"uuid": DATA_SOURCE, "title": "T"})
    assert DestinationPlecto().check(LOGGER, ConfigBuilder().build()).status == Status.SUCCEEDED


def test_given_wrong_password_when_check_then_failed_naming_credentials_without_the_secret(requests_mock):
    requests_mock.get(PlectoRequests.data_sources(), status_code=401, json=response("401"))
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().build())
    assert status.status == Status.FAILED
    assert "'username'" in status.message and "'password'" in status.message
    assert "unit-test-password" not in status.message


def test_given_unreachable_host_when_check_then_failed_naming_base_url(requests_mock):
    requests_mock.get(PlectoRequests.data_sources(), exc=requests.exceptions.ConnectionError)
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_(max_retries=0).build())
    assert status.status == Status.FAILED and "base_url" in status.message


def test_given_invalid_mapping_when_check_then_failed_before_any_request(requests_mock):
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_stream(data_source="nope").build())
    assert status.status == Status.FAILED and "streams[0].data_source" in status.message
    assert not requests_mock.request_history
