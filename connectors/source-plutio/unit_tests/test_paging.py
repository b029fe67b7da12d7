"""skip/limit paging: `limit` = page_size, `skip` grows by the records received, the end is the last page, and a
server that serves fewer records than `limit` cannot cut a read short."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from plutio_api import config, page, read_streams, record, resource, responses, token_request, token_response


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


@HttpMocker()
def test_given_server_caps_pages_at_100_and_page_size_200_when_read_then_every_record_and_the_cap_logged(http_mocker):
    http_mocker.post(token_request(), token_response())
    calls = [resource("statuses", 200), resource("statuses", 200, skip=100), resource("statuses", 200, skip=200)]
    http_mocker.get(calls[0], page(statuses(100)))
    http_mocker.get(calls[1], page(statuses(100, 100)))
    http_mocker.get(calls[2], page(statuses(32, 200)))

    output = read_streams(config(page_size=200), {"statuses": SyncMode.full_refresh})

    assert len(output.records) == 232
    for call in calls:  # the minimum at a cap of 100: ceil(232 / 100) calls
        http_mocker.assert_number_of_calls(call, 1)
    assert output.is_in_logs("serves at most 100 records per call")


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
    for task_id, comment_ids in (("t1", ["c1", "c2"]), ("t2", [])):
        http_mocker.get(resource("comments", entityType="task", entityId=task_id),
                        page([record("comments", c, entityType="task", entityId=task_id) for c in comment_ids]))

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
