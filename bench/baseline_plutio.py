"""Baseline for the source-plutio read of one incremental stream: a minimal hand-written `requests` loop.

POST /oauth/token (form-encoded client credentials), then GET /<resource>?q={"updatedAt":{"$gte":<start>}}&limit=100
with skip += 100 until a page shorter than 100 (the same paging and server-side filter the connector uses), each
record written as a JSON line to --out (/dev/null by default).

Run by bench/run.py as a child process. The last line on stderr is a JSON summary: {"records": n, "calls": n}.
"""

from __future__ import annotations

import argparse
import json
import sys

import requests

import baseline_cli  # sibling module: the scripts run as `python bench/<script>.py`

PAGE = 100


def main() -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--resource", default="time-tracks")
        parser.add_argument("--out", default="/dev/null")

    parsed = baseline_cli.parse(options)
    if parsed is None:
        return 0
    args, config = parsed
    base = config["base_url"].rstrip("/")
    session = requests.Session()
    session.headers["Business"] = config["business"]
    token = session.post(f"{base}/oauth/token", data={"grant_type": "client_credentials", "client_id": config["client_id"],
                                                       "client_secret": config["client_secret"]}, timeout=60)
    token.raise_for_status()
    session.headers["Authorization"] = f"Bearer {token.json()['accessToken']}"
    start = config["start_date"].replace("Z", ".000Z") if "." not in config["start_date"] else config["start_date"]
    query = json.dumps({"updatedAt": {"$gte": start}}, separators=(",", ":"))
    calls, records, skip = 1, 0, 0
    with open(args.out, "w") as out:
        while True:
            params = {"q": query, "limit": PAGE, **({"skip": skip} if skip else {})}
            calls += 1
            response = session.get(f"{base}/{args.resource}", params=params, timeout=60)
            response.raise_for_status()
            page = response.json()
            for record in page:
                out.write(json.dumps(record))
                out.write("\n")
            records += len(page)
            if len(page) < PAGE:
                break
            skip += PAGE
    print(json.dumps({"records": records, "calls": calls}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
