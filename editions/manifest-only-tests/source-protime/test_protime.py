"""Protime's manifest-only edition against HttpMocker (it has no component of its own: its components.py is the kit's
token, answer checks, errors and windows). Read as the image reads it: one token carrying every stream's scope, the
relative `nextLink` followed to the end, date windows of at most a year from `start_date`, a missing scope a config
error naming it, a stale continuation token restarting the window, Protime's own error words on a bad request.
"""

from pathlib import Path
from urllib.parse import urlencode

import yaml
from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest
from airbyte_cdk.test.mock_http.request import ANY_QUERY_PARAMS
from freezegun import freeze_time
from mock_server import check, failures, ok, read_streams, records

HOST = "https://acme.myprotime.eu"
API = f"{HOST}/connector/protimeapi/api/v1"
TOKEN_URL = "https://authentication.myprotime.eu/tenants/acme/connect/token"
CONFIG = {"tenant": "acme", "client_id": "cid", "client_secret": "csecret", "start_date": "2025-01-01",
          "max_retries": 1}
MANIFEST = yaml.safe_load((Path(__file__).parent.parent / "manifest.yaml").read_text())
SCOPE = MANIFEST["definitions"]["authenticator"]["request_body"]["scope"]


def token(http_mocker: HttpMocker, environment_url: str = TOKEN_URL) -> None:
    body = urlencode({"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret",
                      "scope": SCOPE})
    http_mocker.post(HttpRequest(environment_url, body=body), ok({"access_token": "t1", "expires_in": 1800}))


def collection(name: str, params=ANY_QUERY_PARAMS, host: str = HOST) -> HttpRequest:
    return HttpRequest(f"{host}/connector/protimeapi/api/v1/{name}", query_params=params,
                       headers={"Authorization": "Bearer t1"})


DEPARTMENT = {"id": 1, "changeVersion": "0001", "name": "Sales", "code": "S", "isEnabled": True}


@HttpMocker()
def test_given_a_next_link_when_read_then_every_page_with_one_token_asking_every_scope(http_mocker):
    token(http_mocker)
    http_mocker.get(collection("departments"), [
        ok({"value": [DEPARTMENT], "nextLink": "/connector/protimeapi/api/v1/departments?continuationToken=x"}),
        ok({"value": [{**DEPARTMENT, "id": 2}]})])

    output = read_streams(CONFIG, "departments")

    assert [r["id"] for r in records(output, "departments")] == [1, 2]
    assert all(scope.endswith(".read") for scope in SCOPE.split())


@HttpMocker()
def test_given_the_sandbox_environment_then_the_sandbox_tenant_and_token_hosts(http_mocker):
    token(http_mocker, "https://authentication.myprotimesandbox.eu/tenants/acme/connect/token")
    http_mocker.get(collection("departments", host="https://acme.myprotimesandbox.eu"), ok({"value": [DEPARTMENT]}))

    output = read_streams({**CONFIG, "environment": "sandbox"}, "departments")

    assert [r["id"] for r in records(output, "departments")] == [1]


@freeze_time("2026-03-01")
@HttpMocker()
def test_given_a_start_date_over_a_year_ago_then_clockings_are_read_in_windows_of_at_most_a_year(http_mocker):
    token(http_mocker)
    windows = [("2025-01-01", "2025-12-31"), ("2026-01-01", "2026-03-01")]
    for start, end in windows:
        http_mocker.get(collection("clockings", {"filter": f"date ge '{start}' and date le '{end}'"}),
                        ok({"value": [{"id": int(start[:4]), "date": start, "person": {"id": 1}}]}))

    output = read_streams(CONFIG, "clockings", incremental=["clockings"])

    assert sorted(r["id"] for r in records(output, "clockings")) == [2025, 2026]  # windows read concurrently


@HttpMocker()
def test_given_a_client_without_the_scope_then_a_config_error_naming_it(http_mocker):
    token(http_mocker)
    http_mocker.get(collection("departments"), ok({"error": {"code": "Forbidden", "message": "no scope"}}, 403))

    output = read_streams(CONFIG, "departments", expecting_exception=True)

    [(failure_type, message), *_] = failures(output)
    assert failure_type == "config_error" and "connector-protimeapi-departments.read" in message


@HttpMocker()
def test_given_a_stale_continuation_token_then_the_window_is_read_again_from_its_first_page(http_mocker):
    token(http_mocker)
    http_mocker.get(collection("departments"), [
        ok({"value": [DEPARTMENT], "nextLink": "/connector/protimeapi/api/v1/departments?continuationToken=x"}),
        ok({"error": {"code": "Conflict", "message": "stale"}}, 409),
        ok({"value": [DEPARTMENT]})])

    output = read_streams(CONFIG, "departments")

    assert [r["id"] for r in records(output, "departments")] == [1, 1]


@HttpMocker()
def test_given_a_bad_request_then_protimes_code_message_and_reasons(http_mocker):
    token(http_mocker)
    http_mocker.get(collection("departments"), ok(
        {"error": {"code": "BadRequest", "message": "Invalid filter.", "reasons": ["unknown field"]}}, 400))

    output = read_streams(CONFIG, "departments", expecting_exception=True)

    assert any("BadRequest" in message and "unknown field" in message for _, message in failures(output))


@HttpMocker()
def test_given_valid_credentials_when_checked_then_departments_answer(http_mocker):
    token(http_mocker)
    http_mocker.get(collection("departments"), ok({"value": []}))

    assert check(CONFIG).status == Status.SUCCEEDED
