"""The Cloud edition's stand-ins, built by the CDK from what the generator writes and run on answers: the kit's answer
checks, link guard and error classes as response filters, the incremental window as a record filter, Pluggy's
`after` cursor in Jinja, skip/limit paging that only an empty page ends; and the generator's refusals (a class
without a stand-in, custom code left in a manifest)."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest
import requests
from airbyte_cdk.sources.declarative.models import declarative_component_schema as models
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.sources.types import StreamSlice
from connector_editions import cloud, cloud_filters, cloud_stand_ins
from connector_editions.cloud_stand_ins import Context
from connector_editions.schemas import BuildError

PLUGGY_CONTRACT = {"vendor": "Pluggy", "rules": [
    {"path": "^/v2/", "body": "object", "fields": {"results": "array", "next": "string|null"}},
    {"path": "^/identity$", "body": "object", "fields": {"id": "string"}},
    {"path": "", "body": "object", "fields": {"results": "array", "totalPages": "integer", "page": "integer"}},
]}


def built(model: Any, definition: dict[str, Any], config: Optional[dict] = None, **kwargs: Any) -> Any:
    return ModelToComponentFactory().create_component(model, definition, config or {}, **kwargs)


def answer(body: Any, url: str, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code, response.url = status, url
    response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response.request = requests.Request("GET", url).prepare()
    return response


def decided(filters: list[dict[str, Any]], response: requests.Response) -> Optional[tuple[ResponseAction, str]]:
    """The action and message of the first generated filter that matches, as the CDK's error handler takes them."""
    for definition in filters:
        resolution = built(models.HttpResponseFilter, definition).matches(response)
        if resolution is not None:
            return resolution.response_action, resolution.error_message or ""
    return None


# ---- answer shapes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "body"), [
    ("/v2/items", {"results": [], "next": None}),
    ("/v2/transactions", {"results": [{"id": 1}], "next": "?after=x"}),
    ("/identity", {"id": "i-1"}),
    ("/accounts", {"results": [], "totalPages": 1, "page": 1}),
    ("/accounts", {"results": [], "totalPages": 2.0, "page": 1, "total": 0}),  # an integral float is an integer
])
def test_given_answers_of_the_documented_shape_then_no_shape_filter_matches(path, body):
    filters = cloud_filters.shape_filters(PLUGGY_CONTRACT, "Pluggy")
    assert decided(filters, answer(body, f"https://api.pluggy.ai{path}")) is None


@pytest.mark.parametrize(("path", "body", "expected"), [
    ("/v2/items", "<html>maintenance</html>", "results (array), next (string|null)"),  # not JSON: read as {}
    ("/v2/items", {"results": [], "totalPages": 1, "page": 1}, "next (string|null)"),  # the other rule's shape
    ("/v2/items", {"results": {}, "next": None}, "results (array)"),
    ("/identity", {"results": []}, "id (string)"),
    ("/accounts", {"results": [], "next": None}, "totalPages (integer)"),
    ("/accounts", {"results": [], "totalPages": True, "page": 1}, "totalPages (integer)"),  # a boolean is no number
    ("/accounts", [], "totalPages (integer)"),
])
def test_given_an_answer_of_another_shape_then_retried_naming_what_was_expected(path, body, expected):
    action, message = decided(cloud_filters.shape_filters(PLUGGY_CONTRACT, "Pluggy"),
                              answer(body, f"https://api.pluggy.ai{path}"))
    assert action == ResponseAction.RETRY and expected in message
    assert f"Pluggy answered https://api.pluggy.ai{path} with a body that is not the documented shape" in message


def test_given_an_array_contract_then_an_object_or_a_page_that_is_not_json_is_retried_and_an_array_passes():
    filters = cloud_filters.shape_filters({"rules": [{"path": "", "body": "array"}]}, "Plutio")
    url = "https://api.plutio.com/v1.8/people"
    assert decided(filters, answer([{"_id": "a"}], url)) is None and decided(filters, answer([], url)) is None
    assert decided(filters, answer({"error": "maintenance"}, url))[0] == ResponseAction.RETRY
    assert decided(filters, answer("<html>", url))[0] == ResponseAction.RETRY


