"""Direct tests of the connector-kit classes bundled into every edition's components.py (certification R-4: each
public class tested directly). Copied into each edition's unit_tests/ from editions/manifest-only-tests/shared/.

The behaviour the users rely on: one token per lifetime, a refused login is a config error naming the fields, every
answer checked before a record is read, 401/403 config errors, 429 waits as the vendor asks, 5xx and timeouts
retried with backoff, a vendor's limit never exceeded, records inside the incremental window emitted once.
"""

import logging
from datetime import datetime, timedelta, timezone

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.error_handlers.http_response_filter import HttpResponseFilter
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.airbyte_secrets_utils import update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from freezegun import freeze_time

import components

TOKEN_URL = "https://auth.example.com/token"
API = "https://api.example.com"


def answer(status: int = 200, body: bytes = b"[]", url: str = f"{API}/items", headers: dict = None,
           method: str = "GET") -> requests.Response:
    response = requests.Response()
    response.status_code, response._content, response.url = status, body, url
    response.headers.update(headers or {})
    response.request = requests.Request(method, url).prepare()
    return response


def authenticator(**overrides) -> "components.SharedTokenAuthenticator":
    fields = dict(config={"client_id": "cid", "client_secret": "csecret", "retry_backoff_seconds": 0.01},
                  parameters={}, token_url=TOKEN_URL, vendor="Vendor",
                  request_body={"grant_type": "client_credentials", "client_id": "{{ config['client_id'] }}",
                                "client_secret": "{{ config['client_secret'] }}"},
                  expires_in_field="expires_in", credentials_hint="check `client_id` and `client_secret`.")
    fields.update(overrides)
    return components.SharedTokenAuthenticator(**fields)


# ---- HttpSettings --------------------------------------------------------------------------------------------
def test_given_a_config_when_settings_are_read_then_its_values_else_the_defaults():
    settings = components.HttpSettings.from_config({"read_timeout_seconds": 5, "max_retries": 2,
                                                   "retry_backoff_seconds": 0, "num_workers": True})
    assert settings.timeout == (10.0, 5.0) and settings.max_retries == 2 and settings.backoff_seconds == 0.01
    assert components.HttpSettings.from_config(None) == components.HttpSettings()
    assert components.HttpSettings.from_config({"max_retries": True}).max_retries == 5  # a boolean is no number
    spec = components.with_http_settings({"properties": {"max_retries": {"default": 9}}})
    assert spec["properties"]["max_retries"] == {"default": 9} and "read_timeout_seconds" in spec["properties"]


# ---- calls and redaction -------------------------------------------------------------------------------------
def test_given_answers_when_counted_then_one_line_per_endpoint_ids_folded_and_cache_hits_left_out():
    assert components.summary() is None
    first = answer(url=f"{API}/accounts/9f2c4b1a-0000/x")
    components.count_answer(first)
    components.count_answer(first)  # requests-cache runs the hooks of a fetch twice: counted once
    cached = answer()
    cached.from_cache = True
    components.count_answer(cached)
    components.count("POST", TOKEN_URL)
    assert components.summary() == "2 API calls: GET /accounts/{id}/x 1, POST /token 1"
    request = requests.Request("GET", API).prepare()
    components.arm(request)
    components.arm(request)
    assert request.hooks["response"] == [components.count_answer]
    components.forget_all_calls()
    assert components.summary() is None
    assert components.endpoint("get", "https://h/v1.8/people") == "GET /v1.8/people"


def test_given_a_body_when_quoted_then_one_line_cut_short_with_secrets_masked():
    update_secrets(["s3cr3t"])
    assert components.body_start(b"  line one\n  line two s3cr3t ") == "line one line two ****"
    assert components.body_start("x" * 200).endswith("...") and len(components.body_start("x" * 200)) == 163
    assert components.body_start(None) == "(empty)"
    assert components.endpoint_of(requests.Request("POST", f"{API}/a?secret=1").prepare()) == "POST /a"
    assert components.endpoint_of(object()) == "GET /"


# ---- BackoffPolicy, RetryWaits -------------------------------------------------------------------------------
@freeze_time("2026-01-01T00:00:00Z")
@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"RateLimit-Reset": "12"}, 12.0),
    ({"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT"}, 30.0),
    ({"Retry-After": "999999"}, 3600.0),
    ({"Retry-After": "soon", "RateLimit-Reset": " "}, None),
])
def test_given_a_rate_limit_answer_when_asked_how_long_then_the_servers_own_word(headers, seconds):
    assert components.seconds_from_headers(headers) == seconds


