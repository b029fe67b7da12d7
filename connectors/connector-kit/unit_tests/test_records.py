"""Which records of an incremental slice are emitted: inside the window, each once."""

import io

import requests
from airbyte_cdk.sources.types import StreamSlice

from connector_kit.contract import PARSED_BODY
from connector_kit.records import KeyExtractor, SliceWindowFilter


def window_filter(**fields) -> SliceWindowFilter:
    return SliceWindowFilter(config={}, parameters={}, cursor_field="updatedAt", start_date="2024-01-01T00:00:00Z",
                             **fields)


def kept(record_filter: SliceWindowFilter, records: list[dict], start: str, end: str = "2099-01-01T00:00:00.000Z"):
    window = StreamSlice(partition={}, cursor_slice={"start_time": start, "end_time": end})
    return [r["id"] for r in record_filter.filter_records(records, {}, window)]


RECORDS = [{"id": "before", "updatedAt": "2024-03-01T09:59:59.999Z"}, {"id": "at", "updatedAt": "2024-03-01T10:00:00.000Z"},
           {"id": "after", "updatedAt": "2024-03-01T10:00:00.001Z"}, {"id": "future", "updatedAt": "2100-01-01T00:00:00.000Z"},
           {"id": "no-date"}, {"id": "other-layout", "updatedAt": "2024-03-01T11:00:00+02:00"}]


def test_given_a_resumed_slice_then_only_what_is_strictly_after_its_start_and_not_after_its_end():
    assert kept(window_filter(), RECORDS, "2024-03-01T10:00:00.000Z") == ["after", "no-date"]


def test_given_a_first_sync_then_the_start_date_itself_is_kept():
    assert kept(window_filter(), [{"id": "at", "updatedAt": "2024-01-01T00:00:00.000Z"}], "2024-01-01T00:00:00.000Z") == ["at"]


def test_given_a_day_granular_cursor_when_resumed_then_the_state_day_is_read_again():
    day = SliceWindowFilter(config={}, parameters={}, cursor_field="date", start_date="2024-01-01", resume_inclusive=True)
    window = StreamSlice(partition={}, cursor_slice={"start_time": "2024-03-01", "end_time": "2024-03-05"})
    records = [{"id": 1, "date": "2024-02-29"}, {"id": 2, "date": "2024-03-01"}, {"id": 3, "date": "2024-03-06"}]
    assert [r["id"] for r in day.filter_records(records, {}, window)] == [2]


def test_given_other_date_layouts_then_compared_as_moments():
    later = [{"id": "x", "updatedAt": "2024-03-01T12:00:01+02:00"}]  # 10:00:01 UTC
    assert kept(window_filter(), later, "2024-03-01T10:00:00.000Z") == ["x"]


def test_given_a_dedup_key_then_each_record_once_and_memory_bounded():
    deduplicating = window_filter(dedup_key="id", dedup_window=3)
    records = [{"id": n} for n in (1, 2, 1, 3, 4, 5, 1)]
    # The last 1 is emitted again: only the last 3 keys are remembered (a repeat comes within a page or two).
    assert [r["id"] for r in deduplicating.filter_records(records, {}, None)] == [1, 2, 3, 4, 5, 1]


def test_given_a_full_refresh_stream_then_nothing_is_filtered_by_date():
    assert [r["id"] for r in window_filter().filter_records(RECORDS, {}, None)] == [r["id"] for r in RECORDS]


def answer(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code, response.raw = 200, io.BytesIO(body)
    return response


def test_given_a_key_then_the_records_under_it_and_the_answer_is_parsed_once():
    response = answer(b'{"results": [{"id": 1}, {"id": 2}], "page": 1}')
    setattr(response, PARSED_BODY, {"results": [{"id": "from the contract check"}]})
    assert list(KeyExtractor(config={}, parameters={}, key="results").extract_records(response)) == [
        {"id": "from the contract check"}]
    assert list(KeyExtractor(config={}, parameters={}, key="results").extract_records(answer(b'{"results": [{"id": 1}]}'))) == [{"id": 1}]


def test_given_no_key_then_the_answer_is_the_record_or_the_list_of_records():
    assert list(KeyExtractor(config={}, parameters={}).extract_records(answer(b'{"id": "one"}'))) == [{"id": "one"}]
    assert list(KeyExtractor(config={}, parameters={}).extract_records(answer(b'[{"id": 1}, {"id": 2}]'))) == [{"id": 1}, {"id": 2}]
    assert list(KeyExtractor(config={}, parameters={}).extract_records(answer(b""))) == []
    assert list(KeyExtractor(config={}, parameters={}, key="results").extract_records(answer(b'{"page": 1}'))) == []
