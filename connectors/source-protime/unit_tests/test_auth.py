"""OAuth client credentials: scopes from the catalog, one token reused, renewal on 401, actionable 403 and token errors."""

from urllib.parse import urlencode

from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest
from freezegun import freeze_time

from protime_api import (catalog, collection, config, error, page, read, records, run_check, scope, template,
                         token_request, token_response)

ALL_SCOPES = scope("people", "clockings", "absences", "absence-definitions", "contracts", "calculated-totals",
                   "shift-definitions", "departments", "break-definitions", "employers", "job-categories")


@HttpMocker()
def test_given_two_selected_streams_when_read_then_one_token_with_their_scopes_is_reused(http_mocker: HttpMocker) -> None:
    token = token_request(scope("people", "calculated-totals"))
    http_mocker.post(token, token_response("tok-1"))
    http_mocker.get(collection("people").with_token("tok-1").build(), page(template("people")["value"]))
    http_mocker.get(collection("paid-presences").with_token("tok-1").with_window("2026-01-01", "2026-01-10").build(),
                    page(template("paid_presences")["value"]))

    with freeze_time("2026-01-10T12:00:00Z"):
        output = read(config(), catalog("people", "paid_presences"))

    assert len(records(output)) == 2
    http_mocker.assert_number_of_calls(token, 1)


@HttpMocker()
def test_given_no_catalog_when_check_then_token_asks_for_every_scope(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(ALL_SCOPES), token_response())
    http_mocker.get(collection("departments").build(), page(template("departments")["value"]))

    assert run_check(config()).connection_status().status == Status.SUCCEEDED


@HttpMocker()
def test_given_token_rejected_with_401_when_read_then_new_token_and_retry(http_mocker: HttpMocker) -> None:
    token = token_request(scope("departments"))
    http_mocker.post(token, [token_response("tok-1"), token_response("tok-2")])
    http_mocker.get(collection("departments").with_token("tok-1").build(), error("401", 401))
    http_mocker.get(collection("departments").with_token("tok-2").build(), page(template("departments")["value"]))

    output = read(config(), catalog("departments"))

    assert [r["id"] for r in records(output)] == [10]
    http_mocker.assert_number_of_calls(token, 2)


@HttpMocker()
def test_given_missing_scope_when_read_then_config_error_names_the_scope(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("departments")), token_response())
    http_mocker.get(collection("departments").build(), error("403", 403))

    output = read(config(), catalog("departments"))

    error_ = output.errors[-1].trace.error
    assert output.exit_code == 1 and "grant the API client the scope" in error_.message
    assert "connector-protimeapi-departments.read" in error_.message
    assert error_.failure_type == FailureType.config_error


@HttpMocker()
def test_given_wrong_client_secret_when_check_then_failure_names_the_fields(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(ALL_SCOPES), error("token_invalid_client", 400))

    output = run_check(config())

    status = output.connection_status()
    assert status.status == Status.FAILED
    assert "client_id" in status.message and "client_secret" in status.message
    assert "test-secret" not in output.text()


@HttpMocker()
def test_given_sandbox_environment_when_read_then_sandbox_hosts_are_used(http_mocker: HttpMocker) -> None:
    body = urlencode({"grant_type": "client_credentials", "client_id": "test-client", "client_secret": "test-secret",
                      "scope": scope("departments")})
    http_mocker.post(HttpRequest("https://authentication.myprotimesandbox.eu/tenants/acme/connect/token", body=body),
                     token_response())
    http_mocker.get(HttpRequest("https://acme.myprotimesandbox.eu/connector/protimeapi/api/v1/departments"),
                    page(template("departments")["value"]))

    output = read(config(environment="sandbox"), catalog("departments"))

    assert len(records(output)) == 1
