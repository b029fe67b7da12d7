"""Rate limits and server errors: 429 waits for Retry-After, 5xx retries with backoff then fails clearly."""

from __future__ import annotations

from typing import Iterator
from unittest.mock import MagicMock

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from freezegun import freeze_time

from pluggy_api import (auth_request, auth_response, config, error_response, get, json_response, mock_parents,
                        page_response, paged, read_streams, record)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[MagicMock]:
    """Sleeping advances a frozen clock instead of waiting: the CDK's rate-limit budget sees time pass, as it would."""
    with freeze_time("2026-01-01T10:00:00Z") as clock:
        # Real time always moves on a little: a zero wait must not leave the clock on the window's inclusive edge.
        recorder = MagicMock(side_effect=lambda seconds: clock.tick(seconds + 0.001))
        monkeypatch.setattr("time.sleep", recorder)
        # The rate limiter reads its own reference to time.time, which freezegun does not replace.
        monkeypatch.setattr("pyrate_limiter.clocks.time", lambda: clock.time_to_freeze.timestamp())
        yield recorder


@HttpMocker()
def test_given_429_with_retry_after_when_reading_then_waits_that_long_and_retries(http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    # The headers Pluggy documents on a 429.
    limited = error_response(429, {"Retry-After": "7", "RateLimit-Limit": "360", "RateLimit-Reset": "7"})
    http_mocker.get(paged("/categories"), [limited, page_response([record("categories")])])

    output = read_streams(["categories"], config())

    assert len(output.records) == 1
    assert any(call.args and call.args[0] >= 7 for call in sleeps.call_args_list)


@HttpMocker()
def test_given_5xx_burst_when_reading_then_retries_with_backoff_and_succeeds(http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/connectors"), [error_response(500), error_response(500), page_response([record("connectors")])])

    output = read_streams(["connectors"], config())

    assert len(output.records) == 1
    assert sleeps.call_count >= 2


@HttpMocker()
def test_given_persistent_5xx_when_retries_run_out_then_sync_fails_naming_the_endpoint(http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/connectors"), error_response(500))

    output = read_streams(["connectors"], config(), expect_error=True)

    assert output.records == []
    message = output.errors[-1].trace.error
    assert sleeps.call_count >= 5  # backed off between retries before giving up
    assert "Pluggy server error 500" in message.message and "try the sync later" in message.message


@HttpMocker()
def test_given_403_when_reading_then_config_error_says_to_enable_the_product(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), error_response(403))

    output = read_streams(["categories"], config(), expect_error=True)

    errors = [e.trace.error for e in output.errors]
    assert any(e.failure_type == FailureType.config_error and "client_id" in e.message for e in errors)


@HttpMocker()
def test_given_item_without_identity_when_reading_identity_then_that_item_is_skipped(http_mocker):
    with_identity, without = record("items", id="i-1"), record("items", id="i-2")
    mock_parents(http_mocker, [with_identity, without])
    http_mocker.get(get("/identity", itemId="i-1"), json_response(record("identity")))
    http_mocker.get(get("/identity", itemId="i-2"), json_response({"code": 404, "message": "Identity not found"}, 404))

    output = read_streams(["identity"], config())

    assert [(r.record.data["id"], r.record.data["itemId"]) for r in output.records] == [(record("identity")["id"], "i-1")]


@HttpMocker()
def test_given_a_body_that_is_not_json_when_reading_then_retried_not_taken_for_an_empty_page(http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    garbled = HttpResponse('{"results": [ this is not json', status_code=200)
    http_mocker.get(paged("/categories"), [garbled, page_response([record("categories")])])

    output = read_streams(["categories"], config())

    assert len(output.records) == 1


@HttpMocker()
def test_given_bodies_that_stay_malformed_when_retries_run_out_then_sync_fails_naming_the_endpoint(http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), HttpResponse("<html>maintenance</html>", status_code=200))

    output = read_streams(["categories"], config(), expect_error=True)

    assert output.records == []
    assert any("/categories" in e.trace.error.message and "not the documented JSON" in e.trace.error.message
               for e in output.errors)


@HttpMocker()
def test_given_per_endpoint_limit_when_more_pages_than_allowed_then_waits_before_the_server_must_say_429(
        http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    for n in (1, 2, 3):
        http_mocker.get(paged("/categories", page=n), page_response([record("categories", id=f"0{n}000000")], n, 3))

    output = read_streams(["categories"], config(requests_per_minute=2))

    assert len(output.records) == 3
    waits = [call.args[0] for call in sleeps.call_args_list if call.args]
    assert sum(waits) >= 50  # the third call waited for the one-minute window to free a slot
