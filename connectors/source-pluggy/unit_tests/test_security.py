"""The API key and the client secret stay on Pluggy's host and out of every output line; answers are bounded.

HttpMocker answers only the requests a test registers: a request to any other host fails the test by itself, so
"nothing was sent there" holds in every test below without a mock for the other host."""

from __future__ import annotations

import json

from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker
from connector_kit.testing.mock_server import RequestBuilder
from connector_kit.testing.secret_scan import leaked_forms

from pluggy_api import (BASE_URL, CLIENT_ID, auth_request, auth_response, config, json_response, paged, read_streams,
                        responses, run_check)

ELSEWHERE = "https://collector.example.net:8443"
SECRET = 's3c/r+t k"y-é'  # changes under every encoding


@HttpMocker()
def test_given_the_auth_endpoint_redirects_elsewhere_when_check_then_a_config_error_naming_the_host_and_no_repost(
        http_mocker):
    http_mocker.post(auth_request(), responses.json({}, 307, {"Location": f"{ELSEWHERE}/auth?copy=1"}))

    status = run_check(config()).connection_status()

    assert status.status == Status.FAILED
    assert f"answered 307, a redirect to {ELSEWHERE}; it was not followed" in status.message
    assert "copy=1" not in status.message


@HttpMocker()
def test_given_an_api_call_redirected_elsewhere_when_read_then_refused_and_the_api_key_never_sent_there(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), responses.json({}, 302, {"Location": f"{ELSEWHERE}/categories"}))

    output = read_streams(["categories"], config())

    assert output.exit_code == 1
    assert f"GET /categories was redirected (302) to {ELSEWHERE}, another host than the configured {BASE_URL}" \
        in output.error_message()


@HttpMocker()
def test_given_an_api_call_redirected_within_pluggy_when_read_then_followed(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(paged("/categories"), responses.json({}, 301, {"Location": "/v1/categories?pageSize=500"}))
    moved = RequestBuilder(f"{BASE_URL}/v1/categories", headers={"X-API-KEY": "key-one"}).with_param("pageSize", "500")
    http_mocker.get(moved.build(), responses.json({"total": 1, "totalPages": 1, "page": 1, "results": [{"id": "1"}]}))

    output = read_streams(["categories"], config())

    assert [r.record.data["id"] for r in output.records] == ["1"]


@HttpMocker()
def test_given_an_auth_endpoint_that_echoes_the_request_when_check_then_no_form_of_the_secret_in_any_line(http_mocker):
    sent = json.dumps({"clientId": CLIENT_ID, "clientSecret": SECRET})
    echo = {"message": f"rejected: {sent}", "request": {"body": sent, "form": f"clientSecret={SECRET}"}}
    http_mocker.post(RequestBuilder(f"{BASE_URL}/auth").with_body(sent).build(), json_response(echo, 401))

    output = run_check(config(client_secret=SECRET))

    assert output.connection_status().status == Status.FAILED and "rejected: " in output.connection_status().message
    assert leaked_forms([SECRET], output.text()) == []


@HttpMocker()
def test_given_an_answer_larger_than_max_response_mb_when_read_then_fails_naming_the_endpoint_and_the_setting(
        http_mocker):
    http_mocker.post(auth_request(), auth_response())
    padding = "x" * (1024 * 1024)
    http_mocker.get(paged("/categories"), json_response({"total": 1, "totalPages": 1, "page": 1,
                                                         "results": [{"id": "1", "name": padding}]}))

    output = read_streams(["categories"], config(max_response_mb=1))

    assert output.exit_code == 1 and output.records == []
    assert "the answer to GET /categories is larger than `max_response_mb` (1 MB" in output.error_message()
