"""Plutio's manifest-only edition against HttpMocker: its own component (SkipLimitPagination, skip/limit paging over
bare JSON arrays) directly, and the manifest read as the image reads it: one token with the Business header, every
page followed, each `_id` once, a foreign business a config error naming both causes, the hourly budget shared.
"""

from urllib.parse import urlencode

import requests
from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest
from mock_server import check, failures, ok, read_streams, records

import components

BASE = "https://api.plutio.com/v1.8"
CONFIG = {"client_id": "cid", "client_secret": "csecret", "business": "acme", "base_url": BASE, "page_size": 2,
          "max_retries": 1}
TOKEN = {"accessToken": "t1", "accessTokenExpiresAt": "2099-01-01T00:00:00.000Z"}


def token(http_mocker: HttpMocker) -> None:
    body = urlencode({"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"})
    http_mocker.post(HttpRequest(f"{BASE}/oauth/token", headers={"Business": "acme"}, body=body), ok(TOKEN))


def page(resource: str, skip: int = 0, **params: str) -> HttpRequest:
    query = {"limit": "2", **({"skip": str(skip)} if skip else {}), **params}
    return HttpRequest(f"{BASE}/{resource}", query_params=query,
                       headers={"Authorization": "Bearer t1", "Business": "acme"})


def status(n: int) -> dict:
    return {"_id": f"s{n}", "title": f"Status {n}", "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z"}


# ---- SkipLimitPagination --------------------------------------------------------------------------------------
def pagination() -> "components.SkipLimitPagination":
    return components.SkipLimitPagination(parameters={}, config={"page_size": 2}, page_size="{{ config['page_size'] }}")


def answer(rows: int, skip: int = 0) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = 200, str([{"_id": n} for n in range(rows)]).replace("'", '"').encode()
    response.request = requests.Request("GET", f"{BASE}/statuses", params={"limit": 2, "skip": skip}).prepare()
    response.url = response.request.url
    return response


def test_given_a_full_page_then_the_next_skip_is_past_it_and_an_empty_page_ends_the_read():
    paging = pagination()
    assert paging.initial_token is None and paging.get_page_size() == 2
    assert paging.next_page_token(answer(2), 2, None, None) == 2
    assert paging.next_page_token(answer(2, skip=2), 2, None, 2) == 4
    assert paging.next_page_token(answer(0, skip=4), 0, None, 4) is None
    paging.reset()


def test_given_a_short_page_after_a_full_one_then_it_is_the_last():
    paging = pagination()
    assert paging.next_page_token(answer(2), 2, None, None) == 2
    assert paging.next_page_token(answer(1, skip=2), 1, None, 2) is None


# ---- the manifest ---------------------------------------------------------------------------------------------
@HttpMocker()
def test_given_two_pages_of_statuses_when_read_then_every_record_once_with_one_token(http_mocker):
    token(http_mocker)
    http_mocker.get(page("statuses"), ok([status(1), status(2)]))
    http_mocker.get(page("statuses", skip=2), ok([status(2), status(3)]))  # a write moved s2 across the boundary
    http_mocker.get(page("statuses", skip=4), ok([]))

    output = read_streams(CONFIG, "statuses")

    assert [r["_id"] for r in records(output, "statuses")] == ["s1", "s2", "s3"]


@HttpMocker()
def test_given_a_business_the_client_may_not_read_then_a_config_error_naming_both_causes(http_mocker):
    token(http_mocker)
    http_mocker.get(page("statuses"), ok({"message": "Forbidden"}, 403))

    output = read_streams(CONFIG, "statuses", expecting_exception=True)

    [(failure_type, message), *_] = failures(output)
    assert failure_type == "config_error" and "`business` is not a business of this API client" in message


@HttpMocker()
def test_given_an_object_where_plutio_sends_an_array_then_never_read_as_records(http_mocker):
    token(http_mocker)
    http_mocker.get(page("statuses"), [ok({"error": "maintenance"}), ok({"error": "maintenance"})])

    output = read_streams(CONFIG, "statuses", expecting_exception=True)

    assert records(output, "statuses") == []
    assert any("expected a JSON array" in message for _, message in failures(output))


@HttpMocker()
def test_given_valid_credentials_when_checked_then_people_answers(http_mocker):
    token(http_mocker)
    query = 'q={"updatedAt":{"$gte":"2000-01-01T00:00:00.000Z"}}'
    http_mocker.get(HttpRequest(f"{BASE}/people", query_params=f"limit=2&{query}"), ok([]))

    assert check(CONFIG).status == Status.SUCCEEDED
