"""The client secret and the token stay on Plutio's host and out of every output line; answers are bounded.

HttpMocker answers only the requests a test registers: a request to any other host fails the test by itself, so
"nothing was sent there" holds in every test below without a mock for the other host."""

from __future__ import annotations

from urllib.parse import urlencode

from airbyte_cdk.models import Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from connector_kit.testing.mock_server import RequestBuilder
from connector_kit.testing.secret_scan import leaked_forms

from plutio_api import (BASE_URL, BUSINESS, CLIENT_ID, config, page, read_streams, record, resource, responses,
                        run_check, token_request, token_response)

ELSEWHERE = "https://collector.example.net:8443"
SECRET = 's3c/r+t k"y-é'  # changes under every encoding


@HttpMocker()
def test_given_the_token_endpoint_redirects_elsewhere_when_check_then_a_config_error_naming_the_host_and_no_repost(
        http_mocker):
    http_mocker.post(token_request(), responses.json({}, 308, {"Location": f"{ELSEWHERE}/oauth/token?copy=1"}))

    status = run_check(config()).connection_status()

    assert status.status == Status.FAILED
    assert f"answered 308, a redirect to {ELSEWHERE}; it was not followed" in status.message
    assert "copy=1" not in status.message


@HttpMocker()
def test_given_an_api_call_redirected_elsewhere_when_read_then_refused_and_the_token_never_sent_there(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("statuses"), responses.json({}, 307, {"Location": f"{ELSEWHERE}/v1.8/statuses"}))

    output = read_streams(config(), {"statuses": SyncMode.full_refresh})

    assert output.exit_code == 1
    assert f"GET /v1.8/statuses was redirected (307) to {ELSEWHERE}, another host than the configured " \
           "https://api.plutio.com" in output.error_message()


@HttpMocker()
def test_given_a_token_endpoint_that_echoes_the_request_when_check_then_no_form_of_the_secret_in_any_line(http_mocker):
    sent = urlencode({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET})
    echo = {"message": f"invalid client: {sent}", "request": {"headers": {"Business": BUSINESS}, "body": sent}}
    http_mocker.post(RequestBuilder(f"{BASE_URL}/oauth/token", headers={"Business": BUSINESS}).with_body(sent).build(),
                     responses.json(echo, 401))

    output = run_check(config(client_secret=SECRET))

    assert output.connection_status().status == Status.FAILED
    assert "invalid client: " in output.connection_status().message
    assert leaked_forms([SECRET], output.text()) == []


@HttpMocker()
def test_given_an_answer_larger_than_max_response_mb_when_read_then_fails_naming_the_endpoint_and_the_setting(
        http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("statuses"), page([record("statuses", "s1", title="x" * (1024 * 1024))]))

    output = read_streams(config(max_response_mb=1), {"statuses": SyncMode.full_refresh})

    assert output.exit_code == 1 and output.records == []
    assert "the answer to GET /v1.8/statuses is larger than `max_response_mb` (1 MB" in output.error_message()
