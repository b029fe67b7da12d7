"""Every answer that came over the network is counted once, by endpoint; the HTTP cache's answers are not."""

import requests

from connector_kit import calls


def answer(url: str, method: str = "GET", **marks) -> requests.Response:
    response = requests.Response()
    response.status_code, response.url = 200, url
    response.request = requests.Request(method, url).prepare()
    for name, value in marks.items():
        setattr(response, name, value)
    return response


def test_given_answers_then_counted_by_endpoint_with_ids_folded_busiest_first():
    calls.forget_all_calls()
    for url in ["https://api.example.com/v1.8/tasks?skip=0", "https://api.example.com/v1.8/tasks?skip=100",
                "https://api.example.com/investments/4f1c2d3e-0000-4000-8000-1234567890ab/transactions"]:
        calls.count_answer(answer(url))
    calls.count("POST", "https://api.example.com/auth")

    assert calls.summary() == ("4 API calls: GET /v1.8/tasks 2, GET /investments/{id}/transactions 1, "
                               "POST /auth 1")


def test_given_an_answer_from_the_cache_or_a_hook_run_twice_then_counted_once():
    calls.forget_all_calls()
    fetched = answer("https://api.example.com/accounts?itemId=1")
    calls.count_answer(fetched)
    calls.count_answer(fetched)  # requests-cache runs the hooks of a fetched answer a second time
    calls.count_answer(answer("https://api.example.com/accounts?itemId=1", from_cache=True))

    assert calls.summary() == "1 API call: GET /accounts 1"


def test_given_no_call_then_no_summary():
    calls.forget_all_calls()
    assert calls.summary() is None
