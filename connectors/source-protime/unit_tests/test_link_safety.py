"""Links stay on the configured host: a nextLink or deltaLink (from an answer or from the state) is followed only
on base_url's scheme, host and port; one to another host fails the stream, naming that host, and nothing (not even
the token) is sent there. HttpMocker fails any request it has no answer for, so "nothing sent" is checked too."""

import logging

import pytest
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from connector_kit.manifest import load_manifest, resolve
from freezegun import freeze_time

from protime_api import (HOST, catalog, collection, config, last_state, page, read, records, scope, state, states,
                         template, token_request, token_response)
from source_protime.delta import DeltaReader, DeltaSettings, delta_requester

EVIL = "https://evil.example.net:8443"
CLOCKING = template("clockings")["value"][0]
DEPARTMENT = template("departments")["value"][0]
DELTA_1 = "/connector/protimeapi/api/v1/delta/clockings?deltaToken=d1"
NOW = "2026-01-10T08:00:00Z"
FRESH = "2026-01-09T08:00:00Z"


def error_message(output) -> str:
    return output.error_message()


# ---- the plain listing (the manifest's paginator) -------------------------------------------------------------------
@HttpMocker()
def test_given_a_next_link_to_another_host_when_listing_then_the_stream_fails_naming_it(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("departments")), token_response())
    http_mocker.get(collection("departments").build(),
                    page([DEPARTMENT], next_link=f"{EVIL}/connector/protimeapi/api/v1/departments?continuationToken=2"))

    output = read(config(), catalog("departments"))

    assert output.exit_code == 1 and len(records(output)) == 1  # the first page, from the configured host
    message = error_message(output)
    assert message.startswith("Stream departments:") and f"at {EVIL}, not at the configured host {HOST}" in message
    assert "continuationToken" not in message


@HttpMocker()
def test_given_an_absolute_next_link_on_the_configured_host_when_listing_then_followed(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("departments")), token_response())
    http_mocker.get(collection("departments").build(),
                    page([DEPARTMENT], next_link=f"{HOST}/connector/protimeapi/api/v1/departments?continuationToken=2"))
    http_mocker.get(collection("departments").with_param("continuationToken", "2").build(),
                    page([{**DEPARTMENT, "id": 2}]))

    output = read(config(), catalog("departments"))

    assert [r["id"] for r in records(output)] == [DEPARTMENT["id"], 2]


# ---- the delta reader --------------------------------------------------------------------------------------------
@freeze_time(NOW)
@HttpMocker()
def test_given_an_initial_load_whose_next_link_leads_elsewhere_then_it_fails_and_stores_no_such_link(
        http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection("clockings").with_filter("date ge '2026-01-01'").with_param("delta", "").build(),
                    page([CLOCKING], next_link=f"{EVIL}/connector/protimeapi/api/v1/clockings?continuationToken=c2"))

    output = read(config(), catalog("clockings", mode=SyncMode.incremental))

    assert output.exit_code == 1 and states(output, "clockings") == []
    assert f"Stream clockings: Protime's nextLink of clockings leads to {EVIL}" in error_message(output)


@freeze_time(NOW)
@HttpMocker()
def test_given_an_initial_load_whose_delta_link_leads_elsewhere_then_it_fails_before_storing_it(
        http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection("clockings").with_filter("date ge '2026-01-01'").with_param("delta", "").build(),
                    page([CLOCKING], delta_link=f"{EVIL}/connector/protimeapi/api/v1/delta/clockings?deltaToken=d1"))

    output = read(config(), catalog("clockings", mode=SyncMode.incremental))

    assert output.exit_code == 1 and states(output, "clockings") == []
    assert f"Protime's deltaLink of clockings leads to {EVIL}, not the configured host {HOST}" in error_message(output)


