"""The call budget counts each call without keeping the request: memory stays flat however many calls an hour
holds (Plutio's budget window is an hour; a sync of a million records makes 10,000 calls in it)."""

import gc
import weakref
from datetime import timedelta

import requests

from connector_kit.pacing import CallPacer


def signed_request(number: int) -> requests.PreparedRequest:
    return requests.Request("GET", f"https://api.example.com/v1/time-tracks?skip={number * 100}&limit=100",
                            headers={"Authorization": "Bearer " + "t" * 1000, "Business": "acme"}).prepare()


def test_given_calls_within_the_window_when_paced_then_no_request_is_kept_and_each_call_still_counts():
    pacer = CallPacer("Vendor", [("", 1_000, timedelta(hours=1))])
    sent = [signed_request(n) for n in range(50)]
    for request in sent:
        pacer.wait_for_slot(request)
    kept = [weakref.ref(request) for request in sent]
    del sent, request
    gc.collect()
    assert [ref for ref in kept if ref() is not None] == []  # the budget holds none of the 50 requests

    tight = CallPacer("Vendor", [("", 3, timedelta(hours=1))])
    for n in range(3):
        tight.wait_for_slot(signed_request(n))
    hit = None
    try:
        tight._budget.acquire_call(signed_request(3), block=False)  # noqa: SLF001 - the 4th call of the hour
    except Exception as error:  # noqa: BLE001
        hit = error
    assert hit is not None and "CallRateLimitHit" in type(hit).__name__  # the three stand-ins were counted
