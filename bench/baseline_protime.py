"""Baseline for the source-protime read of `clockings` by date window: a minimal hand-written `requests` loop.

POST the tenant's token endpoint (form-encoded client credentials, the clockings scope), then for each one-year
window from `start_date` to today (the connector's windows: a year less a day each, both bounds inclusive)
GET /connector/protimeapi/api/v1/clockings?filter=date ge '<start>' and date le '<end>' and follow the relative
`nextLink` until it is absent (the empty second page included), one Airbyte RECORD line per clocking on stdout.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone

import baseline_cli  # sibling module: the scripts run as `python bench/<script>.py`

SCOPE = "connector-protimeapi-clockings.read"


def windows(start: date, today: date) -> list[tuple[date, date]]:
    out = []
    while start <= today:
        try:
            year_on = start.replace(year=start.year + 1)
        except ValueError:  # 29 February
            year_on = start.replace(year=start.year + 1, day=28)
        end = min(year_on - timedelta(days=1), today)
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def main() -> int:
    started = baseline_cli.start()
    if started is None:
        return 0
    config, base, session = started.config, started.base, started.session
    token = session.post(config["token_url"], data={"grant_type": "client_credentials", "client_id": config["client_id"],
                                                    "client_secret": config["client_secret"], "scope": SCOPE}, timeout=60)
    token.raise_for_status()
    session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    out = baseline_cli.RecordWriter("clockings")
    today = datetime.now(timezone.utc).date()
    for start, end in windows(date.fromisoformat(config["start_date"]), today):
        url = f"{base}/connector/protimeapi/api/v1/clockings"
        params: dict | None = {"filter": f"date ge '{start.isoformat()}' and date le '{end.isoformat()}'"}
        while url:
            response = session.get(url, params=params, timeout=60)
            response.raise_for_status()
            page = response.json()
            for record in page["value"]:
                out.write(record)
            url, params = (base + page["nextLink"] if page.get("nextLink") else None), None
    return 0


if __name__ == "__main__":
    sys.exit(main())
