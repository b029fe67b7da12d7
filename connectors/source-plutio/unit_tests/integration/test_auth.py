"""Token flow: form-encoded client credentials, one token per lifetime, renewal on 401 and before expiry,
and check failures that name the field to fix."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from airbyte_cdk.models import Status, SyncMode
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command, make_file
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from source_plutio import SourcePlutio
from source_plutio.components import PlutioOAuthAuthenticator

from .config import BUSINESS, ConfigBuilder
from .request_builder import PlutioRequestBuilder
from .response_builder import from_template, page, record, token
from .source_runner import run_read


def check(source: SourcePlutio, config: dict) -> EntrypointOutput:
    # entrypoint_wrapper has read() and discover() helpers but none for check
    with tempfile.TemporaryDirectory() as tmp:
        config_file = make_file(Path(tmp) / "config.json", config)
        return _run_command(source, ["check", "--config", config_file], expecting_exception=True)

PEOPLE_FIRST = PlutioRequestBuilder.resource("people").with_limit(100).with_updated_since("2024-01-01T00:00:00.000Z")


@HttpMocker()
def test_given_valid_credentials_when_read_then_form_token_request_and_bearer_with_business_header(http_mocker: HttpMocker) -> None:
    token_request = PlutioRequestBuilder.token()
    http_mocker.post(token_request, token())
    http_mocker.get(PEOPLE_FIRST.build(), page([record("people", "p1", "2024-02-01T00:00:00.000Z")]))

    output = run_read(ConfigBuilder().build(), {"people": SyncMode.incremental})

    assert [r.record.data["_id"] for r in output.records] == ["p1"]
    # the mocker only matched because the token body was form-encoded and both headers were on the data call
    http_mocker.assert_number_of_calls(token_request, 1)


@HttpMocker()
def test_given_several_streams_when_read_then_one_token_call_serves_them_all(http_mocker: HttpMocker) -> None:
    token_request = PlutioRequestBuilder.token()
    http_mocker.post(token_request, token())
    http_mocker.get(PEOPLE_FIRST.build(), page([record("people", "p1", "2024-02-01T00:00:00.000Z")]))
    http_mocker.get(
        PlutioRequestBuilder.resource("statuses").with_limit(100).build(), page([record("statuses", "s1")])
    )
    http_mocker.get(
        PlutioRequestBuilder.resource("companies").with_limit(100).with_updated_since("2024-01-01T00:00:00.000Z").build(),
        page([record("companies", "c1", "2024-02-01T00:00:00.000Z")]),
    )

    output = run_read(
        ConfigBuilder().build(),
        {"people": SyncMode.incremental, "statuses": SyncMode.full_refresh, "companies": SyncMode.incremental},
    )

    assert sorted(r.record.data["_id"] for r in output.records) == ["c1", "p1", "s1"]
    http_mocker.assert_number_of_calls(token_request, 1)


@HttpMocker()
def test_given_token_rejected_mid_sync_when_read_then_token_renewed_once_and_call_retried(http_mocker: HttpMocker) -> None:
    token_request = PlutioRequestBuilder.token()
    http_mocker.post(token_request, [token("mock-access-token-1"), token("mock-access-token-2")])
    http_mocker.get(PEOPLE_FIRST.build(), from_template("401", status=401))
    http_mocker.get(
        PlutioRequestBuilder.resource("people").with_limit(100).with_updated_since("2024-01-01T00:00:00.000Z")
        .with_token("mock-access-token-2").build(),
        page([record("people", "p1", "2024-02-01T00:00:00.000Z")]),
    )

    output = run_read(ConfigBuilder().build(), {"people": SyncMode.incremental})

    assert [r.record.data["_id"] for r in output.records] == ["p1"]
    assert not output.errors
    http_mocker.assert_number_of_calls(token_request, 2)


@HttpMocker()
def test_given_token_close_to_expiry_when_next_call_then_token_renewed_before_it_expires(http_mocker: HttpMocker) -> None:
    issued = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    expires = issued + timedelta(hours=1)  # renewal margin: min(5 min, lifetime / 10) = 5 min
    token_request = PlutioRequestBuilder.token()
    http_mocker.post(
        token_request,
        [token("mock-access-token-1", expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")), token("mock-access-token-2")],
    )
    auth = PlutioOAuthAuthenticator(
        config=ConfigBuilder().build(),
        parameters={},
        token_refresh_endpoint="{{ config['base_url'] }}/oauth/token",
        grant_type="client_credentials",
        client_id="{{ config['client_id'] }}",
        client_secret="{{ config['client_secret'] }}",
        access_token_name="accessToken",
        expires_in_name="accessTokenExpiresAt",
        token_expiry_is_time_of_expiration=True,
        token_expiry_date_format="%Y-%m-%dT%H:%M:%S.%fZ",
        refresh_request_headers={"Business": BUSINESS},
    )
    with freeze_time(issued) as clock:
        assert auth.get_access_token() == "mock-access-token-1"
        clock.move_to(expires - timedelta(minutes=6))
        assert auth.get_access_token() == "mock-access-token-1"
        clock.move_to(expires - timedelta(minutes=4))
        assert auth.get_access_token() == "mock-access-token-2"
    http_mocker.assert_number_of_calls(token_request, 2)


@HttpMocker()
def test_given_wrong_client_secret_when_check_then_failed_status_names_client_id_and_secret(http_mocker: HttpMocker) -> None:
    config = ConfigBuilder().build()
    config["client_secret"] = "wrong-secret"
    http_mocker.post(PlutioRequestBuilder.token(client_secret="wrong-secret"), from_template("401_token", status=401))

    output = check(SourcePlutio(config=config), config)

    status = output.connection_status_messages[-1].connectionStatus
    assert status.status == Status.FAILED
    assert "`client_id`" in status.message and "`client_secret`" in status.message
    assert all("wrong-secret" not in str(m) for m in output.logs + output.connection_status_messages)


@HttpMocker()
def test_given_wrong_business_when_check_then_failed_status_names_business(http_mocker: HttpMocker) -> None:
    config = ConfigBuilder().with_business("not-mine").build()
    http_mocker.post(PlutioRequestBuilder.token(business="not-mine"), token())
    http_mocker.get(
        PlutioRequestBuilder.resource("people").with_limit(100).with_updated_since("2024-01-01T00:00:00.000Z")
        .with_business("not-mine").build(),
        from_template("403_business", status=403),
    )

    output = check(SourcePlutio(config=config), config)

    status = output.connection_status_messages[-1].connectionStatus
    assert status.status == Status.FAILED
    assert "`business`" in status.message


@HttpMocker()
def test_given_forbidden_resource_when_read_then_config_error_says_to_grant_access(http_mocker: HttpMocker) -> None:
    token_request = PlutioRequestBuilder.token()
    http_mocker.post(token_request, token())
    http_mocker.get(PEOPLE_FIRST.build(), from_template("403", status=403))

    output = run_read(ConfigBuilder().build(), {"people": SyncMode.incremental}, expecting_exception=True)

    assert not output.records
    errors = [e.trace.error for e in output.errors]
    assert errors and errors[0].failure_type.value == "config_error"
    assert "API manager" in errors[0].message


@HttpMocker()
def test_given_server_caps_pages_below_page_size_when_check_then_failed_naming_page_size(http_mocker: HttpMocker) -> None:
    config = ConfigBuilder().with_page_size(4).build()
    http_mocker.post(PlutioRequestBuilder.token(), token())
    capped_page = page([record("people", f"p{i}", "2024-02-01T00:00:00.000Z") for i in range(2)])
    http_mocker.get(
        PlutioRequestBuilder.resource("people").with_limit(4).with_updated_since("2024-01-01T00:00:00.000Z").build(),
        capped_page,
    )
    http_mocker.get(PlutioRequestBuilder.resource("people").with_limit(4).build(), capped_page)
    http_mocker.get(
        PlutioRequestBuilder.resource("people").with_skip(2).with_limit(1).build(),
        page([record("people", "p2", "2024-02-01T00:00:00.000Z")]),
    )

    output = check(SourcePlutio(config=config), config)

    status = output.connection_status_messages[-1].connectionStatus
    assert status.status == Status.FAILED
    assert "`page_size` to 2 or less" in status.message


@HttpMocker()
def test_given_short_first_page_that_is_the_end_when_check_then_succeeded(http_mocker: HttpMocker) -> None:
    config = ConfigBuilder().with_page_size(4).build()
    http_mocker.post(PlutioRequestBuilder.token(), token())
    short_page = page([record("people", "p1", "2024-02-01T00:00:00.000Z")])
    http_mocker.get(
        PlutioRequestBuilder.resource("people").with_limit(4).with_updated_since("2024-01-01T00:00:00.000Z").build(),
        short_page,
    )
    http_mocker.get(PlutioRequestBuilder.resource("people").with_limit(4).build(), short_page)
    http_mocker.get(PlutioRequestBuilder.resource("people").with_skip(1).with_limit(1).build(), page([]))

    output = check(SourcePlutio(config=config), config)

    assert output.connection_status_messages[-1].connectionStatus.status == Status.SUCCEEDED