def test_given_retries_when_waiting_then_429_as_asked_else_exponential_capped():
    policy = components.BackoffPolicy.from_settings(components.HttpSettings(backoff_seconds=2))
    assert [policy.exponential(n) for n in (1, 2, 3, 7)] == [2, 4, 8, 60]
    assert policy.wait(answer(429, headers={"Retry-After": "3"}), 5) == 3.0
    assert policy.wait(answer(500, headers={"Retry-After": "3"}), 2) == 4  # only 429 and 503 ask for a wait
    assert policy.wait(requests.exceptions.ReadTimeout(), 1) == 2


def test_given_a_retry_when_the_cdk_asks_then_the_wait_is_logged_once_with_its_reason(caplog):
    waits = components.RetryWaits(config={"retry_backoff_seconds": 1}, parameters={}, vendor="Vendor")
    with caplog.at_level(logging.INFO, logger="airbyte"):
        assert waits.backoff_time(answer(503, url=f"{API}/items?x=1"), 2) == 2
        assert waits.backoff_time(requests.exceptions.ConnectionError(), 1) == 1
    assert "Vendor: HTTP 503 on GET /items; waiting 2.0 s before retry 2." in caplog.text
    assert "ConnectionError on the request" in caplog.text
    assert components.describe_attempt(None) == "no answer"
    assert components.describe_attempt(components.UnexpectedBody("x", answer())) == \
        "an answer that is not the documented shape"


# ---- ResponseContract, BodyRule, FieldRule, UnexpectedBody ---------------------------------------------------
CONTRACT = {"vendor": "Vendor", "rules": [
    {"path": "^/v2/", "body": "object", "fields": {"results": "array", "next": "string|null", "page?": "integer"}},
    {"path": "^/list$", "body": "array"},
]}


def test_given_answers_of_the_documented_shape_then_they_pass_and_their_body_is_parsed_once():
    contract = components.ResponseContract.from_manifest(CONTRACT)
    good = answer(body=b'{"results": [], "next": null, "page": 2.0}', url=f"{API}/v2/items")
    contract.check(good)
    assert components.parsed_body(good) == {"results": [], "next": None, "page": 2.0}
    contract.check(answer(body=b"<html>", url=f"{API}/elsewhere"))  # no rule: nothing to check
    contract.check(answer(500, body=b"<html>", url=f"{API}/list"))  # errors are the error handler's
    contract.check(answer(204, body=b"", url=f"{API}/list"))
    assert components.parsed_body(answer(body=b"")) is None
    assert components.ResponseContract.from_manifest(None) is None


@pytest.mark.parametrize(("body", "url", "problem"), [
    (b"<html>maintenance</html>", f"{API}/list", "the body is not JSON"),
    (b'{"items": []}', f"{API}/list", "the body is an object"),
    (b"[]", f"{API}/v2/items", "the body is an array"),
    (b'{"next": null}', f"{API}/v2/items", "no `results`"),
    (b'{"results": {}, "next": null}', f"{API}/v2/items", "`results` is an object, not array"),
    (b'{"results": [], "next": null, "page": true}', f"{API}/v2/items", "`page` is a boolean, not integer"),
])
def test_given_an_answer_of_another_shape_then_it_raises_naming_the_endpoint_and_the_problem(body, url, problem):
    contract = components.ResponseContract.from_manifest(CONTRACT)
    request = requests.Request("GET", url).prepare()
    contract.arm(request)
    contract.arm(request)
    assert len(request.hooks["response"]) == 1
    with pytest.raises(components.UnexpectedBody) as raised:
        request.hooks["response"][0](answer(body=body, url=url))
    assert problem in raised.value.message and "Vendor answered GET /" in raised.value.message


def test_given_a_rule_when_described_or_misdeclared_then_in_words():
    assert components.BodyRule.parse({"body": "array"}).describe() == "a JSON array"
    assert components.BodyRule.parse({}).describe() == "a JSON object"
    assert components.BodyRule.parse({"fields": {"id?": "string"}}).describe() == "a JSON object with id? (string)"
    assert components.FieldRule("id", ("string",), True).problem({}) is None
    with pytest.raises(ValueError, match="body must be object or array"):
        components.BodyRule.parse({"body": "text"})
    with pytest.raises(ValueError, match="unknown type"):
        components.BodyRule.parse({"fields": {"id": "uuid"}})


