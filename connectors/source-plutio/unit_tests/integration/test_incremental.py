"""Incremental on updatedAt through q={"updatedAt":{"$gte":...}}: first sync, resume, idempotence, lookback."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .request_builder import PlutioRequestBuilder
from .response_builder import page, record, token
from .source_runner import run_read

STATE = "2024-03-01T10:00:00.000Z"


def _people_since(moment: str):
    return PlutioRequestBuilder.resource("people").with_limit(100).with_updated_since(moment).build()


def _final_state(output) -> dict:
    return output.most_recent_state.stream_state.__dict__


@HttpMocker()
def test_given_no_state_when_read_then_filter_from_start_date_and_state_is_newest_updated_at(http_mocker: HttpMocker) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(_people_since("2024-01-01T00:00:00.000Z"), page([
        record("people", "p1", "2024-01-01T00:00:00.000Z"),  # exactly the start date: kept on a first sync
        record("people", "p2", "2024-02-05T08:30:00.250Z"),
    ]))

    output = run_read(ConfigBuilder().build(), {"people": SyncMode.incremental})

    assert [r.record.data["_id"] for r in output.records] == ["p1", "p2"]
    assert _final_state(output) == {"updatedAt": "2024-02-05T08:30:00.250Z"}


@HttpMocker()
def test_given_state_when_read_then_filter_from_state_and_boundary_record_not_emitted_again(http_mocker: HttpMocker) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(_people_since(STATE), page([
        record("people", "p-boundary", STATE),  # $gte returns the record that set the state
        record("people", "p-new", "2024-03-02T00:00:00.000Z"),
    ]))

    output = run_read(ConfigBuilder().build(), {"people": SyncMode.incremental}, state={"people": {"updatedAt": STATE}})

    assert [r.record.data["_id"] for r in output.records] == ["p-new"]
    assert _final_state(output) == {"updatedAt": "2024-03-02T00:00:00.000Z"}


@HttpMocker()
def test_given_no_change_since_last_sync_when_read_then_no_record_and_state_kept(http_mocker: HttpMocker) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(_people_since(STATE), page([record("people", "p-boundary", STATE)]))

    output = run_read(ConfigBuilder().build(), {"people": SyncMode.incremental}, state={"people": {"updatedAt": STATE}})

    assert output.records == []
    assert _final_state(output) == {"updatedAt": STATE}


@HttpMocker()
def test_given_lookback_when_read_then_filter_starts_earlier_and_window_records_are_emitted_once(http_mocker: HttpMocker) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(_people_since("2024-03-01T09:30:00.000Z"), page([
        record("people", "p-late", "2024-03-01T09:45:00.000Z"),  # committed late, inside the lookback window
        record("people", "p-boundary", STATE),
    ]))

    output = run_read(
        ConfigBuilder().with_lookback_minutes(30).build(), {"people": SyncMode.incremental},
        state={"people": {"updatedAt": STATE}},
    )

    assert [r.record.data["_id"] for r in output.records] == ["p-late", "p-boundary"]
    assert _final_state(output) == {"updatedAt": STATE}
