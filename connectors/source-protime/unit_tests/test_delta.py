"""Delta streams: first sync stores the deltaLink, the next one emits changes (deletes marked), an expired or
old link falls back to a re-read."""

from urllib.parse import parse_qs

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from connector_kit.testing.mock_server import SentRequests
from freezegun import freeze_time

from protime_api import (assert_valid, catalog, collection, config, error, last_state, page, read, records, scope,
                         state, states, template, token_request, token_response)

CLOCKING = template("clockings")["value"][0]
DELTA_1 = "/connector/protimeapi/api/v1/delta/clockings?deltaToken=d1"
DELTA_2 = "/connector/protimeapi/api/v1/delta/clockings?deltaToken=d2"
NOW = "2026-01-10T08:00:00Z"


def _sent_queries(sent: SentRequests) -> list[dict]:
    # HttpMocker's matcher ignores blank values (parse_qs), so read what was really sent to see the bare `delta`.
    return [parse_qs(query, keep_blank_values=True) for query in sent.queries("/connector/protimeapi/")]


def _initial_load(http_mocker: HttpMocker, records_: list, link: str = DELTA_1) -> None:
    http_mocker.get(collection("clockings").with_filter("date ge '2026-01-01'").with_param("delta", "").build(),
                    page(records_[:1], next_link="/connector/protimeapi/api/v1/clockings?continuationToken=c2&deltaToken=x"))
    # the nextLink carries the whole query: nothing is added to it
    http_mocker.get(collection("clockings").with_param("continuationToken", "c2").with_param("deltaToken", "x").build(),
                    page(records_[1:], delta_link=link))


@freeze_time(NOW)
@HttpMocker()
def test_given_no_state_when_incremental_sync_then_initial_load_and_delta_link_in_state(http_mocker: HttpMocker, monkeypatch) -> None:
    sent = SentRequests(monkeypatch)  # after HttpMocker has replaced requests' send
    http_mocker.post(token_request(scope("clockings")), token_response())
    _initial_load(http_mocker, [CLOCKING, {**CLOCKING, "id": 2}])

    output = read(config(), catalog("clockings", mode=SyncMode.incremental))

    assert [r["id"] for r in records(output)] == [CLOCKING["id"], 2]
    assert last_state(output, "clockings") == {"deltaLink": DELTA_1, "deltaLinkUsedAt": NOW}
    assert "delta" in _sent_queries(sent)[0]
    assert_valid(output)


