"""Direct tests of the connector-kit guards bundled into every edition's components.py (certification R-4): every
secret masked in every form, every answer bounded (deadline, size after decompression), credentials kept on their
host (redirects, links, requests to another origin). Copied into each edition's unit_tests/ from
editions/manifest-only-tests/shared/.
"""

import gzip
import io
import logging
import socket
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from urllib3 import HTTPResponse

import components

API = "https://api.example.com"
TOKEN_URL = "https://auth.example.com/token"


# ---- secret_forms, register_*, mask, mask_line, MaskSecrets ------------------------------------------------------
def test_given_a_secret_then_its_plain_url_encoded_json_escaped_and_basic_auth_forms():
    forms = components.secret_forms('a/b+c"é')
    assert {'a/b+c"é', "a%2Fb%2Bc%22%C3%A9", "a%2fb%2bc%22%c3%a9", 'a\\/b+c\\"\\u00e9', 'a/b+c\\"é'} <= set(forms)
    assert [len(f) for f in forms] == sorted((len(f) for f in forms), reverse=True)  # longest first
    assert components.secret_forms("") == []
    assert components.basic_auth_forms("user", "pässword") == ["dXNlcjpww6Rzc3dvcmQ=", "dXNlcjpw5HNzd29yZA=="]
    assert components.basic_auth_forms("user", "€") == ["dXNlcjrigqw="]  # no Latin-1 form of €


def test_given_config_secrets_and_tokens_when_registered_then_masked_in_every_form_in_lines_and_logs(caplog):
    spec = {"properties": {"client_secret": {"type": "string", "airbyte_secret": True}, "user": {"type": "string"}}}
    components.register_config_secrets(spec, {"client_secret": "s/cr+t", "user": "ann", "empty": ""})
    components.register_secret("tok-123")
    components.register_secret(None)
    assert components.mask("a s/cr+t b s%2Fcr%2Bt c tok-123") == "a **** b **** c ****"
    assert components.mask("Basic " + components.basic_auth_forms("ann", "s/cr+t")[0]) == "Basic ****"

    line = '{"type":"LOG","log":{"level":"ERROR","message":"said s\\/cr+t","stack_trace":"tok-123"}}'
    assert components.mask_line(line) == '{"type":"LOG","log":{"level":"ERROR","message":"said ****","stack_trace":"****"}}'
    assert components.mask_line("not json: tok-123") == "not json: ****"
    assert components.mask_line('{"type":"LOG","log":{"message":"clean"}}') == '{"type":"LOG","log":{"message":"clean"}}'
    nested = '{"type":"TRACE","trace":{"error":{"message":"x","internal_message":["tok-123",{"k":"tok-123"}]}}}'
    assert components.mask_line(nested) == \
        '{"type":"TRACE","trace":{"error":{"message":"x","internal_message":["****",{"k":"****"}]}}}'

    logger = logging.getLogger("airbyte.edition-test")
    logger.addFilter(components.MaskSecrets())
    with caplog.at_level(logging.INFO, logger="airbyte.edition-test"):
        logger.info("token %s", "tok-123")
        logger.info("nothing secret")
    assert [r.getMessage() for r in caplog.records] == ["token ****", "nothing secret"]

    components.forget_all_secrets()
    assert components.mask("tok-123") == "tok-123"


# ---- ResponseBounds, DeadlineExceeded, AnswerTooLarge, arm_bounds -------------------------------------------------
def bounded_answer(body: bytes, headers: dict = None, elapsed: float = 0.0, raw=None) -> requests.Response:
    response = requests.Response()
    response.status_code, response.url = 200, f"{API}/items"
    response.request = requests.Request("GET", response.url).prepare()
    response.raw = raw or HTTPResponse(body=io.BytesIO(body), headers=headers or {}, status=200, preload_content=False)
    response.elapsed = timedelta(seconds=elapsed)
    return response


def bounds(**config) -> "components.ResponseBounds":
    return components.ResponseBounds.from_config({"request_deadline_seconds": 5, "max_response_mb": 1, **config})


def test_given_a_gzip_answer_within_the_bounds_then_read_once_and_served_decompressed():
    response = bounded_answer(gzip.compress(b'[{"id": 1}]'), {"Content-Encoding": "gzip"})
    assert bounds().hook(response) is response
    assert response.json() == [{"id": 1}] and "Content-Encoding" not in response.raw.headers
    bounds().hook(response)  # requests-cache runs the hooks twice: the body is not read again
    assert response.json() == [{"id": 1}]
    streamed, cached = bounded_answer(b"[]"), bounded_answer(b"[]")
    cached.from_cache = True
    for untouched, kwargs in ((streamed, {"stream": True}), (cached, {})):
        raw = untouched.raw
        bounds().hook(untouched, **kwargs)
        assert untouched.raw is raw
    mocked = bounded_answer(b"", raw=io.BytesIO(b"[]"))  # not a urllib3 answer: nothing to bound
    bounds().read(mocked)
    assert mocked.raw.read() == b"[]"


