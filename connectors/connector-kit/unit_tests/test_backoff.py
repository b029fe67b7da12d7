"""One wait policy: the server's word for a 429 (Retry-After, else RateLimit-Reset), else capped exponential."""

import requests

from connector_kit.backoff import BackoffPolicy, seconds_from_headers


def answer(status: int, headers: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return response


def test_given_no_hint_when_retrying_then_waits_double_from_the_base_up_to_the_cap():
    policy = BackoffPolicy(base_seconds=2, cap_seconds=60)
    assert [policy.wait(answer(502, {}), attempt) for attempt in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_given_a_429_with_retry_after_or_ratelimit_reset_then_the_server_decides():
    policy = BackoffPolicy(base_seconds=2)
    assert policy.wait(answer(429, {"Retry-After": "7", "RateLimit-Reset": "50"}), 1) == 7
    assert policy.wait(answer(429, {"RateLimit-Reset": "13"}), 1) == 13
    assert policy.wait(answer(429, {}), 3) == 8


def test_given_a_timeout_when_retrying_then_exponential_like_a_5xx():
    assert BackoffPolicy(base_seconds=1).wait(requests.exceptions.ReadTimeout(), 3) == 4


def test_given_headers_when_read_then_seconds_dates_and_nonsense_are_understood():
    assert seconds_from_headers({"Retry-After": "0"}) == 0
    assert seconds_from_headers({"Retry-After": "later"}) is None
    assert seconds_from_headers({"X-RateLimit-Reset": "2"}) == 2