@freeze_time(NOW)
@HttpMocker()
def test_given_a_delta_stream_when_it_ends_then_its_record_count_is_logged_as_every_stream_does(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    _initial_load(http_mocker, [CLOCKING, {**CLOCKING, "id": 2}, {**CLOCKING, "id": 3}])

    output = read(config(), catalog("clockings", mode=SyncMode.incremental))

    assert "Stream 'clockings': records=3" in [log.log.message for log in output.logs]


@freeze_time(NOW)
@HttpMocker()
def test_given_delta_link_when_next_sync_then_only_changes_with_the_larger_change_version(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection(DELTA_1).build(), page([
        {"changeType": "InsertOrUpdate", "data": {**CLOCKING, "id": 1, "changeVersion": "000000000000000A"}},
        {"changeType": "InsertOrUpdate", "data": {**CLOCKING, "id": 1, "changeVersion": "000000000000000C", "timeOfDayInMinutes": 500}},
        {"changeType": "Delete", "data": {"id": 2, "changeVersion": "000000000000000B"}},
    ], next_link="/connector/protimeapi/api/v1/delta/clockings?deltaToken=d1&continuationToken=n2"))
    http_mocker.get(collection("/connector/protimeapi/api/v1/delta/clockings?deltaToken=d1&continuationToken=n2").build(), page([
        {"changeType": "InsertOrUpdate", "data": {**CLOCKING, "id": 1, "changeVersion": "000000000000000B"}},
        {"changeType": "InsertOrUpdate", "data": {**CLOCKING, "id": 3, "changeVersion": "000000000000000D"}},
    ], delta_link=DELTA_2))

    output = read(config(), catalog("clockings", mode=SyncMode.incremental),
                      state("clockings", {"deltaLink": DELTA_1, "deltaLinkUsedAt": "2026-01-09T08:00:00Z"}))

    by_id = {r["id"]: r for r in records(output)}
    assert sorted(by_id) == [1, 2, 3]
    assert by_id[1]["changeVersion"] == "000000000000000C" and by_id[1]["timeOfDayInMinutes"] == 500
    assert by_id[2] == {"id": 2, "changeVersion": "000000000000000B", "_ab_cdc_deleted_at": NOW}
    assert by_id[3].get("_ab_cdc_deleted_at") is None
    assert last_state(output, "clockings") == {"deltaLink": DELTA_2, "deltaLinkUsedAt": NOW}
    assert_valid(output)


@freeze_time(NOW)
@HttpMocker()
def test_given_no_change_when_next_sync_then_no_record_and_a_new_link(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection(DELTA_1).build(), page([], delta_link=DELTA_2))

    output = read(config(), catalog("clockings", mode=SyncMode.incremental),
                      state("clockings", {"deltaLink": DELTA_1, "deltaLinkUsedAt": "2026-01-09T08:00:00Z"}))

    assert records(output) == []
    assert last_state(output, "clockings")["deltaLink"] == DELTA_2


@freeze_time(NOW)
@HttpMocker()
def test_given_expired_delta_link_410_when_sync_then_the_collection_is_read_again(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection(DELTA_1).build(), error("410", 410))
    _initial_load(http_mocker, [CLOCKING], link=DELTA_2)

    output = read(config(), catalog("clockings", mode=SyncMode.incremental),
                      state("clockings", {"deltaLink": DELTA_1, "deltaLinkUsedAt": "2026-01-09T08:00:00Z"}))

    assert [r["id"] for r in records(output)] == [CLOCKING["id"]]
    assert last_state(output, "clockings")["deltaLink"] == DELTA_2


@freeze_time(NOW)
@HttpMocker()
def test_given_link_older_than_72_hours_when_sync_then_it_is_not_used_and_the_collection_is_read_again(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    _initial_load(http_mocker, [CLOCKING], link=DELTA_2)  # DELTA_1 is not mocked: calling it would fail the test

    output = read(config(), catalog("clockings", mode=SyncMode.incremental),
                      state("clockings", {"deltaLink": DELTA_1, "deltaLinkUsedAt": "2026-01-07T07:59:00Z"}))

    assert [r["id"] for r in records(output)] == [CLOCKING["id"]]
    assert last_state(output, "clockings")["deltaLink"] == DELTA_2


@freeze_time(NOW)
@HttpMocker()
def test_given_people_delta_when_first_sync_then_no_date_filter_is_sent(http_mocker: HttpMocker, monkeypatch) -> None:
    sent = SentRequests(monkeypatch)  # after HttpMocker has replaced requests' send
    http_mocker.post(token_request(scope("people")), token_response())
    http_mocker.get(collection("people").with_param("delta", "").build(),
                    page(template("people")["value"], delta_link="/connector/protimeapi/api/v1/delta/people?deltaToken=p1"))

    output = read(config(), catalog("people", mode=SyncMode.incremental))

    assert len(records(output)) == 1
    assert _sent_queries(sent)[0] == {"delta": [""]}


@freeze_time(NOW)
@HttpMocker()
def test_given_window_mode_when_incremental_clockings_then_date_windows_without_delta(http_mocker: HttpMocker, monkeypatch) -> None:
    sent = SentRequests(monkeypatch)  # after HttpMocker has replaced requests' send
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection("clockings").with_window("2026-01-01", "2026-01-10").build(), page([CLOCKING]))

    output = read(config(incremental_mode="window"), catalog("clockings", mode=SyncMode.incremental))

    assert len(records(output)) == 1
    assert "delta" not in _sent_queries(sent)[0]
    assert last_state(output, "clockings")["date"] == CLOCKING["date"]


@freeze_time(NOW)
@HttpMocker()
def test_given_a_long_initial_load_when_each_page_arrives_then_a_checkpoint_follows_it(http_mocker: HttpMocker) -> None:
    """A sync killed in the middle of the first load resumes from its last page, not from zero."""
    http_mocker.post(token_request(scope("clockings")), token_response())
    _initial_load(http_mocker, [CLOCKING, {**CLOCKING, "id": 2}])

    output = read(config(), catalog("clockings", mode=SyncMode.incremental))

    assert states(output, "clockings")[0] == {"initialLoad": {
        "nextLink": "/connector/protimeapi/api/v1/clockings?continuationToken=c2&deltaToken=x", "startedAt": NOW}}
    assert last_state(output, "clockings") == {"deltaLink": DELTA_1, "deltaLinkUsedAt": NOW}
    kinds = [m.type.value for m in output.records_and_state_messages]
    assert kinds == ["RECORD", "STATE", "RECORD", "STATE"]  # each checkpoint after the records it covers


@freeze_time(NOW)
@HttpMocker()
def test_given_a_checkpoint_of_an_initial_load_when_next_sync_then_it_resumes_from_that_page(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    # The first page is not mocked: asking for it again would fail the test.
    http_mocker.get(collection("clockings").with_param("continuationToken", "c2").with_param("deltaToken", "x").build(),
                    page([{**CLOCKING, "id": 2}], delta_link=DELTA_1))

    output = read(config(), catalog("clockings", mode=SyncMode.incremental), state("clockings", {"initialLoad": {
        "nextLink": "/connector/protimeapi/api/v1/clockings?continuationToken=c2&deltaToken=x", "startedAt": NOW}}))

    assert [r["id"] for r in records(output)] == [2]
    assert last_state(output, "clockings") == {"deltaLink": DELTA_1, "deltaLinkUsedAt": NOW}


@freeze_time(NOW)
@HttpMocker()
def test_given_a_checkpoint_whose_link_went_stale_when_next_sync_then_the_initial_load_starts_again(
        http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("clockings")), token_response())
    http_mocker.get(collection("clockings").with_param("continuationToken", "old").build(), error("409", 409))
    _initial_load(http_mocker, [CLOCKING, {**CLOCKING, "id": 2}])

    output = read(config(), catalog("clockings", mode=SyncMode.incremental), state("clockings", {"initialLoad": {
        "nextLink": "/connector/protimeapi/api/v1/clockings?continuationToken=old", "startedAt": NOW}}))

    assert [r["id"] for r in records(output)] == [CLOCKING["id"], 2]
    assert last_state(output, "clockings")["deltaLink"] == DELTA_1
