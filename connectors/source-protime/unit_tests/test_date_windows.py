"""Date-window incremental streams: one-year windows, state with lookback, 409 restarts the window."""

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from protime_api import (assert_valid, catalog, collection, config, error, last_state, page, read, records, scope, state,
                         template, token_request, token_response)

ABSENCE = template("absences")["value"][0]


@freeze_time("2026-06-15T08:00:00Z")
@HttpMocker()
def test_given_start_over_two_years_ago_when_first_sync_then_windows_of_at_most_one_year(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("absences")), token_response())
    http_mocker.get(collection("absences").with_window("2024-03-01", "2025-02-28").build(), page([{**ABSENCE, "id": 1, "date": "2024-05-01"}]))
    http_mocker.get(collection("absences").with_window("2025-03-01", "2026-02-28").build(), page([{**ABSENCE, "id": 2, "date": "2025-05-01"}]))
    http_mocker.get(collection("absences").with_window("2026-03-01", "2026-06-15").build(), page([{**ABSENCE, "id": 3, "date": "2026-06-10"}]))

    output = read(config(start_date="2024-03-01"), catalog("absences", mode=SyncMode.incremental))

    assert sorted(r["id"] for r in records(output)) == [1, 2, 3]
    assert last_state(output, "absences")["date"] == "2026-06-10"
    assert_valid(output)


@freeze_time("2026-06-15T08:00:00Z")
@HttpMocker()
def test_given_state_when_next_sync_then_only_the_lookback_window_is_read_again(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("absences")), token_response())
    # state 2026-06-10, lookback 7 days -> one window from 2026-06-03 to today
    http_mocker.get(collection("absences").with_window("2026-06-03", "2026-06-15").build(),
                    page([{**ABSENCE, "id": 3, "date": "2026-06-10"}, {**ABSENCE, "id": 4, "date": "2026-06-12"}]))

    output = read(config(start_date="2024-03-01"), catalog("absences", mode=SyncMode.incremental),
                      state("absences", {"date": "2026-06-10"}))

    assert sorted(r["id"] for r in records(output)) == [3, 4]
    assert last_state(output, "absences")["date"] == "2026-06-12"


@freeze_time("2026-06-15T08:00:00Z")
@HttpMocker()
def test_given_lookback_zero_and_no_change_when_next_sync_then_only_the_state_day_is_read(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("calculated-totals")), token_response())
    http_mocker.get(collection("paid-presences").with_window("2026-06-15", "2026-06-15").build(), page([]))

    output = read(config(lookback_days=0), catalog("paid_presences", mode=SyncMode.incremental),
                      state("paid_presences", {"date": "2026-06-15"}))

    assert records(output) == []
    assert last_state(output, "paid_presences")["date"] == "2026-06-15"


@freeze_time("2026-01-10T08:00:00Z")
@HttpMocker()
def test_given_409_on_a_continuation_token_when_read_then_the_window_restarts(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("absences")), token_response())
    first = collection("absences").with_window("2026-01-01", "2026-01-10").build()
    http_mocker.get(first, [page([{**ABSENCE, "id": 1}], next_link="/connector/protimeapi/api/v1/absences?continuationToken=stale"),
                            page([{**ABSENCE, "id": 1}], next_link="/connector/protimeapi/api/v1/absences?continuationToken=good")])
    http_mocker.get(collection("absences").with_window("2026-01-01", "2026-01-10").with_param("continuationToken", "stale").build(),
                    error("409", 409))
    http_mocker.get(collection("absences").with_window("2026-01-01", "2026-01-10").with_param("continuationToken", "good").build(),
                    page([{**ABSENCE, "id": 2}]))

    output = read(config(), catalog("absences", mode=SyncMode.incremental))

    assert [r["id"] for r in records(output)][-2:] == [1, 2]
    http_mocker.assert_number_of_calls(first, 2)


@freeze_time("2026-01-10T08:00:00Z")
@HttpMocker()
def test_given_400_with_reasons_when_read_then_the_reasons_are_in_the_error(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(scope("absences")), token_response())
    http_mocker.get(collection("absences").with_window("2026-01-01", "2026-01-10").build(), error("400", 400))

    output = read(config(), catalog("absences", mode=SyncMode.incremental))

    messages = " ".join(e.trace.error.message or "" for e in output.errors)
    assert "can span at most one year" in messages and "BadRequest" in messages
