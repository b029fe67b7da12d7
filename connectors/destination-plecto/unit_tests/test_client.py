"""The HTTP client: paging shapes, Retry-After forms, pacing to requests_per_hour."""

import time
from datetime import timedelta

import pytest

from connector_kit.backoff import seconds_from_headers

from destination_plecto.client import PlectoBadRequest, PlectoClient, PlectoError, acknowledged
from destination_plecto.config import PlectoConfig
from request_builder import DATA_SOURCE, ConfigBuilder, PlectoRequests, response

REAL_SLEEP = time.sleep


def client(**config) -> PlectoClient:
    return PlectoClient(PlectoConfig.parse(ConfigBuilder().with_(**config).build()))


def test_given_drf_envelope_with_next_when_listing_then_every_page_read(requests_mock):
    url = PlectoRequests.registrations()
    requests_mock.get(url, [
        {"json": {"count": 3, "next": f"{url}?page=2", "results": [{"id": "a", "external_id": "1"}, {"id": "b", "external_id": "2"}]}},
        {"json": {"count": 3, "next": None, "results": [{"id": "c", "external_id": "3"}]}},
    ])
    assert [r["id"] for r in client().iter_registrations(DATA_SOURCE)] == ["a", "b", "c"]
    assert [r.qs.get("page") for r in requests_mock.request_history] == [None, ["2"]]


def test_given_bare_list_pages_when_listing_then_read_until_empty_page(requests_mock):
    requests_mock.get(PlectoRequests.registrations(), [{"json": [{"id": "a"}]}, {"json": [{"id": "b"}]}, {"json": []}])
    assert [r["id"] for r in client().iter_registrations(DATA_SOURCE)] == ["a", "b"]


def test_given_server_ignoring_page_when_listing_bare_list_then_stops_at_repeated_page(requests_mock):
    requests_mock.get(PlectoRequests.registrations(), json=[{"id": "a"}, {"id": "b"}])
    assert [r["id"] for r in client().iter_registrations(DATA_SOURCE)] == ["a", "b"]
    assert requests_mock.call_count == 2


def test_given_404_past_last_page_when_listing_then_end(requests_mock):
    requests_mock.get(PlectoRequests.registrations(), [{"json": [{"id": "a"}]}, {"status_code": 404, "json": {"detail": "Invalid page."}}])
    assert [r["id"] for r in client().iter_registrations(DATA_SOURCE)] == ["a"]


def test_given_retry_after_forms_when_parsed_then_seconds():
    assert seconds_from_headers({"Retry-After": "12"}) == 12.0
    assert seconds_from_headers({}) is None and seconds_from_headers({"Retry-After": "soon"}) is None
    assert seconds_from_headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert seconds_from_headers({"Retry-After": "999999"}) == 3600.0  # capped


@pytest.mark.parametrize(("answer", "ok"), [
    ([{"id": "a", "external_id": "1"}, {"id": "b", "external_id": "2"}], True),   # the bulk answer
    ([{"id": "a"}, {"id": "b"}], True),                                            # ids without external ids
    ([{"id": "a", "external_id": "1"}], False),                                    # one registration unaccounted
    ([{"id": "a", "external_id": "1"}, {"id": "b", "external_id": "9"}], False),  # not the ones sent
    ([{"external_id": "1"}, {"external_id": "2"}], False),                         # no ids: nothing was stored
    ({"ok": True}, False),
    ({}, False),
    (None, False),
])
def test_given_an_answer_to_two_registrations_when_checked_then_only_one_per_registration_counts(answer, ok):
    assert acknowledged([{"external_id": "1"}, {"external_id": "2"}], answer) is ok


def test_given_the_documented_single_answer_when_one_registration_sent_then_acknowledged():
    assert acknowledged([{"external_id": "1"}], {"id": "a", "external_id": "1", "created": True})


def test_given_requests_per_window_exhausted_when_calling_then_waits_before_sending(requests_mock, no_sleep):
    no_sleep.side_effect = REAL_SLEEP  # this test measures the real wait
    requests_mock.get(PlectoRequests.data_sources(), json=[])
    paced = PlectoClient(PlectoConfig.parse(ConfigBuilder().with_(requests_per_hour=2).build()),
                         rate_window=timedelta(seconds=0.5))
    started = time.monotonic()
    for _ in range(3):
        paced.list_data_sources()
    assert time.monotonic() - started >= 0.4  # the third call waited for the window to free a slot
    assert requests_mock.call_count == 3


def test_given_duplicated_registrations_400_when_posting_then_bad_request_names_the_id_and_is_not_retried(requests_mock):
    requests_mock.post(PlectoRequests.registrations(), status_code=400, json=response("400_duplicated"))
    with pytest.raises(PlectoBadRequest) as error:
        client().post_registrations([{"external_id": "1"}, {"external_id": "1"}])
    assert "Duplicated registrations found (id 1)" in error.value.message
    assert requests_mock.call_count == 1


def test_given_an_answer_larger_than_max_response_mb_when_posting_then_fails_at_once_naming_the_setting(requests_mock):
    post = requests_mock.post(PlectoRequests.registrations(), content=b" " * (2 * 1024 * 1024))
    with pytest.raises(PlectoError) as failure:
        client(max_response_mb=1).post_registrations([{"external_id": "1"}])
    assert "max_response_mb" in failure.value.message and "POST /api/v2/registrations/" in failure.value.message
    assert post.call_count == 1  # not fetched again: a retry would not make it smaller
