"""Baseline for the source-pluggy read of `transactions`: the same API work as a minimal hand-written `requests` loop.

POST /auth, GET /v2/items (following `next`), GET /accounts?itemId=..&pageSize=500 per item (following pages),
GET /v2/transactions?accountId=..&createdAtFrom=<epoch> per account (following `next`; the connector sends the
same createdAtFrom on a first sync, so the server does the same filtering work), one Airbyte RECORD line per
transaction on stdout. Paced like the connector (its `requests_per_minute`, 360 by default, per 62 s per endpoint)
so that both sides run under the same limits. No retries, no schema, no state: the floor a connector cannot beat.
"""

from __future__ import annotations

import collections
import sys
import time

import baseline_cli  # sibling module: the scripts run as `python bench/<script>.py`

EPOCH = "1970-01-01T00:00:00.000Z"
WINDOW_SECONDS = 62.0  # the connector's per-endpoint window (its manifest's api_budget)


class Pacer:
    """At most `limit` calls per endpoint in any WINDOW_SECONDS, waiting for room like the connector's budget."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent: dict[str, collections.deque] = collections.defaultdict(collections.deque)

    def wait(self, endpoint: str) -> None:
        sent = self.sent[endpoint]
        now = time.monotonic()
        while sent and now - sent[0] >= WINDOW_SECONDS:
            sent.popleft()
        if len(sent) >= self.limit:
            time.sleep(WINDOW_SECONDS - (now - sent[0]))
            sent.popleft()
        sent.append(time.monotonic())


def main() -> int:
    started = baseline_cli.start()
    if started is None:
        return 0
    config, base, session = started.config, started.base, started.session
    pacer = Pacer(int(config.get("requests_per_minute") or 360))
    out = baseline_cli.RecordWriter("transactions")

    def get(path: str, params: dict | None = None) -> dict:
        pacer.wait(path.split("?")[0])
        response = session.get(base + path, params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    auth = session.post(f"{base}/auth", json={"clientId": config["client_id"], "clientSecret": config["client_secret"]},
                        timeout=60)
    auth.raise_for_status()
    session.headers["X-API-KEY"] = auth.json()["apiKey"]

    items, page = [], get("/v2/items")
    items += page["results"]
    while page.get("next"):
        page = get("/v2/items" + page["next"])
        items += page["results"]

    for item in items:
        accounts, number = [], 1
        while True:
            page = get("/accounts", {"itemId": item["id"], "pageSize": 500, **({"page": number} if number > 1 else {})})
            accounts += page["results"]
            if page["page"] >= page["totalPages"]:
                break
            number += 1
        for account in accounts:
            page = get("/v2/transactions", {"accountId": account["id"], "createdAtFrom": EPOCH})
            while True:
                for tx in page["results"]:
                    out.write(tx)
                if not page.get("next"):
                    break
                page = get("/v2/transactions" + page["next"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