def test_given_a_gzip_bomb_then_refused_as_too_large_naming_the_endpoint_and_the_setting_and_not_retried():
    bomb = gzip.compress(b" " * (3 * 1024 * 1024))  # 3 MB inflated, a few KB on the wire
    with pytest.raises(components.AnswerTooLarge) as raised:
        bounds().hook(bounded_answer(bomb, {"Content-Encoding": "gzip"}))
    assert "GET /items is larger than `max_response_mb` (1 MB, counted decompressed)" in raised.value.reason
    resolution = components.VendorErrorHandler(config={}, parameters={}, vendor="Vendor").interpret_response(
        raised.value)
    assert (resolution.response_action, resolution.failure_type) == (ResponseAction.FAIL, FailureType.system_error)
    assert "raise `max_response_mb`" in resolution.error_message


def test_given_an_answer_whose_headers_took_longer_than_the_deadline_then_a_deadline_error_retried_like_a_timeout():
    with pytest.raises(components.DeadlineExceeded) as raised:
        bounds(request_deadline_seconds=2).read(bounded_answer(b"[]", elapsed=3.0))
    assert isinstance(raised.value, requests.exceptions.Timeout)
    assert raised.value.reason == "no complete answer within `request_deadline_seconds` (2 s) on GET /items"
    resolution = components.VendorErrorHandler(config={}, parameters={}, vendor="Vendor").interpret_response(
        raised.value)
    assert (resolution.response_action, resolution.failure_type) == (ResponseAction.RETRY,
                                                                     FailureType.transient_error)
    assert "raise `request_deadline_seconds`" in resolution.error_message
    assert components.describe_attempt(raised.value) == "no complete answer within `request_deadline_seconds`"


@pytest.mark.parametrize(("raw", "error"), [
    (HTTPResponse(body=io.BytesIO(b"[1,"), headers={"Content-Length": "40"}, preload_content=False,
                  enforce_content_length=True), requests.exceptions.ChunkedEncodingError),
    (HTTPResponse(body=io.BytesIO(b"not gzip at all"), headers={"Content-Encoding": "gzip"}, preload_content=False),
     requests.exceptions.ContentDecodingError),
])
def test_given_a_body_cut_short_or_corrupt_then_the_error_requests_itself_would_raise(raw, error):
    with pytest.raises(error):
        bounds().read(bounded_answer(b"", raw=raw))


