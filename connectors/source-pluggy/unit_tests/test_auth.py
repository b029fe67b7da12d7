"""POST /auth: one API key per lifetime, sent as X-API-KEY, renewed before expiry and when rejected."""

from __future__ import annotations

from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from pluggy_api import (auth_request, auth_response, config, cursor_response, error_response, get, page_response,
                        paged, read_streams, record, run_check)


@HttpMocker()
def test_given_valid_credentials_when_reading_then_key_is_requested_once_and_sent_on_every_call(http_mocker):
    auth = auth_request()
    http_mocker.post(auth, auth_response("key-one"))
    http_mocker.get(paged("/categories"), page_response([record("categories")], page=1, total_pages=2))
    http_mocker.get(paged("/categories", page=2), page_response([record("categories", id="02000000")], 2, 2))
    http_mocker.get(paged("/connectors"), page_response([record("connectors")]))

    output = read_streams(["categories", "connectors"], config())

    assert len(output.records) == 3
    http_mocker.assert_number_of_calls(auth, 1)


@HttpMocker()
def test_given_key_revoked_when_api_answers_401_then_key_is_renewed_once_and_call_retried(http_mocker):
    auth = auth_request()
    http_mocker.post(auth, [auth_response("key-one"), auth_response("key-two")])
    http_mocker.get(paged("/categories", key="key-one"), error_response(401))
    http_mocker.get(paged("/categories", key="key-two"), page_response([record("categories")]))

    output = read_streams(["categories"], config())

    assert [r.record.data["id"] for r in output.records] == [record("categories")["id"]]
    http_mocker.assert_number_of_calls(auth, 2)


@HttpMocker()
def test_given_key_older_than_its_lifetime_when_reading_again_then_a_new_key_is_requested(http_mocker):
    auth, with_new_key = auth_request(), paged("/categories", key="key-two")
    http_mocker.post(auth, [auth_response("key-one"), auth_response("key-two")])
    http_mocker.get(paged("/categories", key="key-one"), page_response([record("categories")]))
    http_mocker.get(with_new_key, page_response([record("categories")]))

    with freeze_time("2026-01-01T10:00:00Z") as clock:
        read_streams(["categories"], config())
        clock.tick(60 * 60)  # 1 h later the 2-hour key is still good: no new login
        read_streams(["categories"], config())
        http_mocker.assert_number_of_calls(auth, 1)
        clock.tick(60 * 60)  # 2 h after login: renewed before the call
        read_streams(["categories"], config())

    http_mocker.assert_number_of_calls(auth, 2)
    http_mocker.assert_number_of_calls(with_new_key, 1)


@HttpMocker()
def test_given_wrong_credentials_when_check_then_failed_status_names_the_fields_without_the_secret(http_mocker):
    http_mocker.post(auth_request(), error_response(401))

    output = run_check(config())

    status = output.connection_status()
    assert status.status == Status.FAILED
    assert "client_id" in status.message and "client_secret" in status.message
    assert "CLIENT_KEYS_UNAUTHORIZED" in status.message
    assert config()["client_secret"] not in output.text()


@HttpMocker()
def test_given_valid_credentials_when_check_then_succeeds_with_one_item_listing(http_mocker):
    http_mocker.post(auth_request(), auth_response())
    http_mocker.get(get("/v2/items"), cursor_response([record("items")]))

    output = run_check(config())

    assert output.connection_status().status == Status.SUCCEEDED
