"""The API calls a connector made in this process, by endpoint: what the last log line of a run reports.

Users judge a connector by its API calls as much as by its records, and the vendor counts them against their
limit. Every answer that came over the network is counted once (an answer from the CDK's HTTP cache is not;
a retried call is counted per attempt, as the vendor counts it). The shared authenticator arms the count on
every request of the manifest (connector_kit.auth), and counts its own token requests.

Endpoints are named by method and path, with id-like path segments folded into `{id}` so that one endpoint is
one line however many records it served.
"""

import re
import threading
from collections import Counter
from typing import Any, Optional
from urllib.parse import urlsplit

import requests

# A path segment that holds an id: 8 characters or more, with a digit, and no dot (so `v1.8` stays a version).
_ID_SEGMENT = re.compile(r"(?<=/)(?=[^/.]*\d)[^/.]{8,}(?=/|$)")

_LOCK = threading.Lock()
_CALLS: Counter = Counter()


def endpoint(method: str, url: str) -> str:
    return f"{method.upper()} {_ID_SEGMENT.sub('{id}', urlsplit(url).path) or '/'}"


def count(method: str, url: str) -> None:
    with _LOCK:
        _CALLS[endpoint(method, url)] += 1


_COUNTED = "connector_kit_counted"


def count_answer(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A requests response hook: count the answer unless it came from a cache. (requests-cache runs the hooks of
    an answer it fetched twice, once inside requests and once itself, on the same object: it is marked.)"""
    if getattr(response, "from_cache", False) or getattr(response, _COUNTED, False) or response.request is None:
        return response
    setattr(response, _COUNTED, True)
    count(response.request.method or "GET", response.url or response.request.url or "")
    return response


def arm(request: requests.PreparedRequest) -> None:
    """Count the answer to `request` (once, however often the request is re-signed)."""
    hooks = request.hooks.setdefault("response", [])
    if count_answer not in hooks:
        hooks.insert(0, count_answer)  # before the answer check, which may raise


def summary() -> Optional[str]:
    """'24 API calls: GET /v2/transactions 7, GET /accounts 2, ...', busiest first; None before any call."""
    with _LOCK:
        calls = _CALLS.most_common()
    if not calls:
        return None
    total = sum(n for _, n in calls)
    return f"{total} API call{'s' if total != 1 else ''}: " + ", ".join(f"{name} {n}" for name, n in calls)


def forget_all_calls() -> None:
    """Start counting from zero (tests; a new process starts at zero anyway)."""
    with _LOCK:
        _CALLS.clear()