def test_given_a_server_that_sends_headers_then_falls_silent_then_the_deadline_ends_the_call_before_the_read_timeout():
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve() -> None:
        connection, _ = server.accept()
        accepted.append(connection)
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[")

    threading.Thread(target=serve, daemon=True).start()
    session = requests.Session()
    components.arm_bounds(session, components.HttpSettings(request_deadline_seconds=0.5))
    try:
        with pytest.raises(components.DeadlineExceeded, match=r"\(0.5 s\) on GET /silent"):
            session.get(f"http://127.0.0.1:{server.getsockname()[1]}/silent", timeout=(5, 30))
    finally:
        for connection in accepted:
            connection.close()
        server.close()


# ---- origins: origin_of, same_origin, show_origin, redirects, links ----------------------------------------------
def test_given_urls_then_origins_compare_scheme_host_and_port_and_are_shown_without_secrets():
    assert components.origin_of("HTTPS://Api.Example.com/x") == ("https", "api.example.com", 443)
    assert components.origin_of("http://h:notaport/") == ("http", "h", -1)
    assert components.same_origin("https://h/a", "https://h:443/b") and not components.same_origin("https://h", "http://h")
    assert components.show_origin("https://user:pw@h:8443/p?key=s") == "https://h:8443"
    assert components.show_origin("https://[::1]/x") == "https://[::1]"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_given_an_api_call_redirected_to_another_host_then_refused_nothing_sent_there_and_a_config_error(
        requests_mock, status):
    requests_mock.get(f"{API}/items", status_code=status, headers={"Location": "https://evil.example.net/items?k=v"})
    elsewhere = requests_mock.get("https://evil.example.net/items")
    request = requests.Request("GET", f"{API}/items", headers={"X-API-KEY": "key"}).prepare()
    components.arm_origin_guard(request)
    components.arm_origin_guard(request)
    assert request.hooks["response"] == [components.refuse_foreign_redirects]
    with pytest.raises(components.ForeignRedirect) as raised:
        requests.Session().send(request)
    assert elsewhere.call_count == 0 and raised.value.target_origin == "https://evil.example.net"
    assert f"GET /items was redirected ({status}) to https://evil.example.net" in raised.value.reason
    resolution = components.VendorErrorHandler(config={}, parameters={}, vendor="Vendor").interpret_response(
        raised.value)
    assert (resolution.response_action, resolution.failure_type) == (ResponseAction.FAIL, FailureType.config_error)
    assert "point the configuration at it" in resolution.error_message


def test_given_a_redirect_within_the_host_then_followed(requests_mock):
    requests_mock.get(f"{API}/items", status_code=302, headers={"Location": "/v2/items"})
    requests_mock.get(f"{API}/v2/items", json=[])
    answer = requests.get(f"{API}/items", hooks={"response": [components.refuse_foreign_redirects]})
    assert answer.json() == [] and components.redirect_target(answer) is None
    assert components.redirect_target(answer.history[0]) == f"{API}/v2/items"


def test_given_links_then_relative_and_same_host_ones_followed_and_others_refused_naming_both_hosts():
    assert components.followed_link("/v1/next?page=2", f"{API}/v1/items") == f"{API}/v1/next?page=2"
    assert components.followed_link(f"{API}/v1/x", API) == f"{API}/v1/x"
    with pytest.raises(components.ForeignLink) as raised:
        components.followed_link("https://evil.example.net/v1/x", API)
    assert str(raised.value) == "a link to https://evil.example.net, not the configured host https://api.example.com"
    assert (raised.value.target_origin, raised.value.base_origin) == ("https://evil.example.net", API)


# ---- SharedTokenAuthenticator: what stays on the host, and what a token answer may be ---------------------------
def authenticator(**overrides) -> "components.SharedTokenAuthenticator":
    fields = dict(config={"client_id": "cid", "client_secret": "csecret", "max_retries": 0}, parameters={"name": "items"},
                  token_url=TOKEN_URL, vendor="Vendor", request_body={"client_id": "{{ config['client_id'] }}"},
                  expires_in_field="expires_in", credentials_hint="check `client_id` and `client_secret`.")
    fields.update(overrides)
    return components.SharedTokenAuthenticator(**fields)


def test_given_api_url_when_a_request_goes_to_another_origin_then_refused_before_any_token_or_call(requests_mock):
    login = requests_mock.post(TOKEN_URL, json={"access_token": "t1", "expires_in": 1800})
    signer = authenticator(api_url="{{ config.get('base_url', 'https://api.example.com') }}")
    with pytest.raises(AirbyteTracedException) as raised:
        signer(requests.Request("GET", "https://evil.example.net/v1/items").prepare())
    assert "pointed the next request of items at https://evil.example.net" in raised.value.message
    assert login.call_count == 0
    assert signer(requests.Request("GET", f"{API}/v1/items").prepare()).headers["Authorization"] == "Bearer t1"


@pytest.mark.parametrize("location", ["https://evil.example.net/token", None])
def test_given_a_token_endpoint_that_redirects_then_not_followed_and_a_config_error(requests_mock, location):
    requests_mock.post(TOKEN_URL, status_code=307, headers={"Location": location} if location else {})
    with pytest.raises(AirbyteTracedException) as raised:
        authenticator().current_token()
    assert raised.value.failure_type == FailureType.config_error
    assert ("to https://evil.example.net" if location else "without a Location") in raised.value.message
    assert requests_mock.call_count == 1


@pytest.mark.parametrize(("answer", "problem"), [
    ({"text": "<html>"}, "an answer without `access_token` that is not JSON (6 bytes)"),
    ({"json": ["t1"]}, "an answer without `access_token`: JSON list, not an object"),
    ({"json": {"data": {"token": "t1"}, "scope": "x"}}, "an answer without `access_token`; it holds the keys `data`, `scope`"),
    ({"json": {}}, "an answer without `access_token`; it holds no key"),
    ({"json": {"access_token": ["t1"]}}, "an answer without `access_token`; it holds the keys `access_token`"),
])
def test_given_a_token_answer_without_the_token_then_its_keys_named_never_its_values(requests_mock, answer, problem):
    requests_mock.post(TOKEN_URL, **answer)
    with pytest.raises(AirbyteTracedException) as raised:
        authenticator().current_token()
    assert problem in raised.value.message and "t1" not in raised.value.message


def test_given_a_token_answer_larger_than_the_bound_then_refused_at_once(requests_mock):
    requests_mock.post(TOKEN_URL, content=gzip.compress(b" " * (2 * 1024 * 1024)), headers={"Content-Encoding": "gzip"})
    with pytest.raises(AirbyteTracedException, match="token endpoint: the answer to POST /token is larger"):
        authenticator(config={"max_retries": 3, "max_response_mb": 1}).current_token()
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("expiry", ["next tuesday", 12, None])
def test_given_a_nested_token_and_no_readable_expiry_then_the_default_lifetime(requests_mock, expiry):
    requests_mock.post(TOKEN_URL, json={"data": {"token": "a.b.c"}, "expiresAt": expiry})  # a.b.c: no JWT either
    token = authenticator(token_field="data.token", expires_at_field="expiresAt", expires_in_field=None,
                          default_lifetime_seconds=600).current_token()
    lifetime = token.expires_at - datetime.now(timezone.utc)
    assert token.value == "a.b.c" and timedelta(seconds=590) < lifetime <= timedelta(seconds=600)
