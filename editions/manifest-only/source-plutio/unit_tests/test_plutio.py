"""Plutio's manifest-only edition against HttpMocker: its own components directly (SkipLimitPagination, skip/limit
paging over bare JSON arrays that a server cap cannot cut short; ServedPages and Page, what a sync learns of the cap,
with at most one probe call), and the manifest read as the image reads it: one token with the Business header, every
page followed, each `_id` once, a capped server read in full, a foreign business a config error naming both causes.
"""

import logging
from urllib.parse import urlencode

import pytest
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


def answer(rows: int, skip: int = 0, **params) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = 200, str([{"_id": n} for n in range(rows)]).replace("'", '"').encode()
    response.request = requests.Request("GET", f"{BASE}/statuses",
                                        params={"limit": 2, "skip": skip, **params}).prepare()
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


# ---- ServedPages, Page: what one sync learns of the server's page cap -----------------------------------------
def test_given_a_full_page_then_no_cap_below_it_and_every_later_short_page_is_the_last(caplog):
    pages = components.ServedPages.of("https://plutio", 4)
    assert components.ServedPages.of("https://plutio", 4) is pages and components.ServedPages.of("https://plutio", 5) \
        is not pages
    with caplog.at_level(logging.INFO, logger="airbyte"):
        assert pages.served("/people?limit=4", 0, 4) == components.Page.MORE
        assert pages.served("/tasks?limit=4", 0, 3) == components.Page.LAST
        assert pages.served("/tasks?limit=4", 0, 0) == components.Page.LAST
        assert pages.served("/people?limit=4", 4, 4) == components.Page.MORE
    assert [r.getMessage() for r in caplog.records] == [
        "Plutio serves 4 records per call (`page_size`) in full: a shorter page is the last one of its stream."]
    components.ServedPages.forget()
    assert components.ServedPages.of("https://plutio", 4) is not pages


def test_given_short_pages_then_undecided_until_a_shorter_one_or_the_next_page_proves_the_cap(caplog):
    pages = components.ServedPages(limit=4)
    assert pages.served("/people", 0, 3) == components.Page.UNDECIDED  # a cap of 3, or the end: nothing tells yet
    assert pages.served("/tasks", 0, 2) == components.Page.LAST  # shorter than a page served already: no cap
    pages.reading_on("/people", 3, 3)
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        assert pages.served("/people", 3, 3) == components.Page.MORE  # more records after 3: the cap is 3
    assert pages.cap == 3 and "Set `page_size` to 3 to spare the probe call" in caplog.text
    assert pages.served("/notes", 0, 2) == components.Page.LAST
    assert pages.served("/files", 0, 3) == components.Page.MORE
    assert pages.served("/files", 3, 4) == components.Page.MORE and pages.full and pages.cap is None


def test_given_a_longer_page_than_the_proven_cap_then_the_cap_is_dropped_and_decided_afresh():
    pages = components.ServedPages(limit=10)
    pages.served("/a", 0, 3)
    pages.reading_on("/a", 3, 3)
    pages.served("/a", 3, 3)
    assert pages.cap == 3
    assert pages.served("/b", 0, 5) == components.Page.UNDECIDED and pages.cap is None
    pages.probe_answered(10)
    assert pages.full and pages.decide(5) == components.Page.LAST


# ---- SkipLimitPagination's one probe call --------------------------------------------------------------------
class ProbeRequester:
    """The manifest's requester, as the paginator uses it for its probe: records how it was asked, answers `rows`."""

    def __init__(self, rows):
        self.rows, self.asked = rows, []

    def send_request(self, request_params):
        self.asked.append(request_params)
        if isinstance(self.rows, Exception):
            raise self.rows
        return None if self.rows is None else answer(self.rows)


def probing(rows) -> "components.SkipLimitPagination":
    return components.SkipLimitPagination(parameters={}, config={"page_size": 4, "base_url": BASE},
                                          page_size="{{ config['page_size'] }}", probe_requester=ProbeRequester(rows))


@pytest.mark.parametrize(("probe_rows", "next_token", "then_elsewhere"), [
    (4, None, None),  # a full page of the unfiltered collection: no cap, this and every later short page is the last
    (0, None, 3),  # nothing past it even unfiltered: this read ends; the cap is still unknown elsewhere
    (3, 3, 3),  # as long as the page: still undecided, the read goes on and its next page tells
    (None, 3, 3),
    (requests.exceptions.ConnectionError(), 3, 3),  # a failed probe loses nothing: the read goes on
])
def test_given_the_first_undecided_page_then_one_probe_past_it_settles_it_or_the_read_goes_on(
        probe_rows, next_token, then_elsewhere):
    paging = probing(probe_rows)
    assert paging.next_page_token(answer(3, q='{"updatedAt":{}}'), 3, None, None) == next_token
    assert paging.probe_requester.asked == [{"skip": 3, "limit": 4}]
    other = probing(4)
    assert other.next_page_token(answer(3), 3, None, None) == then_elsewhere
    assert other.probe_requester.asked == []  # the sync's one probe is spent


def test_given_a_read_with_parameters_the_unfiltered_collection_cannot_stand_for_then_no_probe_and_it_reads_on():
    paging = probing(4)
    assert paging.next_page_token(answer(3, entityType="task", entityId="t1"), 3, None, None) == 3
    assert paging.probe_requester.asked == []


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


@HttpMocker()
def test_given_a_server_that_caps_pages_below_page_size_when_read_then_every_record_and_the_cap_logged(http_mocker):
    token(http_mocker)
    config = {**CONFIG, "page_size": 4}
    http_mocker.get(page("statuses", limit="4"), ok([status(1), status(2)]))
    # the probe (the same resource, no `q` to drop) and then the read's own next page: both at skip 2
    http_mocker.get(page("statuses", skip=2, limit="4"), [ok([status(3), status(4)]), ok([status(3), status(4)])])
    http_mocker.get(page("statuses", skip=4, limit="4"), ok([status(5)]))

    output = read_streams(config, "statuses")

    assert [r["_id"] for r in records(output, "statuses")] == ["s1", "s2", "s3", "s4", "s5"]
    assert any("serves at most 2 records per call" in m.log.message for m in output.logs)
