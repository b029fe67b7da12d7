"""Rate limits and server errors: a 429 waits (Retry-After, else exponential backoff), 5xx back off exponentially,
and the hourly call budget paces calls (the token call included) before Plutio has to say 429."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from plutio_api import config, page, read_streams, record, resource, responses, the_end, token_request, token_response


def waits(sleeps) -> list[float]:
    return [call.args[0] for call in sleeps.call_args_list if call.args and call.args[0]]


@HttpMocker()
def test_given_429_with_retry_after_when_read_then_waits_that_long_and_retries(http_mocker, sleeps):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("statuses"), [responses.error(429, headers={"Retry-After": "7"}),
                                           page([record("statuses", "s1")])])
    the_end(http_mocker, "statuses", after=1)

    output = read_streams(config(), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s1"]
    assert any(7 <= w <= 8.1 for w in waits(sleeps))


@HttpMocker()
def test_given_429_without_retry_after_when_read_then_backs_off_exponentially_and_retries(http_mocker, sleeps):
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("statuses"), [responses.error(429), responses.error(429), page([record("statuses", "s1")])])
    the_end(http_mocker, "statuses", after=1)

    output = read_streams(config(), {"statuses": SyncMode.full_refresh})

    assert len(output.records) == 1
    assert [round(w) for w in waits(sleeps)] == [3, 5]  # 2 s then 4 s, plus the CDK's extra second each


@HttpMocker()
def test_given_three_502_when_read_then_recovers_in_seconds_not_minutes(http_mocker, sleeps):
    http_mocker.post(token_request(), token_response())
    bad = responses.json({"message": "Bad gateway"}, 502)
    http_mocker.get(resource("statuses"), [bad, bad, bad, page([record("statuses", "s1")])])
    the_end(http_mocker, "statuses", after=1)

    output = read_streams(config(), {"statuses": SyncMode.full_refresh})

    assert len(output.records) == 1
    assert sum(waits(sleeps)) < 20  # 2 + 4 + 8 s (+1 s each): was 3 x 60 s


@HttpMocker()
def test_given_budget_smaller_than_pages_needed_when_read_then_waits_for_the_window_and_logs_how_long(
        http_mocker, sleeps, mocker):
    # requests_per_hour=3: the token call and two data calls per hour; the third page must wait.
    http_mocker.post(token_request(), token_response())
    http_mocker.get(resource("statuses", 1), page([record("statuses", "s1")]))
    http_mocker.get(resource("statuses", 1, skip=1), page([record("statuses", "s2")]))
    http_mocker.get(resource("statuses", 1, skip=2), page([]))
    # The budget's clock (pyrate_limiter) moves only when the connector sleeps; each reading moves it 1 ms, as a
    # real clock would (at the window's edge the bucket reports 0 s to wait).
    now = [1_800_000_000.0]

    def clock() -> float:
        now[0] += 0.001
        return now[0]

    mocker.patch("pyrate_limiter.clocks.time", side_effect=clock)
    sleeps.side_effect = lambda seconds: now.__setitem__(0, now[0] + seconds)

    output = read_streams(config(page_size=1, requests_per_hour=3), {"statuses": SyncMode.full_refresh})

    assert [r.record.data["_id"] for r in output.records] == ["s1", "s2"]
    assert any(3500 <= w <= 3601 for w in waits(sleeps)), waits(sleeps)
    assert output.is_in_logs("call budget used up")
