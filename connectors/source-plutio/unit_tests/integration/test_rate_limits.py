"""Rate limits: a 429 waits (Retry-After, else 60 s) and retries; the call budget paces before any 429."""

from __future__ import annotations

import logging

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from .config import ConfigBuilder
from .request_builder import PlutioRequestBuilder
from .response_builder import from_template, page, record, token
from .source_runner import run_read


def _statuses(limit: int, skip: int | None = None):
    builder = PlutioRequestBuilder.resource("statuses").with_limit(limit)
    return (builder.with_skip(skip) if skip is not None else builder).build()


@HttpMocker()
def test_given_429_with_retry_after_when_read_then_waits_that_long_and_retries(http_mocker: HttpMocker, no_sleep) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(_statuses(100), [
        from_template("429", status=429, headers={"Retry-After": "7"}),
        page([record("statuses", "s1")]),
    ])

    output = run_read(ConfigBuilder().build(), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s1"]
    assert any(call.args and 7 <= call.args[0] <= 8 for call in no_sleep.call_args_list)


@HttpMocker()
def test_given_429_without_retry_after_when_read_then_waits_a_minute_and_retries(http_mocker: HttpMocker, no_sleep) -> None:
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(_statuses(100), [from_template("429", status=429), page([record("statuses", "s1")])])

    output = run_read(ConfigBuilder().build(), {"statuses": SyncMode.full_refresh})

    assert len(output.records) == 1
    assert any(call.args and 60 <= call.args[0] <= 61 for call in no_sleep.call_args_list)


@HttpMocker()
def test_given_budget_smaller_than_pages_needed_when_read_then_waits_for_the_window_and_logs_how_long(
    http_mocker: HttpMocker, no_sleep, mocker, caplog
) -> None:
    # requests_per_hour=3: one call kept for the token, two data calls per hour; the third page must wait.
    http_mocker.post(PlutioRequestBuilder.token(), token())
    http_mocker.get(_statuses(1), page([record("statuses", "s1")]))
    http_mocker.get(_statuses(1, 1), page([record("statuses", "s2")]))
    http_mocker.get(_statuses(1, 2), page([]))

    # The budget's clock (pyrate_limiter) moves only when the connector sleeps: freezegun cannot be used here,
    # it hands real time to calls made from worker threads.
    # Each reading moves it 1 ms, as a real clock would (at the window's edge the bucket reports 0 s to wait).
    now = [1_800_000_000.0]

    def clock() -> float:
        now[0] += 0.001
        return now[0]

    mocker.patch("pyrate_limiter.clocks.time", side_effect=clock)
    no_sleep.side_effect = lambda seconds: now.__setitem__(0, now[0] + seconds)
    with caplog.at_level(logging.INFO):
        output = run_read(ConfigBuilder().with_page_size(1).with_requests_per_hour(3).build(),
                          {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s1", "s2"]
    waits = [call.args[0] for call in no_sleep.call_args_list if call.args]
    assert any(3500 <= w <= 3600 for w in waits), waits
    assert any("call budget used up" in r.getMessage() for r in caplog.records) or any(
        "call budget used up" in (m.log.message or "") for m in output.logs
    )
