"""The client secret stays on Protime's token host and out of every output line (links: test_link_safety.py).

HttpMocker answers only the requests a test registers: a request to any other host fails the test by itself."""

from urllib.parse import urlencode

from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker
from connector_kit.manifest import load_manifest, resolve
from connector_kit.testing.mock_server import RequestBuilder
from connector_kit.testing.secret_scan import leaked_forms

from protime_api import TOKEN_URL, config, responses, run_check, token_request

ELSEWHERE = "https://collector.example.net:8443"
SECRET = 's3c/r+t k"y-é'  # changes under every encoding
# `check` has no catalog to narrow the scope: it asks for every stream's.
ALL_SCOPES = resolve(load_manifest("source_protime"))["definitions"]["authenticator"]["request_body"]["scope"]


@HttpMocker()
def test_given_the_token_endpoint_redirects_elsewhere_when_check_then_a_config_error_naming_the_host_and_no_repost(
        http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(ALL_SCOPES), responses.json({}, 307, {"Location": f"{ELSEWHERE}/t?c=1"}))

    status = run_check(config()).connection_status()

    assert status.status == Status.FAILED
    assert f"answered 307, a redirect to {ELSEWHERE}; it was not followed" in status.message and "c=1" not in status.message


@HttpMocker()
def test_given_a_token_endpoint_that_echoes_the_request_when_check_then_no_form_of_the_secret_in_any_line(
        http_mocker: HttpMocker) -> None:
    sent = urlencode({"grant_type": "client_credentials", "client_id": "test-client", "client_secret": SECRET,
                      "scope": ALL_SCOPES})
    echo = {"error": "invalid_client", "error_description": f"You sent {sent}", "echo": {"body": sent}}
    http_mocker.post(RequestBuilder(TOKEN_URL).with_body(sent).build(), responses.json(echo, 401))

    output = run_check(config(client_secret=SECRET))

    assert output.connection_status().status == Status.FAILED and "You sent" in output.connection_status().message
    assert leaked_forms([SECRET], output.text()) == []