# ---- links, status classes ------------------------------------------------------------------------------------------
API = "https://acme.myprotime.eu/connector/protimeapi/api/v1/departments"


@pytest.mark.parametrize(("link", "refused"), [
    ("/connector/protimeapi/api/v1/departments?continuationToken=x", False),
    ("https://acme.myprotime.eu/connector/protimeapi/api/v1/departments?continuationToken=x", False),
    (None, False),
    ("https://evil.example.net/connector/protimeapi/api/v1/departments", True),
    ("//evil.example.net/x", True),
    ("https://acme.myprotime.eu.evil.example.net/x", True),
    ("http://acme.myprotime.eu/x", True),  # another scheme is another origin
])
def test_given_a_next_link_then_only_one_to_the_answers_own_host_is_followed(link, refused):
    body = {"value": [], **({"nextLink": link} if link else {})}
    found = decided([cloud_filters.link_guard("nextLink", "Protime")], answer(body, API))
    assert (found is not None) == refused
    if refused:
        assert found[0] == ResponseAction.FAIL and "pointed the next page at another host" in found[1]


@pytest.mark.parametrize(("status", "action"), [
    (401, ResponseAction.FAIL), (403, ResponseAction.FAIL), (429, ResponseAction.RATE_LIMITED),
    (408, ResponseAction.RETRY), (503, ResponseAction.RETRY), (511, ResponseAction.RETRY),
    (400, ResponseAction.FAIL), (418, ResponseAction.FAIL),
])
def test_given_an_error_status_then_its_class_decides_before_any_shape_filter(status, action):
    filters = cloud_filters.status_filters("Vendor") + cloud_filters.shape_filters(PLUGGY_CONTRACT, "Vendor")
    found_action, message = decided(filters, answer({"message": "said so"}, f"https://h{'/accounts'}", status))
    assert found_action == action and "said so" in message


def test_given_codes_the_manifest_decides_then_the_status_classes_leave_them():
    own = [{"type": "HttpResponseFilter", "http_codes": [401, 404], "action": "IGNORE"},
           {"type": "HttpResponseFilter", "http_codes": [403], "predicate": "{{ true }}", "action": "FAIL"}]
    codes = {code for entry in cloud_filters.status_filters("V", cloud_filters.handled_codes(own))
             for code in entry["http_codes"]}
    assert 401 not in codes and 404 not in codes and 403 in codes  # a predicate may leave its codes undecided


# ---- the stand-ins ------------------------------------------------------------------------------------------------------
def window(start: str, end: str = "") -> StreamSlice:
    return StreamSlice(partition={}, cursor_slice={"start_time": start, **({"end_time": end} if end else {})})


def test_given_a_resumed_window_then_the_records_after_its_start_up_to_its_end_and_the_undated_ones():
    definition = cloud_stand_ins.slice_window_filter(
        {"cursor_field": "updatedAt", "start_date": "{{ config.get('start_date') or '2020-01-01T00:00:00Z' }}"},
        Context(), {})
    keep = built(models.RecordFilter, definition, {"start_date": "2024-01-01T00:00:00Z"})
    records = [{"updatedAt": "2024-05-01T00:00:00.000Z"}, {"updatedAt": "2024-05-02T00:00:00.000Z"},
               {"updatedAt": "2024-05-02T00:00:00+00:00"}, {"updatedAt": "2024-07-01T00:00:00.000Z"},
               {"updatedAt": None}, {"updatedAt": "not a date"}, {}]
    kept = list(keep.filter_records(records, {}, window("2024-05-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z")))
    assert kept == [records[1], records[2], records[4], records[5], records[6]]  # the state's own record: not again
    first_sync = [{"updatedAt": "2024-01-01T00:00:00.000Z"}]
    assert list(keep.filter_records(first_sync, {}, window("2024-01-01T00:00:00.000Z"))) == first_sync
    assert list(keep.filter_records(records[:1], {}, None)) == records[:1]


def test_given_a_day_window_read_again_from_its_start_then_its_first_day_is_kept():
    definition = cloud_stand_ins.slice_window_filter({"cursor_field": "date", "start_date": "{{ config['start_date'] }}",
                                                      "resume_inclusive": True}, Context(), {})
    keep = built(models.RecordFilter, definition, {"start_date": "2024-01-01"})
    records = [{"date": "2024-04-30"}, {"date": "2024-05-01"}, {"date": "2024-05-31"}, {"date": "2024-06-01"}]
    assert list(keep.filter_records(records, {}, window("2024-05-01", "2024-05-31"))) == records[1:3]


