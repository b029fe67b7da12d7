"""Baseline for the source-pluggy read: the same API work as a minimal hand-written `requests` loop.

POST /auth, GET /v2/items (following `next`), GET /accounts?itemId=..&pageSize=500 per item (following pages),
GET /v2/transactions?accountId=..&createdAtFrom=<epoch> per account (following `next`; the connector sends the
same createdAtFrom on a first sync, so the server does the same filtering work), each transaction written as a
JSON line to --out (/dev/null by default). No retries, no schema, no state: the floor a connector cannot beat.

Run by bench/run.py as a child process so its wall time and peak RSS are measured like the connector's.
The last line on stderr is a JSON summary: {"records": n, "calls": n}.
"""

from __future__ import annotations

import json
import sys

import requests

import baseline_cli  # sibling module: the scripts run as `python bench/<script>.py`

EPOCH = "1970-01-01T00:00:00.000Z"


def main() -> int:
    parsed = baseline_cli.parse(lambda parser: parser.add_argument("--out", default="/dev/null"))
    if parsed is None:
        return 0
    args, config = parsed
    base = config["base_url"].rstrip("/")
    session = requests.Session()
    calls = records = 0

    def get(path: str, params: dict | None = None) -> dict:
        nonlocal calls
        calls += 1
        response = session.get(base + path, params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    calls += 1
    auth = session.post(f"{base}/auth", json={"clientId": config["client_id"], "clientSecret": config["client_secret"]},
                        timeout=60)
    auth.raise_for_status()
    session.headers["X-API-KEY"] = auth.json()["apiKey"]

    items, page = [], get("/v2/items")
    items += page["results"]
    while page.get("next"):
        page = get("/v2/items" + page["next"])
        items += page["results"]

    with open(args.out, "w") as out:
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
                        out.write(json.dumps(tx))
                        out.write("\n")
                    records += len(page["results"])
                    if not page.get("next"):
                        break
                    page = get("/v2/transactions" + page["next"])
    print(json.dumps({"records": records, "calls": calls}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
