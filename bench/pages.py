"""What one page costs the bench's emulator at a given data size: the fastest of 50 sends of the same request (a page
from the middle of the data) from this process, after one request that selects the records (a query's first page
pays once for that). The fastest, not the median: other work on a shared machine only ever adds time, and a median
of a fraction of a second moves by half with it.

Flat from the smallest to the largest size of a sweep means the emulator serves a page in time independent of the
data's size, so large runs measure the connector, not the server.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Callable

import requests

import tenants

SAMPLES = 50


def fastest_ms(send: Callable[[], requests.Response]) -> float:
    send().raise_for_status()  # the query's first page: the selection is made and kept
    times = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        send().raise_for_status()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def pluggy(t: tenants.Tenant) -> float:
    s, e = _session(), t.emulator
    s.headers["X-API-KEY"] = s.post(e.url + "/auth", json={"clientId": t.config["client_id"],
                                                           "clientSecret": t.config["client_secret"]}).json()["apiKey"]
    account = e.accounts[0]["id"]
    middle = len(e.transactions[account]) // 2 // 500 * 500
    after = base64.urlsafe_b64encode(str(middle).encode()).decode()
    params = {"accountId": account, "createdAtFrom": "1970-01-01T00:00:00.000Z", **({"after": after} if middle else {})}
    return fastest_ms(lambda: s.get(e.url + "/v2/transactions", params=params))


def plutio(t: tenants.Tenant) -> float:
    s, base = _session(), t.config["base_url"]
    s.headers["Business"] = t.config["business"]
    token = s.post(base + "/oauth/token", data={"grant_type": "client_credentials", "client_id": t.config["client_id"],
                                                "client_secret": t.config["client_secret"]}).json()["accessToken"]
    s.headers["Authorization"] = f"Bearer {token}"
    params = {"q": json.dumps({"updatedAt": {"$gte": "2020-01-01T00:00:00.000Z"}}, separators=(",", ":")),
              "limit": 100, "skip": t.expected // 2 // 100 * 100}
    return fastest_ms(lambda: s.get(base + "/time-tracks", params=params))


def protime(t: tenants.Tenant) -> float:
    s, c = _session(), t.config
    token = s.post(c["token_url"], data={"grant_type": "client_credentials", "client_id": c["client_id"],
                                         "client_secret": c["client_secret"],
                                         "scope": "connector-protimeapi-clockings.read"}).json()["access_token"]
    s.headers["Authorization"] = f"Bearer {token}"
    middle = base64.urlsafe_b64encode(json.dumps({"o": t.expected // 2, "empty": False}).encode()).decode().rstrip("=")
    params = {"filter": "date ge '2025-01-01' and date le '2025-12-31'", "continuationToken": middle}
    return fastest_ms(lambda: s.get(c["base_url"] + "/connector/protimeapi/api/v1/clockings", params=params))


def plecto(t: tenants.Tenant) -> float:
    """A POST of 100 new registrations into a data source that already holds about N (the run's size)."""
    s, c, e = _session(), t.config, t.emulator
    s.auth = (c["username"], c["password"])
    data_source = c["streams"][0]["data_source"]
    member = next(iter(e.members))
    for i in range(t.expected):  # the stored registrations a write of this size leaves behind
        e.insert_registration(data_source, f"probe-{i}", member)
    counter = iter(range(10**9))

    def post() -> requests.Response:
        batch = next(counter)
        return s.post(c["base_url"] + "/registrations/", json=[
            {"data_source": data_source, "external_id": f"page-{batch}-{k}", "member_api_provider": "Airbyte",
             "member_api_id": "1", "member_name": "Owner 1", "date": "2024-01-01T00:00:00+00:00"}
            for k in range(100)])
    return fastest_ms(post)


PROBES: dict[str, Callable[[tenants.Tenant], float]] = {"pluggy": pluggy, "pluggy_instant": pluggy, "plutio": plutio,
                                                          "protime": protime, "plecto": plecto}


def page_ms(tenant: tenants.Tenant) -> float:
    """The fastest ms of one page; the emulator is left as the runs expect it (a destination's is reset by them)."""
    ms = PROBES[tenant.key](tenant)
    tenant.emulator.reset_calls()
    return ms

