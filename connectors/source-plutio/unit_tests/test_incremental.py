"""Incremental on updatedAt through q={"updatedAt":{"$gte":...}}: first sync, resume, idempotence, lookback."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from plutio_api import (config, final_state, page, read_streams, record, resource, the_end, token_request,
                        token_response)

STATE = "2024-03-01T10:00:00.000Z"
# Each read below gets one short page (of 1 or 2 records): the end, or Plutio's page cap? The sync's probe (the
# collection without the filter, past the page) answers that nothing follows: `the_end`.


@HttpMocker()
def test_given_no_state_when_read_then_filter_from_start_date_and_state_is_newest_updated_at(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("people", since="2024-01-01T00:00:00.000Z"), page([
        record("people", "p1", "2024-01-01T00:00:00.000Z"),  # exactly the start date: kept on a first sync
        record("people", "p2", "2024-02-05T08:30:00.250Z"),
    ]))
    the_end(http_mocker, "people", after=2)

    output = read_streams(config(), {"people": SyncMode.incremental})

    assert [r.record.data["_id"] for r in output.records] == ["p1", "p2"]
    assert final_state(output) == {"updatedAt": "2024-02-05T08:30:00.250Z"}


@HttpMocker()
def test_given_state_when_read_then_filter_from_state_and_boundary_record_not_emitted_again(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("people", since=STATE), page([
        record("people", "p-boundary", STATE),  # $gte returns the record that set the state
        record("people", "p-new", "2024-03-02T00:00:00.000Z"),
    ]))
    the_end(http_mocker, "people", after=2)

    output = read_streams(config(), {"people": SyncMode.incremental}, state={"people": {"updatedAt": STATE}})

    assert [r.record.data["_id"] for r in output.records] == ["p-new"]
    assert final_state(output) == {"updatedAt": "2024-03-02T00:00:00.000Z"}


@HttpMocker()
def test_given_no_change_since_last_sync_when_read_then_no_record_and_state_kept(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("people", since=STATE), page([record("people", "p-boundary", STATE)]))
    the_end(http_mocker, "people", after=1)

    output = read_streams(config(), {"people": SyncMode.incremental}, state={"people": {"updatedAt": STATE}})

    assert output.records == []
    assert final_state(output) == {"updatedAt": STATE}


@HttpMocker()
def test_given_lookback_when_read_then_filter_starts_earlier_and_window_records_are_emitted_once(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("people", since="2024-03-01T09:30:00.000Z"), page([
        record("people", "p-late", "2024-03-01T09:45:00.000Z"),  # committed late, inside the lookback window
        record("people", "p-boundary", STATE),
    ]))
    the_end(http_mocker, "people", after=2)

    output = read_streams(config(lookback_minutes=30), {"people": SyncMode.incremental},
                          state={"people": {"updatedAt": STATE}})

    assert [r.record.data["_id"] for r in output.records] == ["p-late", "p-boundary"]
    assert final_state(output) == {"updatedAt": STATE}
