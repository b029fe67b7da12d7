"""Baseline for the source-plutio read of one incremental stream: a minimal hand-written `requests` loop.

POST /oauth/token (form-encoded client credentials), then GET /<resource>?q={"updatedAt":{"$gte":<start>}}&limit=100
with skip += 100 until a page shorter than 100 (the same paging and server-side filter the connector uses), one
Airbyte RECORD line per record on stdout. No call budget: the bench raises the connector's `requests_per_hour` and
the emulator's limit to a billion, so neither side waits.
"""

from __future__ import annotations

import argparse
import json
import sys

import baseline_cli  # sibling module: the scripts run as `python bench/<script>.py`

PAGE = 100


def main() -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--resource", default="time-tracks")
        parser.add_argument("--stream", default="time_tracks")

    started = baseline_cli.start(options)
    if started is None:
        return 0
    args, config, base, session = started.args, started.config, started.base, started.session
    session.headers["Business"] = config["business"]
    token = session.post(f"{base}/oauth/token", data={"grant_type": "client_credentials", "client_id": config["client_id"],
                                                       "client_secret": config["client_secret"]}, timeout=60)
    token.raise_for_status()
    session.headers["Authorization"] = f"Bearer {token.json()['accessToken']}"
    start = config["start_date"].replace("Z", ".000Z") if "." not in config["start_date"] else config["start_date"]
    query = json.dumps({"updatedAt": {"$gte": start}}, separators=(",", ":"))
    out = baseline_cli.RecordWriter(args.stream)
    skip = 0
    while True:
        params = {"q": query, "limit": PAGE, **({"skip": skip} if skip else {})}
        response = session.get(f"{base}/{args.resource}", params=params, timeout=60)
        response.raise_for_status()
        page = response.json()
        for record in page:
            out.write(record)
        if len(page) < PAGE:
            break
        skip += PAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