def test_given_a_dedup_key_then_the_loss_is_recorded_and_a_bare_filter_has_no_stand_in():
    ctx = Context()
    assert cloud_stand_ins.slice_window_filter({"dedup_key": "_id"}, ctx, {}) is None
    assert "Each `_id` once per sync" in ctx.losses["dedup"]
    condition = cloud_stand_ins.slice_window_filter({"condition": "{{ record.id in config.ids }}"}, ctx, {})
    assert built(models.RecordFilter, condition, {"ids": [1]}).filter_records([{"id": 1}, {"id": 2}], {}) is not None
    assert list(built(models.RecordFilter, condition, {"ids": [1]}).filter_records([{"id": 1}, {"id": 2}], {})) == \
        [{"id": 1}]


@pytest.mark.parametrize(("next_query", "token"), [
    ("?accountId=a&after=x%2By%3D", "x+y="),
    ("?after=a%2Fb%2fc%3d&accountId=a", "a/b/c="),
    ("after=plain", "plain"),
    (None, None),
])
def test_given_pluggys_next_then_its_decoded_after_is_the_next_token(next_query, token):
    ctx = Context(vendor="Pluggy")
    strategy = built(models.CursorPagination, cloud_stand_ins.next_query_string_cursor({}, ctx, {}))
    response = answer({"results": [], "next": next_query}, "https://api.pluggy.ai/v2/items")
    assert strategy.next_page_token(response, 0, None) == token
    without_after = answer({"results": [], "next": "?accountId=a"}, "https://api.pluggy.ai/v2/items")
    assert decided(ctx.extra_filters, without_after)[0] == ResponseAction.FAIL
    assert decided(ctx.extra_filters, response) is None


def test_given_a_capped_server_then_short_pages_go_on_and_only_an_empty_page_ends_the_read():
    ctx = Context()
    strategy = built(models.OffsetIncrement, cloud_stand_ins.skip_limit_pagination(
        {"page_size": "{{ config['page_size'] }}"}, ctx, {"page_size_option": {"field_name": "limit"}}))
    url = "https://api.plutio.com/v1.8/people"
    assert strategy.next_page_token(answer([{"_id": n} for n in range(3)], url), 3, None, None) == 3  # 3 < limit
    assert strategy.next_page_token(answer([{"_id": 9}], url), 1, None, 3) == 4
    assert strategy.next_page_token(answer([], url), 0, None, 4) is None
    assert ctx.page_parameter == ("limit", "{{ config['page_size'] }}")


def test_given_an_oauth_login_with_an_expiry_moment_and_headers_then_the_cdks_authenticator_with_the_same_request():
    ctx = Context()
    definition = cloud_stand_ins.authenticator({
        "vendor": "Plutio", "token_url": "{{ config['base_url'] }}/oauth/token", "body_format": "form",
        "request_body": {"grant_type": "client_credentials", "client_id": "{{ config['client_id'] }}",
                         "client_secret": "{{ config['client_secret'] }}"},
        "request_headers": {"Business": "{{ config['business'] }}"}, "token_field": "accessToken",
        "expires_at_field": "accessTokenExpiresAt"}, ctx, {})
    auth = built(models.OAuthAuthenticator, definition, {"base_url": "https://p", "client_id": "c", "client_secret": "s",
                                                         "business": "acme"})
    sent = {key: value for key, value in auth.build_refresh_request_body().items() if value is not None}
    assert sent == {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}  # (requests drops None)
    assert auth.build_refresh_request_headers() == {"Business": "acme"}
    assert auth.get_access_token_name() == "accessToken" and auth.token_expiry_is_time_of_expiration
    assert "shared token" in ctx.losses and "refused login" in ctx.losses


