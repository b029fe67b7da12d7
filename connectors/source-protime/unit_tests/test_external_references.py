"""External references: the parameter is sent (encoded), referenced objects carry their map, bad pairs are config
errors that name the entry."""

import pytest
from airbyte_cdk.models import FailureType, Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from connector_kit.testing.mock_server import SentRequests
from freezegun import freeze_time

from protime_api import (assert_valid, catalog, collection, config, page, read, records, run_check, scope, state,
                         template, token_request, token_response)

REFERENCES = [{"collection": "people", "reference": "@badge-number"}, {"collection": "people", "reference": "HR ID/é"}]
RAW = "(people,@badge-number)(people,HR ID/é)"


@freeze_time("2026-01-10T08:00:00Z")
@HttpMocker()
def test_given_references_when_read_then_parameter_is_encoded_and_records_carry_the_map(http_mocker, monkeypatch):
    sent = SentRequests(monkeypatch)
    http_mocker.post(token_request(scope("clockings")), token_response())
    clocking = {**template("clockings")["value"][0],
                "person": {"id": 123152, "externalReferences": {"@badge-number": "6767676", "HR ID/é": "HR-1"}}}
    http_mocker.get(collection("clockings").with_window("2026-01-01", "2026-01-10").with_external_references(RAW).build(),
                    page([clocking]))

    output = read(config(external_references=REFERENCES, incremental_mode="window"),
                  catalog("clockings", mode=SyncMode.incremental))

    assert records(output)[0]["person"]["externalReferences"] == {"@badge-number": "6767676", "HR ID/é": "HR-1"}
    assert any("externalReferences=%28people%2C%40badge-number%29%28people%2CHR+ID%2F%C3%A9%29" in query
               for query in sent.queries("/clockings"))  # what really went on the wire
    assert_valid(output)


@HttpMocker()
def test_given_references_when_delta_sync_then_parameter_is_sent_on_the_delta_link_too(http_mocker):
    http_mocker.post(token_request(scope("people")), token_response())
    link = "/connector/protimeapi/api/v1/delta/people?deltaToken=p1"
    http_mocker.get(collection(link + "&externalReferences=(people,@badge-number)").build(),
                    page([], delta_link="/connector/protimeapi/api/v1/delta/people?deltaToken=p2"))
    with freeze_time("2026-01-10T08:00:00Z"):
        output = read(config(external_references=REFERENCES[:1]), catalog("people", mode=SyncMode.incremental),
                      state("people", {"deltaLink": link, "deltaLinkUsedAt": "2026-01-10T07:00:00Z"}))
    assert output.exit_code == 0 and records(output) == []


@pytest.mark.parametrize(("entry", "named"), [
    ({"collection": "people", "reference": "HR(MID"}, "external_references[1].reference"),
    ({"collection": "People!", "reference": "x"}, "external_references[1].collection"),
    ({"collection": "people"}, "external_references[1].reference"),
])
def test_given_malformed_pair_when_check_then_failure_names_the_entry_and_what_fits(entry, named) -> None:
    output = run_check(config(external_references=[REFERENCES[0], entry]))

    status = output.connection_status()
    assert status.status == Status.FAILED and named in status.message
    assert "without parentheses or commas" in status.message or "lower case" in status.message \
        or "is required" in status.message


def test_given_malformed_pair_when_read_then_one_config_error_naming_it_and_no_call() -> None:
    output = read(config(external_references=[{"collection": "People!", "reference": "x"}]), catalog("departments"))

    assert output.exit_code == 1 and not output.records
    error = output.errors[-1].trace.error
    assert error.failure_type == FailureType.config_error and "People!" in error.message
