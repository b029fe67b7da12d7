"""Pace calls to a vendor's published limit before it has to answer 429, and say so when a call waits.

`CallPacer` holds the CDK's own call-rate policies (`MovingWindowCallRatePolicy`, public API) and blocks a call
until its window has room. Why not the manifest's `api_budget`: the CDK logs its waits at DEBUG only, so a sync
that waits most of an hour for Plutio's hourly window looks hung, and it cannot count the token request, which
Plutio counts against the same limit. Here each wait is logged at INFO with its length and reason.

Rules, as a manifest declares them (on the authenticator, which applies them to every request; the first rule
whose path pattern matches a request applies; the limit may be interpolated from the config):

    call_budget:
      - {path: "", limit: "{{ config.get('requests_per_hour') or 1000 }}", per: PT1H}
"""

import functools
import logging
import threading
import time
from datetime import timedelta
from typing import Any, Iterable, Mapping, Optional

from urllib.parse import urlsplit

import requests
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.streams.call_rate import (
    APIBudget,
    CallRateLimitHit,
    HttpRequestRegexMatcher,
    MovingWindowCallRatePolicy,
    Rate,
)
from isodate import parse_duration

logger = logging.getLogger("airbyte")

_PACERS: dict[tuple, "CallPacer"] = {}
_PACERS_LOCK = threading.Lock()


class CallPacer:
    def __init__(self, vendor: str, rules: Iterable[tuple[str, int, timedelta]]) -> None:
        self.vendor = vendor
        policies = [MovingWindowCallRatePolicy(rates=[Rate(limit=max(1, limit), interval=per)],
                                               matchers=[HttpRequestRegexMatcher(url_path_pattern=path or None)])
                    for path, limit, per in rules]
        self._budget = APIBudget(policies=policies)
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, vendor: str, raw_rules: Optional[Iterable[Mapping[str, Any]]], config: Mapping[str, Any],
               parameters: Mapping[str, Any]) -> Optional["CallPacer"]:
        """One pacer per (vendor, rules) in the process: every stream of a sync draws on the same budget."""
        if not raw_rules:
            return None
        rules = tuple(
            (str(rule.get("path") or ""),
             int(InterpolatedString.create(str(rule.get("limit")), parameters=parameters).eval(config)),
             parse_duration(str(rule.get("per") or "PT1H")))
            for rule in raw_rules)
        with _PACERS_LOCK:
            return _PACERS.setdefault((vendor, rules), cls(vendor, rules))

    def wait_for_slot(self, request: Any) -> None:
        """Block until `request` may be sent (a prepared request, or anything with `.url` and `.method`)."""
        call = self._call_of(request)
        while True:
            try:
                self._budget.acquire_call(call, block=False)
                return
            except CallRateLimitHit as hit:
                seconds = max(0.0, hit.time_to_wait.total_seconds())
                logger.info(f"{self.vendor} call budget used up ({hit.rate}): waiting {seconds:.0f} s before the next "
                            "call. The sync goes on at the allowed pace.")
                time.sleep(seconds + 0.01)

    def _call_of(self, request: Any) -> requests.PreparedRequest:
        """What the budget keeps of a call: one shared stand-in per method and path.

        A moving window keeps every call it counted until the call leaves the window (an hour for Plutio), and the
        CDK's policy keeps the object it was given. The request itself (headers, token, hooks: ~2.4 KB) would make
        the memory grow with the calls of the hour; the rules match on the path alone, so a stand-in per path counts
        the same and keeps only a timestamp per call.
        """
        parts = urlsplit(request.url or "")
        return _stand_in(str(request.method or "GET").upper(), f"{parts.scheme}://{parts.netloc}{parts.path}")

    def wait_for_url(self, method: str, url: str) -> None:
        self.wait_for_slot(requests.Request(method, url).prepare())


@functools.lru_cache(maxsize=256)
def _stand_in(method: str, url: str) -> requests.PreparedRequest:
    return requests.Request(method, url).prepare()


def forget_all_pacers() -> None:
    """Drop every shared budget (tests; a new process starts empty anyway)."""
    with _PACERS_LOCK:
        _PACERS.clear()
