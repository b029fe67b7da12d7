"""Rate limits, server errors and answers that cannot be trusted: waits, retries, and a readable failure."""

from __future__ import annotations

from typing import Iterator
from unittest.mock import MagicMock

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from freezegun import freeze_time

from pluggy_api import (auth_request, auth_response, config, cursor_response, error_response, get, json_response,
                        mock_parents, page_response, paged, read_streams, record)

ITEM = record("items")
ACCOUNT = record("accounts", itemId=ITEM["id"])


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


def waits(sleeps: MagicMock) -> list[float]:
    """The waits asked for (the `backoff` library also calls sleep(0) between tries)."""
    return [call.args[0] for call in sleeps.call_args_list if call.args and call.args[0]]


def final_error(output):
    assert output.exit_code == 1
    return [m.trace.error for m in output.errors][-1]


@HttpMocker()
def test_given_429_with_retry_after_when_reading_then_waits_that_long_and_retries(http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    # The headers Pluggy documents on a 429.
    limited = error_response(429, {"Retry-After": "7", "RateLimit-Limit": "360", "RateLimit-Reset": "7"})
    http_mocker.get(paged("/categories"), [limited, page_response([record("categories")])])

    output = read_streams(["categories"], config())

    assert len(output.records) == 1
    assert 7 <= max(waits(sleeps)) < 10


@HttpMocker()
def test_given_429_with_only_retry_after_when_reading_then_the_rate_budget_adds_no_wait_of_its_own(http_mocker,
                                                                                                  sleeps):
    # Without RateLimit-Reset the CDK's budget would read the 429 as "no call left" and park the endpoint for its
    # whole 62 s window, whatever Retry-After says: the manifest keeps the budget out of it.
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), [error_response(429, {"Retry-After": "3"}), page_response([record("categories")])])

    output = read_streams(["categories"], config())

    assert len(output.records) == 1
    assert 3 <= max(waits(sleeps)) < 10


@HttpMocker()
def test_given_429_with_only_ratelimit_reset_when_reading_then_waits_until_the_reset(http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), [error_response(429, {"RateLimit-Reset": "13"}),
                                           page_response([record("categories")])])

    output = read_streams(["categories"], config())

    assert len(output.records) == 1
    assert any(13 <= seconds < 20 for seconds in waits(sleeps))


@HttpMocker()
def test_given_5xx_burst_when_reading_then_waits_grow_exponentially_from_the_configured_first_wait(http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/connectors"), [error_response(500), error_response(500), error_response(500),
                                           page_response([record("connectors")])])

    output = read_streams(["connectors"], config(retry_backoff_seconds=3))

    assert len(output.records) == 1
    # The CDK adds one second to each wait a strategy asks for: 3, 6, 12 s become 4, 7, 13 s.
    assert [round(s) for s in waits(sleeps)][:3] == [4, 7, 13]


@HttpMocker()
def test_given_persistent_5xx_when_retries_run_out_then_one_readable_trace_names_stream_endpoint_status_and_what_to_do(
        http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/connectors"), error_response(500))

    output = read_streams(["connectors"], config(max_retries=2))

    assert output.records == []
    error = final_error(output)
    assert len(output.errors) == 1
    assert error.failure_type == FailureType.transient_error
    assert "Stream connectors" in error.message and "GET /connectors" in error.message
    assert "500" in error.message and "Internal server error" in error.message and "again later" in error.message
    assert "Traceback" not in error.message and "AirbyteTracedException(" not in error.message
    assert len(waits(sleeps)) == 2  # max_retries from the config


@HttpMocker()
def test_given_403_when_reading_then_config_error_says_to_enable_the_product(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), error_response(403))

    output = read_streams(["categories"], config())

    error = final_error(output)
    assert error.failure_type == FailureType.config_error and "client_id" in error.message


@HttpMocker()
def test_given_404_on_one_stream_when_reading_then_system_error_not_config_error(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), json_response({"code": 404, "message": "Not found"}, 404))
    http_mocker.get(paged("/connectors"), page_response([record("connectors")]))

    output = read_streams(["categories", "connectors"], config())

    error = final_error(output)
    assert error.failure_type == FailureType.system_error
    assert "Stream categories" in error.message and "404" in error.message
    assert len(output.records) == 1  # the other stream was read


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
def test_given_json_of_the_wrong_shape_when_reading_then_not_emitted_as_a_record_and_retried(http_mocker, sleeps):
    """A 200 object without `results` must not become a transaction nor end the account's pages early."""
    mock_parents(http_mocker, [ITEM], [ACCOUNT])
    first = get("/v2/transactions", accountId=ACCOUNT["id"], createdAtFrom="1970-01-01T00:00:00.000Z")
    http_mocker.get(first, [json_response({"message": "ok", "data": {"id": "not-a-transaction"}}),
                            cursor_response([record("transactions", id="t1")], None)])

    output = read_streams(["transactions"], config())

    assert [r.record.data["id"] for r in output.records] == ["t1"]
    http_mocker.assert_number_of_calls(first, 2)


@HttpMocker()
def test_given_bodies_that_stay_malformed_when_retries_run_out_then_system_error_quotes_endpoint_and_body(
        http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), HttpResponse("<html><body>Down for maintenance</body></html>", 200))

    output = read_streams(["categories"], config(max_retries=1))

    assert output.records == []
    error = final_error(output)
    assert error.failure_type == FailureType.system_error
    assert "GET /categories" in error.message and "not JSON" in error.message
    assert "Down for maintenance" in error.message


@HttpMocker()
def test_given_a_parent_answer_that_failed_its_check_when_retried_then_the_retry_reaches_the_server(http_mocker, sleeps):
    """The accounts list is read through the HTTP cache: an HTML 200 must not be stored and replayed to its own retry.
    One reader only: with a second one (the transactions' accounts parent) the two race to the server, and the
    number of calls is 2 or 3 depending on which fills the cache first."""
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([ITEM]))
    accounts = paged("/accounts", itemId=ITEM["id"])
    http_mocker.get(accounts, [HttpResponse("<html>proxy error</html>", 200), page_response([ACCOUNT])])

    output = read_streams(["accounts"], config())

    assert [r.record.data["id"] for r in output.records] == [ACCOUNT["id"]]
    # Two calls reached the server: the bad answer and its retry (a cached bad answer would have made it one).
    http_mocker.assert_number_of_calls(accounts, 2)


@HttpMocker()
def test_given_a_read_timeout_when_reading_then_retried_like_a_5xx(http_mocker, sleeps, monkeypatch):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), page_response([record("categories")]))
    calls = {"n": 0}
    original = requests.Session.send

    def stall_once(self, request, **kwargs):
        assert kwargs.get("timeout") == (10, 7)  # connect and the configured read timeout, on every call
        if "/categories" not in request.url:
            return original(self, request, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            raise requests.exceptions.ReadTimeout("read timed out", request=request)
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", stall_once)

    output = read_streams(["categories"], config(read_timeout_seconds=7))

    assert len(output.records) == 1 and calls["n"] == 2


@HttpMocker()
def test_given_per_endpoint_limit_when_more_pages_than_allowed_then_waits_before_the_server_must_say_429(
        http_mocker, sleeps):
    http_mocker.post(auth_request(), auth_response())
    for n in (1, 2, 3):
        http_mocker.get(paged("/categories", page=n), page_response([record("categories", id=f"0{n}000000")], n, 3))

    output = read_streams(["categories"], config(requests_per_minute=2))

    assert len(output.records) == 3
    assert sum(waits(sleeps)) >= 50  # the third call waited for the one-minute window to free a slot