def test_given_a_json_login_whose_key_goes_in_its_own_header_then_a_session_token_renewed_before_its_lifetime():
    ctx = Context(vendor="Pluggy")
    definition = cloud_stand_ins.authenticator({
        "vendor": "Pluggy", "token_url": "https://api.pluggy.ai/auth", "body_format": "json",
        "request_body": {"clientId": "{{ config['client_id'] }}"}, "token_field": "apiKey", "header": "X-API-KEY",
        "header_prefix": "", "default_lifetime_seconds": 7200}, ctx, {})
    assert definition["expiration_duration"] == "PT1H55M" and definition["session_token_path"] == ["apiKey"]
    assert ctx.session_token
    built(models.SessionTokenAuthenticator, definition, {"client_id": "c"}, name="items")
    renewing = {"type": "HttpResponseFilter", "http_codes": [401], "action": "REFRESH_TOKEN_THEN_RETRY"}
    handler = cloud_stand_ins.error_handler({"vendor": "Pluggy", "response_filters": [renewing]}, ctx, {})
    assert handler["response_filters"][0]["action"] == "FAIL"  # nothing renews a session key on a 401


def test_given_a_form_login_in_another_header_then_no_stand_in_and_the_reason():
    with pytest.raises(BuildError, match="has no Cloud stand-in"):
        cloud_stand_ins.authenticator({"token_url": "u", "request_body": {}, "header": "X-Key"}, Context(), {})


# ---- the generator -------------------------------------------------------------------------------------------------------
def test_given_a_class_without_a_stand_in_then_the_build_fails_naming_it():
    manifest = {"definitions": {"x": {"type": "CustomRecordExtractor", "class_name": "components.Mine"}}}
    with pytest.raises(BuildError, match="the custom class Mine has no declarative stand-in"):
        cloud.replace_custom(manifest, Context())


def test_given_components_that_point_at_or_extend_a_definition_then_they_keep_pointing_at_its_stand_in():
    handler = {"type": "CustomErrorHandler", "class_name": "components.VendorErrorHandler", "vendor": "V",
               "response_filters": [{"type": "HttpResponseFilter", "http_codes": [404], "action": "FAIL"}]}
    extra = {"type": "HttpResponseFilter", "http_codes": [404], "action": "IGNORE"}
    manifest = {"definitions": {"handler": handler,
                                "plain": {"type": "HttpRequester", "error_handler": {"$ref": "#/definitions/handler"}},
                                "own": {"type": "HttpRequester", "error_handler": {
                                    "$ref": "#/definitions/handler", "response_filters": [extra]}}}}
    cloud.replace_custom(manifest, Context())
    definitions = manifest["definitions"]
    assert definitions["handler"]["type"] == "DefaultErrorHandler"
    assert definitions["plain"]["error_handler"] == {"$ref": "#/definitions/handler"}
    own = definitions["own"]["error_handler"]
    assert set(own) == {"$ref", "response_filters"} and own["response_filters"][0] == extra
    assert cloud.custom_code_left(manifest) == []


def test_given_custom_code_left_then_it_is_named():
    assert cloud.custom_code_left({"a": {"type": "CustomAuthenticator"}, "b": ["x", "components.Mine"]}) == [
        "a/type: CustomAuthenticator", "b/1: components.Mine"]


def test_given_a_login_answer_that_echoes_the_request_then_the_message_quotes_its_code_only():
    definition = cloud_stand_ins.authenticator({
        "vendor": "Pluggy", "token_url": "https://api.pluggy.ai/auth", "body_format": "json", "request_body": {},
        "token_field": "apiKey", "header": "X-API-KEY", "header_prefix": "",
        "credentials_hint": "check `client_id` and `client_secret`."}, Context(), {})
    login_filters = definition["login_requester"]["error_handler"]["response_filters"]
    echo = {"message": 'rejected: {"clientSecret": "s\\"ecr/et"}', "codeDescription": "CLIENT_KEYS_UNAUTHORIZED"}
    action, message = decided(login_filters, answer(echo, "https://api.pluggy.ai/auth", 401))
    assert action == ResponseAction.FAIL and "ecr/et" not in message
    assert message == ("Pluggy refused the login (CLIENT_KEYS_UNAUTHORIZED): check `client_id` and `client_secret`.")
    assert "ecr/et" not in decided(login_filters, answer(echo, "https://api.pluggy.ai/auth", 503))[1]