# ---- VendorErrorHandler, vendor_message ----------------------------------------------------------------------
def handler(**overrides) -> "components.VendorErrorHandler":
    return components.VendorErrorHandler(config={"max_retries": 3}, parameters={}, vendor="Vendor", **overrides)


@pytest.mark.parametrize(("status", "action", "failure_type"), [
    (200, ResponseAction.SUCCESS, None),
    (401, ResponseAction.FAIL, FailureType.config_error),
    (403, ResponseAction.FAIL, FailureType.config_error),
    (429, ResponseAction.RATE_LIMITED, FailureType.transient_error),
    (408, ResponseAction.RETRY, FailureType.transient_error),
    (503, ResponseAction.RETRY, FailureType.transient_error),
    (418, ResponseAction.FAIL, FailureType.system_error),  # the default action: fail with the vendor's words
])
def test_given_an_answer_then_the_handler_resolves_it_by_status(status, action, failure_type):
    resolution = handler().interpret_response(answer(status, body=b'{"message": "said so"}'))
    assert (resolution.response_action, resolution.failure_type) == (action, failure_type)
    if status != 200:
        assert "GET /items" in resolution.error_message and "said so" in resolution.error_message
    assert handler().max_retries == 3 and handler().max_time == 1800


@pytest.mark.parametrize(("error", "words"), [
    (components.UnexpectedBody("Vendor answered oddly.", answer()), "Vendor answered oddly. Retried"),
    (requests.exceptions.ConnectTimeout(request=requests.Request("GET", f"{API}/a").prepare()), "did not connect on GET /a"),
    (requests.exceptions.ReadTimeout(), "sent nothing for 60 s"),
    (requests.exceptions.ChunkedEncodingError(), "dropped the connection"),
    (requests.exceptions.TooManyRedirects(), "failed (TooManyRedirects); retried"),
])
def test_given_a_failed_call_then_it_is_retried_with_a_message_naming_it(error, words):
    resolution = handler().interpret_response(error)
    assert resolution.response_action == ResponseAction.RETRY and words in resolution.error_message
    assert handler().interpret_response(None).response_action == ResponseAction.RETRY


def test_given_a_bug_or_a_manifest_filter_then_the_bug_fails_and_the_filter_wins():
    assert handler().interpret_response(KeyError("x")).response_action == ResponseAction.FAIL
    ignore_404 = HttpResponseFilter(action="IGNORE", http_codes={404}, config={}, parameters={})
    assert handler(response_filters=[ignore_404]).interpret_response(answer(404)).response_action == \
        ResponseAction.IGNORE


@pytest.mark.parametrize(("body", "said"), [
    (b'{"error": {"code": "BadRequest", "message": "bad filter", "reasons": ["a"]}}', "bad filter (BadRequest)"),
    (b'{"errors": [{"detail": "no"}, "other"]}', "no; other"),
    (b'{"message": "Invalid credentials", "codeDescription": "CLIENT_KEYS_UNAUTHORIZED"}',
     "Invalid credentials (CLIENT_KEYS_UNAUTHORIZED)"),
    (b'["not", "an", "object"]', '["not", "an", "object"]'),
    (b"<html>gateway</html>", "<html>gateway</html>"),
])
def test_given_an_error_body_then_the_vendors_own_words(body, said):
    assert components.vendor_message(answer(400, body=body)) == said


# ---- CallPacer -------------------------------------------------------------------------------------------------
def test_given_a_budget_when_used_up_then_the_call_waits_with_a_log_line_and_every_stream_shares_it(sleeps, caplog):
    rules = [{"path": "", "limit": "{{ config['per_hour'] }}", "per": "PT1H"}]
    pacer = components.CallPacer.shared("Vendor", rules, {"per_hour": 1}, {})
    assert components.CallPacer.shared("Vendor", rules, {"per_hour": 1}, {}) is pacer
    assert components.CallPacer.shared("Vendor", None, {}, {}) is None
    with freeze_time("2026-01-01T00:00:00Z") as clock, caplog.at_level(logging.INFO, logger="airbyte"):
        pacer.wait_for_url("POST", TOKEN_URL)
        sleeps.side_effect = lambda seconds: clock.tick(timedelta(seconds=seconds))
        pacer.wait_for_slot(requests.Request("GET", f"{API}/x").prepare())
    assert sleeps.call_count == 1 and sleeps.call_args[0][0] > 3500
    assert "Vendor call budget used up" in caplog.text