@freeze_time(NOW)
@HttpMocker()
def test_given_a_change_read_whose_next_link_leads_elsewhere_then_it_fails_and_keeps_the_old_link(
        http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection(DELTA_1).build(), page(
        [{"changeType": "InsertOrUpdate", "data": {**CLOCKING, "changeVersion": "000000000000000A"}}],
        next_link=f"{EVIL}/connector/protimeapi/api/v1/delta/clockings?deltaToken=d1&continuationToken=n2"))

    output = read(config(), catalog("clockings", mode=SyncMode.incremental),
                  state("clockings", {"deltaLink": DELTA_1, "deltaLinkUsedAt": FRESH}))

    assert output.exit_code == 1 and states(output, "clockings") == []
    assert f"Protime's nextLink of clockings leads to {EVIL}" in error_message(output)


@pytest.mark.parametrize("saved", [
    {"deltaLink": f"{EVIL}/connector/protimeapi/api/v1/delta/clockings?deltaToken=d1", "deltaLinkUsedAt": FRESH},
    {"deltaLink": "//evil.example.net:8443/connector/protimeapi/api/v1/delta/clockings", "deltaLinkUsedAt": FRESH},
    {"initialLoad": {"nextLink": f"{EVIL}/connector/protimeapi/api/v1/clockings?continuationToken=c2",
                     "startedAt": FRESH}},
])
@freeze_time(NOW)
@HttpMocker()
def test_given_a_state_link_to_another_host_then_it_fails_before_any_request(http_mocker: HttpMocker, saved) -> None:
    output = read(config(), catalog("clockings", mode=SyncMode.incremental), state("clockings", saved))

    assert output.exit_code == 1  # and no request at all: HttpMocker has no answer for any, not even the token
    message = error_message(output)
    assert "Stream clockings: The state's" in message and f"leads to {EVIL}" in message
    assert "reset this stream's state" in message


@freeze_time(NOW)
@HttpMocker()
def test_given_a_state_delta_link_on_the_configured_host_then_followed(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection(DELTA_1).build(), page([], delta_link=DELTA_1.replace("d1", "d2")))

    output = read(config(), catalog("clockings", mode=SyncMode.incremental),
                  state("clockings", {"deltaLink": f"{HOST}{DELTA_1}", "deltaLinkUsedAt": FRESH}))

    assert records(output) == [] and last_state(output, "clockings")["deltaLink"].endswith("deltaToken=d2")


MANIFEST = resolve(load_manifest("source_protime"))
ALL_SCOPES = MANIFEST["definitions"]["authenticator"]["request_body"]["scope"]  # no catalog narrows it here


def reader(saved: list) -> DeltaReader:
    parameters = {"collection": "clockings", "scope": "connector-protimeapi-clockings.read"}
    requester = delta_requester(MANIFEST, config(), "clockings", parameters)
    return DeltaReader(DeltaSettings("clockings", "clockings", None), requester, saved, logging.getLogger("airbyte"))


@freeze_time(NOW)
@HttpMocker()
def test_given_a_link_to_another_host_then_a_config_error_from_the_state_and_a_system_error_from_an_answer(
        http_mocker: HttpMocker) -> None:
    """A state link is the user's to fix (reset the stream or restore base_url); an answer's is Protime's fault."""
    http_mocker.post(token_request(ALL_SCOPES), token_response())
    http_mocker.get(collection("clockings").with_param("delta", "").build(),
                    page([], next_link=f"{EVIL}/connector/protimeapi/api/v1/clockings?continuationToken=c2"))
    saved = state("clockings", {"deltaLink": f"{EVIL}/delta/clockings?deltaToken=d1", "deltaLinkUsedAt": FRESH})

    with pytest.raises(AirbyteTracedException) as from_state:
        list(reader(saved).read())
    with pytest.raises(AirbyteTracedException) as from_answer:
        list(reader([]).read())

    assert from_state.value.failure_type == FailureType.config_error
    assert from_answer.value.failure_type == FailureType.system_error
