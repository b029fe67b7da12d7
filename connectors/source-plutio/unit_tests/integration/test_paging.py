"""skip/limit paging: `limit` = page_size, `skip` grows by the records received, the end is a short page."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from .config import ConfigBuilder
from .request_builder import PlutioRequestBuilder
from .response_builder import page, record, token
from .source_runner import run_read


def _statuses(limit: int, skip: int | None = None):
    builder = PlutioRequestBuilder.resource("statuses").with_limit(limit)
    return (builder.with_skip(skip) if skip is not None else builder).build()


@HttpMocker()
def test_given_five_records_and_page_size_two_when_read_then_three_calls_ending_on_the_short_page(http_mocker: HttpMocker) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    calls = [_statuses(2), _statuses(2, 2), _statuses(2, 4)]
    http_mocker.get(calls[0], page([record("statuses", "s1"), record("statuses", "s2")]))
    http_mocker.get(calls[1], page([record("statuses", "s3"), record("statuses", "s4")]))
    http_mocker.get(calls[2], page([record("statuses", "s5")]))

    output = run_read(ConfigBuilder().with_page_size(2).build(), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s1", "s2", "s3", "s4", "s5"]
    for call in calls:
        http_mocker.assert_number_of_calls(call, 1)


@HttpMocker()
def test_given_exact_multiple_of_page_size_when_read_then_one_empty_page_ends_the_stream(http_mocker: HttpMocker) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    last = _statuses(2, 4)
    http_mocker.get(_statuses(2), page([record("statuses", "s1"), record("statuses", "s2")]))
    http_mocker.get(_statuses(2, 2), page([record("statuses", "s3"), record("statuses", "s4")]))
    http_mocker.get(last, page([]))

    output = run_read(ConfigBuilder().with_page_size(2).build(), {"statuses": SyncMode.full_refresh})

    assert len(output.records) == 4
    http_mocker.assert_number_of_calls(last, 1)


@HttpMocker()
def test_given_a_record_shifted_across_pages_when_read_then_it_is_emitted_once_and_paging_continues(http_mocker: HttpMocker) -> None:
    # A write during the sync moved s2 from page 1 to page 2: the API shows it twice, the sync emits it once.
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(_statuses(2), page([record("statuses", "s1"), record("statuses", "s2")]))
    http_mocker.get(_statuses(2, 2), page([record("statuses", "s2"), record("statuses", "s3")]))
    http_mocker.get(_statuses(2, 4), page([record("statuses", "s4")]))

    output = run_read(ConfigBuilder().with_page_size(2).build(), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s1", "s2", "s3", "s4"]


@HttpMocker()
def test_given_comments_when_read_then_listed_per_task_with_entity_filter_and_task_id_added(http_mocker: HttpMocker) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(
        PlutioRequestBuilder.resource("tasks").with_limit(100).build(),
        page([record("tasks", "t1", "2024-02-01T00:00:00.000Z"), record("tasks", "t2", "2024-02-01T00:00:00.000Z")]),
    )
    for task_id, comment_ids in (("t1", ["c1", "c2"]), ("t2", [])):
        http_mocker.get(
            PlutioRequestBuilder.resource("comments").with_limit(100).with_param("entityType", "task")
            .with_param("entityId", task_id).build(),
            page([record("comments", c, entityType="task", entityId=task_id) for c in comment_ids]),
        )

    output = run_read(ConfigBuilder().build(), {"comments": SyncMode.full_refresh})

    assert [(r.record.data["_id"], r.record.data["task_id"]) for r in output.records] == [("c1", "t1"), ("c2", "t1")]


@HttpMocker()
def test_given_a_body_that_is_not_json_when_read_then_retried_not_taken_for_the_last_page(http_mocker: HttpMocker) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    garbled = HttpResponse("[{\"_id\": \"s1\", this is not json", status_code=200)
    http_mocker.get(_statuses(2), [garbled, page([record("statuses", "s1"), record("statuses", "s2")])])
    http_mocker.get(_statuses(2, 2), page([record("statuses", "s3")]))

    output = run_read(ConfigBuilder().with_page_size(2).build(), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s1", "s2", "s3"]