# ---- Token, SharedTokenAuthenticator -------------------------------------------------------------------------
def test_given_many_streams_when_each_asks_for_a_token_then_one_request_serves_them_all(requests_mock):
    calls = requests_mock.post(TOKEN_URL, json={"access_token": "t1", "expires_in": 1800})
    headers = {authenticator().get_auth_header()["Authorization"] for _ in range(3)}
    assert headers == {"Bearer t1"} and calls.call_count == 1
    assert "client_id=cid" in calls.last_request.text and calls.last_request.timeout == (10.0, 60.0)
    assert isinstance(authenticator().current_token(), components.Token)


def test_given_a_token_near_expiry_when_asked_then_renewed_ahead_of_it(requests_mock):
    calls = requests_mock.post(TOKEN_URL, [{"json": {"access_token": "t1", "expires_in": 1800}},
                                           {"json": {"access_token": "t2", "expires_in": 1800}}])
    with freeze_time("2026-01-01T10:00:00Z") as clock:
        assert authenticator().token == "Bearer t1"
        clock.tick(timedelta(minutes=28))  # margin: min(5 min, lifetime / 10) = 3 min
        assert authenticator().token == "Bearer t2"
    assert calls.call_count == 2


def test_given_an_expiry_moment_a_jwt_or_nothing_then_the_lifetime_follows(requests_mock):
    moment = (datetime.now(timezone.utc) + timedelta(hours=72)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    requests_mock.post(TOKEN_URL, json={"accessToken": "t1", "accessTokenExpiresAt": moment})
    token = authenticator(token_field="accessToken", expires_at_field="accessTokenExpiresAt").current_token()
    assert timedelta(hours=71) < token.expires_at - datetime.now(timezone.utc) < timedelta(hours=73)
    components.forget_all_tokens()
    jwt = "e30." + "eyJleHAiOiA0MTAyNDQ0ODAwfQ" + ".sig"  # {"exp": 4102444800}: 2100-01-01
    requests_mock.post(TOKEN_URL, json={"apiKey": jwt})
    key = authenticator(token_field="apiKey", body_format="json", header="X-API-KEY", header_prefix="")
    assert key.current_token().expires_at.year == 2100 and key.auth_header == "X-API-KEY"
    assert requests_mock.last_request.json() == {"grant_type": "client_credentials", "client_id": "cid",
                                                 "client_secret": "csecret"}
    components.forget_all_tokens()
    requests_mock.post(TOKEN_URL, json={"apiKey": "opaque"})
    assert key.current_token().expires_at - datetime.now(timezone.utc) < timedelta(minutes=31)


def test_given_several_401s_at_once_when_refreshing_then_one_new_login(requests_mock):
    calls = requests_mock.post(TOKEN_URL, [{"json": {"access_token": f"t{n}", "expires_in": 1800}} for n in (1, 2, 3)])
    assert authenticator().token == "Bearer t1"
    for _ in range(3):
        authenticator().refresh_and_set_access_token()
    assert authenticator().token == "Bearer t2" and calls.call_count == 2


@pytest.mark.parametrize("status", [400, 401, 403])
def test_given_a_refused_login_then_a_config_error_naming_the_fields_and_no_secret(requests_mock, status):
    requests_mock.post(TOKEN_URL, status_code=status, json={"error": "invalid_client"})
    with pytest.raises(AirbyteTracedException) as raised:
        authenticator().current_token()
    assert raised.value.failure_type == FailureType.config_error
    assert "Vendor refused the token request" in raised.value.message and "`client_secret`" in raised.value.message
    assert "csecret" not in raised.value.message


def test_given_a_flaky_token_endpoint_then_retried_and_then_a_transient_error_saying_why(requests_mock, sleeps):
    requests_mock.post(TOKEN_URL, [{"exc": requests.exceptions.ConnectTimeout}, {"status_code": 503},
                                   {"status_code": 429}, {"json": {"token": "none"}}])
    with pytest.raises(AirbyteTracedException) as raised:
        authenticator(config={"max_retries": 3, "retry_backoff_seconds": 1}).current_token()
    assert raised.value.failure_type == FailureType.transient_error
    assert "gave no token after 4 attempt(s) (last: an answer without `access_token`" in raised.value.message
    assert [c[0][0] for c in sleeps.call_args_list] == [1, 2, 4]
    requests_mock.post(TOKEN_URL, status_code=404, text="no such tenant")
    with pytest.raises(AirbyteTracedException, match="token endpoint answered 404: no such tenant"):
        authenticator().current_token()


def test_given_a_request_when_signed_then_paced_counted_checked_and_carrying_the_token(requests_mock):
    requests_mock.post(TOKEN_URL, json={"access_token": "t1", "expires_in": 1800})
    signer = authenticator(response_contract={"vendor": "Vendor", "rules": [{"body": "array"}]},
                           call_budget=[{"path": "", "limit": "10", "per": "PT1M"}],
                           request_headers={"Business": "acme"})
    request = signer(requests.Request("GET", f"{API}/items").prepare())
    assert request.headers["Authorization"] == "Bearer t1"
    # counted, kept on its host, bounded (deadline and size), checked against the documented shape
    assert [getattr(hook, "__name__", "") for hook in request.hooks["response"]] == [
        "count_answer", "refuse_foreign_redirects", "hook", "_hook"]
    assert [type(getattr(hook, "__self__", None)).__name__ for hook in request.hooks["response"][2:]] == [
        "ResponseBounds", "ResponseContract"]
    assert requests_mock.last_request.headers["Business"] == "acme"


# ---- KeyExtractor, SliceWindowFilter ---------------------------------------------------------------------------
def test_given_an_answer_then_the_records_at_the_key_or_the_answer_itself():
    extract = lambda key, body: list(components.KeyExtractor(config={}, parameters={}, key=key).extract_records(  # noqa: E731
        answer(body=body)))
    assert extract("results", b'{"results": [{"id": 1}]}') == [{"id": 1}]
    assert extract("", b'{"id": 7}') == [{"id": 7}]
    assert extract("", b"{}") == [] and extract("value", b'{"value": "x"}') == []


def window(start: str, end: str = "") -> StreamSlice:
    return StreamSlice(partition={}, cursor_slice={"start_time": start, **({"end_time": end} if end else {})})


def test_given_a_resumed_slice_then_only_records_after_its_start_and_not_after_its_end_are_emitted(caplog):
    keep = components.SliceWindowFilter(config={"start_date": "2024-01-01T00:00:00Z"}, parameters={},
                                        cursor_field="updatedAt", start_date="{{ config['start_date'] }}")
    records = [{"updatedAt": "2024-05-01T00:00:00Z"}, {"updatedAt": "2024-05-02T00:00:00Z"},
               {"updatedAt": "2024-05-02T00:00:00+00:00"}, {"updatedAt": "2024-07-01T00:00:00Z"}, {"updatedAt": None}]
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        kept = list(keep.filter_records(records, {}, window("2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z")))
    assert kept == [records[1], records[2], records[4]]  # the state's own record is not read twice
    assert "1 record(s) without a readable `updatedAt` were kept" in caplog.text
    at_start = [{"updatedAt": "2024-01-01T00:00:00Z"}]  # a first sync starts at the start date, inclusive
    assert list(keep.filter_records(at_start, {}, window("2024-01-01T00:00:00Z"))) == at_start
    assert list(keep.filter_records(records[:1], {}, None)) == records[:1]
    inclusive = components.SliceWindowFilter(config={}, parameters={}, cursor_field="date", resume_inclusive=True)
    assert list(inclusive.filter_records([{"date": "2024-05-01"}], {}, window("2024-05-01"))) == [{"date": "2024-05-01"}]


def test_given_a_live_collection_when_a_record_repeats_then_it_is_emitted_once_within_the_window():
    dedup = components.SliceWindowFilter(config={}, parameters={}, dedup_key="_id", dedup_window=2,
                                         condition="{{ record['_id'] != 'skip' }}")
    records = [{"_id": "a"}, {"_id": "a"}, {"_id": "skip"}, {"_id": "b"}, {"_id": "c"}, {"_id": "a"}, {"x": 1}]
    assert list(dedup.filter_records(records, {})) == [{"_id": "a"}, {"_id": "b"}, {"_id": "c"}, {"_id": "a"}, {"x": 1}]
