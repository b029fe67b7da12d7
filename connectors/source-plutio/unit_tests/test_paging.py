"""skip/limit paging: `limit` = page_size, `skip` grows by the records received, the end is the last page, and a
server that serves fewer records than `limit` (a cap Plutio does not document) cannot cut a read short."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from plutio_api import (config, page, people, read_streams, record, resource, responses, the_end, token_request,
                        token_response)


def statuses(count: int, start: int = 0) -> list[dict]:
    return [record("statuses", f"s{n}") for n in range(start, start + count)]


@HttpMocker()
def test_given_five_records_and_page_size_two_when_read_then_three_calls_ending_on_the_short_page(http_mocker):
    http_mocker.post(token_request(), token_response())
    calls = [resource("statuses", 2), resource("statuses", 2, skip=2), resource("statuses", 2, skip=4)]
    http_mocker.get(calls[0], page(statuses(2)))
    http_mocker.get(calls[1], page(statuses(2, 2)))
    http_mocker.get(calls[2], page(statuses(1, 4)))

    output = read_streams(config(page_size=2), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s0", "s1", "s2", "s3", "s4"]
    for call in calls:
        http_mocker.assert_number_of_calls(call, 1)


@HttpMocker()
def test_given_exact_multiple_of_page_size_when_read_then_one_empty_page_ends_the_stream(http_mocker):
    http_mocker.post(token_request(), token_response())
    last = resource("statuses", 2, skip=4)
    http_mocker.get(resource("statuses", 2), page(statuses(2)))
    http_mocker.get(resource("statuses", 2, skip=2), page(statuses(2, 2)))
    http_mocker.get(last, page([]))

    output = read_streams(config(page_size=2), {"statuses": SyncMode.full_refresh})

    assert len(output.records) == 4
    http_mocker.assert_number_of_calls(last, 1)


@pytest.mark.parametrize("cap", [50, 100, 200])
@pytest.mark.parametrize("page_size", [100, 200])
def test_given_a_server_page_cap_when_read_then_every_record_in_the_minimum_calls_plus_at_most_one_probe(
        cap, page_size):
    # Plutio documents no largest `limit`: a page shorter than page_size is the end, or a cap; never assumed either.
    served, since = min(cap, page_size), "2024-01-01T00:00:00.000Z"
    everyone = people(230)
    with HttpMocker() as http_mocker:
        http_mocker.post(token_request(), token_response())
        calls = [resource("people", page_size, skip=skip or None, since=since) for skip in range(0, 230, served)]
        for call, skip in zip(calls, range(0, 230, served)):
            http_mocker.get(call, page(everyone[skip: skip + served]))
        if cap < page_size:  # the first page is short and nothing is known yet: the sync's probe (unfiltered, past it)
            calls.append(resource("people", page_size, skip=served))
            http_mocker.get(calls[-1], page(everyone[served: served + cap]))

        output = read_streams(config(page_size=page_size), {"people": SyncMode.incremental})

        assert sorted(r.record.data["_id"] for r in output.records) == sorted(p["_id"] for p in everyone)
        for call in calls:  # ceil(230 / served) pages (the minimum at that cap), plus the probe under a cap
            http_mocker.assert_number_of_calls(call, 1)
    if cap < page_size:
        assert output.is_in_logs(f"serves at most {cap} records per call although `page_size` is {page_size}")
    else:
        assert output.is_in_logs(f"serves {page_size} records per call")


@HttpMocker()
def test_given_full_pages_of_page_size_when_read_then_a_short_page_ends_the_read_without_an_extra_call(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("statuses", 150), page(statuses(150)))
    http_mocker.get(resource("statuses", 150, skip=150), page(statuses(120, 150)))

    output = read_streams(config(page_size=150), {"statuses": SyncMode.full_refresh})

    assert len(output.records) == 270  # no call for skip=270: a full page of 150 proved there is no cap below it


@HttpMocker()
def test_given_a_record_shifted_across_pages_when_read_then_it_is_emitted_once_and_paging_continues(http_mocker):
    # A write during the sync moved s2 from page 1 to page 2: the API shows it twice, the sync emits it once.
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("statuses", 2), page([record("statuses", "s1"), record("statuses", "s2")]))
    http_mocker.get(resource("statuses", 2, skip=2), page([record("statuses", "s2"), record("statuses", "s3")]))
    http_mocker.get(resource("statuses", 2, skip=4), page([record("statuses", "s4")]))

    output = read_streams(config(page_size=2), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s1", "s2", "s3", "s4"]


@HttpMocker()
def test_given_comments_when_read_then_listed_per_task_with_entity_filter_and_task_id_added(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("tasks"), page([record("tasks", "t1", "2024-02-01T00:00:00.000Z"),
                                             record("tasks", "t2", "2024-02-01T00:00:00.000Z")]))
    the_end(http_mocker, "tasks", after=2)  # 2 of 100: the end, or a cap of 2? (the sync's probe asks)
    for task_id, comment_ids in (("t1", ["c1", "c2"]), ("t2", [])):
        http_mocker.get(resource("comments", entityType="task", entityId=task_id),
                        page([record("comments", c, entityType="task", entityId=task_id) for c in comment_ids]))
    # 2 comments: as long as the longest page served, so possibly capped too; the probe is spent: it reads on
    the_end(http_mocker, "comments", after=2, entityType="task", entityId="t1")

    output = read_streams(config(), {"comments": SyncMode.full_refresh})

    assert [(r.record.data["_id"], r.record.data["task_id"]) for r in output.records] == [("c1", "t1"), ("c2", "t1")]


@HttpMocker()
def test_given_a_body_that_is_not_json_when_read_then_retried_not_taken_for_the_last_page(http_mocker):
    http_mocker.post(token_request(), token_response())
    garbled = HttpResponse("[{\"_id\": \"s1\", this is not json", status_code=200)
    http_mocker.get(resource("statuses", 2), [garbled, page(statuses(2))])
    http_mocker.get(resource("statuses", 2, skip=2), page(statuses(1, 2)))

    output = read_streams(config(page_size=2), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s0", "s1", "s2"]


@HttpMocker()
def test_given_an_object_where_an_array_belongs_when_read_then_not_emitted_and_the_stream_not_ended_early(http_mocker):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("statuses", 2), [responses.json({"_id": "not-a-status", "message": "ok"}), page(statuses(2))])
    http_mocker.get(resource("statuses", 2, skip=2), page(statuses(1, 2)))

    output = read_streams(config(page_size=2), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s0", "s1", "s2"]
