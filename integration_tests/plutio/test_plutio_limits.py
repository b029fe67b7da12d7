"""Sandbox behaviour at the edges: 429 handling, the hourly limit, a server page cap (Plutio documents none) below or
above the page size, and `check` messages that name the field to fix."""

from __future__ import annotations

import time

import pytest

from plutio_helpers import (ALL_STREAMS, FULL_REFRESH, INCREMENTAL, assert_minimum_plus_at_most_one, catalog,
                            minimal_calls, observed_calls, run_cli)

# The streams that start first (num_workers = 3) hold more records than any page, so the sync's first page is a
# whole page of the server's: the sync learns the cap from it. (docs.md, "Performance considerations": when a sync
# whose first pages are all short can spend more than one call over the minimum.)
CAPPED_COUNTS = {"people": 230, "companies": 210, "projects": 240, "tasks": 205}


@pytest.fixture(scope="module")
def emulator(start_emulator):
    return start_emulator("plutio", size="small", seed=7)


def test_given_429_with_retry_after_when_read_then_waits_and_completes(emulator, tmp_path, no_proxy) -> None:
    emulator.reset()
    emulator.faults.add(status=429, count=1, headers={"Retry-After": "1"}, path_prefix="/v1.8/people",
                        body={"status": 429, "message": "Too Many Requests. Your API limits have been reached."})
    started = time.monotonic()
    run = run_cli(tmp_path, "read", emulator.connector_config(), catalog(["people"]))
    assert run.returncode == 0, run.logs("ERROR")
    assert len(run.records("people")) == len(emulator.records("people"))
    assert time.monotonic() - started >= 1.0
    people = emulator.calls("/v1.8/people")
    assert [c.status for c in people] == [429, 200, 200]
    assert "q" not in people[-1].query  # the last is the sync's probe: 23 people of 100 is the end, or a cap of 23


def test_given_hourly_limit_when_a_sync_fits_then_no_call_is_refused(start_emulator, tmp_path, no_proxy) -> None:
    tight = start_emulator("plutio", size="small", seed=7, requests_per_hour=10)
    config = {**tight.connector_config(), "requests_per_hour": 10, "page_size": 10}
    run = run_cli(tmp_path, "read", config, catalog(["people", "companies", "statuses"]))
    assert run.returncode == 0, run.logs("ERROR")
    statuses = [c.status for c in tight.calls()]
    assert 429 not in statuses and len(statuses) <= 10


def test_given_server_limit_lower_than_configured_when_read_then_429s_are_waited_out(start_emulator, tmp_path, no_proxy) -> None:
    # The client's real allowance is smaller than `requests_per_hour` says (another tool shares it): the
    # sandbox allows 3 calls per 4 s and the read needs 6 (token + 5 pages), so it must hit 429 and wait.
    busy = start_emulator("plutio", size="small", seed=7, requests_per_hour=3, window_seconds=4,
                          retry_after_from_window=True)
    config = {**busy.connector_config(), "page_size": 5}
    run = run_cli(tmp_path, "read", config, catalog(["people"]))
    assert run.returncode == 0, run.logs("ERROR")
    assert sorted(r["_id"] for r in run.records("people")) == sorted(r["_id"] for r in busy.records("people"))
    statuses = [c.status for c in busy.calls()]
    assert 429 in statuses and statuses.count(200) == 1 + 23 // 5 + 1


@pytest.mark.parametrize("cap", [50, 100, 200])
@pytest.mark.parametrize("page_size", [100, 200])
def test_given_a_server_page_cap_when_every_stream_is_read_then_every_record_and_at_most_one_call_over_the_minimum(
        start_emulator, tmp_path, no_proxy, cap, page_size) -> None:
    capped = start_emulator("plutio", size="small", seed=7, max_limit=cap, counts=CAPPED_COUNTS)
    served = min(cap, page_size)  # what a page holds: the minimum is counted in pages of that many
    expected = minimal_calls(capped, served)

    run = run_cli(tmp_path, "read", {**capped.connector_config(), "page_size": page_size}, catalog())

    assert run.returncode == 0, run.errors()
    by_stream = run.records_by_stream()
    for stream, path in {**INCREMENTAL, **FULL_REFRESH, "comments": "comments"}.items():
        assert sorted(r["_id"] for r in by_stream.get(stream, [])) == sorted(r["_id"] for r in capped.records(path)), stream
    assert set(by_stream) == set(ALL_STREAMS)
    assert_minimum_plus_at_most_one(observed_calls(capped), expected)
    warned = [line for line in run.logs("WARN") if "records per call although `page_size`" in line]
    assert warned == ([f"Plutio serves at most {cap} records per call although `page_size` is {page_size}: reading on "
                       f"in pages of {cap}. Set `page_size` to {cap} to spare the probe call this costs each sync."]
                      if cap < page_size else [])


def test_given_page_size_the_server_serves_in_full_when_read_then_calls_are_the_minimum(
        start_emulator, tmp_path, no_proxy) -> None:
    server = start_emulator("plutio", size=10, seed=7, max_limit=100)
    run = run_cli(tmp_path, "read", {**server.connector_config(), "page_size": 100}, catalog(["people"]))
    assert len(run.records("people")) == 230
    assert len(server.calls("/v1.8/people")) == 3 and len(server.calls("/v1.8/oauth/token")) == 1


def test_given_wrong_secret_when_check_then_message_names_client_credentials(emulator, tmp_path, no_proxy) -> None:
    run = run_cli(tmp_path, "check", {**emulator.connector_config(), "client_secret": "not-the-secret"})
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "`client_id`" in status["message"] and "`client_secret`" in status["message"]
    assert all("not-the-secret" not in str(m) for m in run.messages)


def test_given_wrong_business_when_check_then_message_names_business(emulator, tmp_path, no_proxy) -> None:
    run = run_cli(tmp_path, "check", {**emulator.connector_config(), "business": "someone-else"})
    status = run.connection_status()
    assert status["status"] == "FAILED" and "`business`" in status["message"]


def test_given_plain_http_to_a_remote_host_when_check_then_config_is_rejected(emulator, tmp_path, no_proxy) -> None:
    run = run_cli(tmp_path, "check", {**emulator.connector_config(), "base_url": "http://api.plutio.com/v1.8"})
    status = run.connection_status()
    assert status["status"] == "FAILED" and "`base_url`" in status["message"]
