"""Token flow: form-encoded client credentials, one token per lifetime, renewal on 401 and before expiry, and
check failures that say what to fix."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airbyte_cdk.models import FailureType, Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from plutio_api import (config, page, read_streams, record, resource, responses, run_check, the_end, token_request,
                        token_response)

SINCE = "2024-01-01T00:00:00.000Z"


@HttpMocker()
def test_given_valid_credentials_when_read_then_form_token_request_and_bearer_with_business_header(http_mocker):
    token = token_request()
    http_mocker.post(token, token_response())
    http_mocker.get(resource("people", since=SINCE), page([record("people", "p1", "2024-02-01T00:00:00.000Z")]))
    the_end(http_mocker, "people", after=1)  # a page of 1: the end, or Plutio's cap? (the sync's probe)

    output = read_streams(config(), {"people": SyncMode.incremental})

    assert [r.record.data["_id"] for r in output.records] == ["p1"]
    # the mocker only matched because the token body was form-encoded and both headers were on the data call
    http_mocker.assert_number_of_calls(token, 1)


@HttpMocker()
def test_given_several_streams_when_read_then_one_token_call_serves_them_all(http_mocker):
    token = token_request()
    http_mocker.post(token, token_response())
    # Pages of page_size (1): full, so each stream's next page is asked for, whatever order the streams run in.
    http_mocker.get(resource("people", 1, since=SINCE), page([record("people", "p1", "2024-02-01T00:00:00.000Z")]))
    http_mocker.get(resource("statuses", 1), page([record("statuses", "s1")]))
    http_mocker.get(resource("companies", 1, since=SINCE),
                    page([record("companies", "c1", "2024-02-01T00:00:00.000Z")]))
    for path, since in (("people", SINCE), ("statuses", None), ("companies", SINCE)):
        http_mocker.get(resource(path, 1, skip=1, since=since), page([]))

    output = read_streams(config(page_size=1), {"people": SyncMode.incremental, "statuses": SyncMode.full_refresh,
                                                "companies": SyncMode.incremental})

    assert sorted(r.record.data["_id"] for r in output.records) == ["c1", "p1", "s1"]
    http_mocker.assert_number_of_calls(token, 1)


@HttpMocker()
def test_given_token_rejected_mid_sync_when_read_then_token_renewed_once_and_call_retried(http_mocker):
    token = token_request()
    http_mocker.post(token, [token_response("mock-access-token-1"), token_response("mock-access-token-2")])
    http_mocker.get(resource("people", since=SINCE), responses.error(401))
    http_mocker.get(resource("people", since=SINCE, token="mock-access-token-2"),
                    page([record("people", "p1", "2024-02-01T00:00:00.000Z")]))
    http_mocker.get(resource("people", skip=1, token="mock-access-token-2"), page([]))  # the sync's probe

    output = read_streams(config(), {"people": SyncMode.incremental})

    assert [r.record.data["_id"] for r in output.records] == ["p1"]
    assert not output.errors
    http_mocker.assert_number_of_calls(token, 2)


@HttpMocker()
def test_given_token_close_to_expiry_when_next_sync_then_token_renewed_before_it_expires(http_mocker):
    issued = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    expires = issued + timedelta(hours=1)  # renewal margin: min(5 min, lifetime / 10) = 5 min
    token = token_request()
    http_mocker.post(token, [token_response("mock-access-token-1", expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")),
                             token_response("mock-access-token-2")])
    http_mocker.get(resource("statuses"), page([record("statuses", "s1")]))
    http_mocker.get(resource("statuses", token="mock-access-token-2"), page([record("statuses", "s1")]))
    for token_value in ("mock-access-token-1", "mock-access-token-2"):  # each sync's probe after its page of 1
        http_mocker.get(resource("statuses", skip=1, token=token_value), page([]))

    with freeze_time(issued) as clock:
        read_streams(config(), {"statuses": SyncMode.full_refresh})
        clock.move_to(expires - timedelta(minutes=6))
        read_streams(config(), {"statuses": SyncMode.full_refresh})
        http_mocker.assert_number_of_calls(token, 1)
        clock.move_to(expires - timedelta(minutes=4))
        read_streams(config(), {"statuses": SyncMode.full_refresh})
    http_mocker.assert_number_of_calls(token, 2)


@HttpMocker()
def test_given_wrong_client_secret_when_check_then_failed_status_names_client_id_and_secret(http_mocker):
    http_mocker.post(token_request(client_secret="wrong-secret"), responses.error(401, "401_token"))

    output = run_check(config(client_secret="wrong-secret"))

    status = output.connection_status()
    assert status.status == Status.FAILED
    assert "`client_id`" in status.message and "`client_secret`" in status.message
    assert "wrong-secret" not in output.text()


@HttpMocker()
def test_given_403_on_the_first_call_when_check_then_failed_status_names_business_and_access(http_mocker):
    """Plutio does not document its wording for a foreign Business header: both causes are named, whatever it says."""
    http_mocker.post(token_request(business="not-mine"), token_response())
    http_mocker.get(resource("people", since=SINCE, business="not-mine"),
                    responses.json({"status": 403, "message": "Forbidden"}, 403))

    output = run_check(config(business="not-mine"))

    status = output.connection_status()
    assert status.status == Status.FAILED
    assert "`business`" in status.message and "API manager" in status.message


@HttpMocker()
def test_given_forbidden_resource_when_read_then_config_error_says_to_grant_access(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("people", since=SINCE), responses.error(403))

    output = read_streams(config(), {"people": SyncMode.incremental})

    assert not output.records and output.exit_code == 1
    error = output.errors[-1].trace.error
    assert error.failure_type == FailureType.config_error and "API manager" in error.message
