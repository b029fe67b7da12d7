"""Baseline for the destination-plecto write: a plain `requests` loop POSTing the same registrations in lists of 100.

Reads the same Airbyte messages file the connector gets on stdin, turns each RECORD into the registration the
connector's mapping produces for the bench's records (external_id = id, member by api id and name, date as given
(the bench generates it already in Plecto's form), every other field as is), and POSTs lists of 100 to
/registrations/. STATE messages are ignored; no validation, no retries, no bisection: the floor.
"""

from __future__ import annotations

import json
import sys

import baseline_cli  # sibling module: the scripts run as `python bench/<script>.py`

BULK = 100


def main() -> int:
    started = baseline_cli.start(lambda parser: parser.add_argument(
        "--input", help="Airbyte messages, one JSON per line (what the connector reads on stdin)"))
    if started is None:
        return 0
    args, config, session = started.args, started.config, started.session
    stream = config["streams"][0]
    url = started.base + "/registrations/"
    provider = config.get("member_api_provider", "Airbyte")
    session.auth = (config["username"], config["password"])
    batch: list[dict] = []

    def flush() -> None:
        if batch:
            session.post(url, json=batch, timeout=60).raise_for_status()
            batch.clear()

    with open(args.input) as messages:
        for line in messages:
            message = json.loads(line)
            if message.get("type") != "RECORD":
                continue
            data = message["record"]["data"]
            registration = {"data_source": stream["data_source"], "external_id": str(data["id"]),
                            "member_api_provider": provider, "member_api_id": str(data[stream["member_api_id_field"]]),
                            "member_name": str(data[stream["member_name_field"]]), "date": data[stream["date_field"]]}
            registration.update((k, v) for k, v in data.items() if k != "id")
            batch.append(registration)
            if len(batch) >= BULK:
                flush()
    flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
