"""The data each benchmark reads or writes: one emulator seeded for about N records, with the connector's config and
catalog and the baseline script that does the same API work.

Every emulator runs in the bench process on a free loopback port. Rate limits are raised to a billion on the
emulator and, where the connector has a configurable budget without a ceiling (Plutio's `requests_per_hour`), on
the connector too. Pluggy's `requests_per_minute` cannot go above the published 360, so the Pluggy baseline paces
itself exactly like the connector (360 calls per 62 s per endpoint): both sides run under the same limits.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sandbox import emulator_class

UNLIMITED = 1_000_000_000
PLUGGY_ITEMS, PLUGGY_ACCOUNTS = 2, 3
PROTIME_CLOCKINGS_PER_UNIT = 8 * 14  # the emulator's size unit: 8 people x 7 weekdays x 2 clockings


@dataclass
class Tenant:
    """One seeded emulator and what a connector and its baseline need to work on it."""

    key: str  # pluggy, plutio, protime, plecto
    connector: str  # the console script
    stream: str
    emulator: Any
    config: dict[str, Any]
    catalog: dict[str, Any]
    expected: int  # records the read must return (or registrations the write must store)
    baseline: str  # bench/<baseline>.py
    describe: str  # one line for the report
    baseline_args: list[str] = field(default_factory=list)
    pace: int | None = None  # calls per endpoint in any 62 s that both sides keep to (Pluggy), else None
    warm_up: bool = False  # each side runs once unmeasured first (the instant server learns its answers)
    stdin: Path | None = None  # destination: the messages file
    count_stored: Callable[[], int] | None = None  # destination: what the emulator holds afterwards

    def files(self, tmp: Path) -> tuple[Path, Path]:
        config, catalog = tmp / f"{self.key}-config.json", tmp / f"{self.key}-catalog.json"
        config.write_text(json.dumps(self.config))
        catalog.write_text(json.dumps(self.catalog))
        return config, catalog

    def stop(self) -> None:
        self.emulator.stop()


def catalog(stream: str, sync_mode: str = "incremental", destination_sync_mode: str = "append",
            **extra: Any) -> dict[str, Any]:
    return {"streams": [{"stream": {"name": stream, "json_schema": {"type": "object"},
                                    "supported_sync_modes": ["full_refresh", "incremental"], **extra},
                         "sync_mode": sync_mode, "destination_sync_mode": destination_sync_mode}]}


def pluggy(records: int, **emulator_args: Any) -> Tenant:
    """`transactions`, incremental first sync: 2 items x 3 accounts, records / 6 per account, pages of 500."""
    per_account = max(1, math.ceil(records / (PLUGGY_ITEMS * PLUGGY_ACCOUNTS)))
    emulator = emulator_class("pluggy")(size=per_account, rate_limit_per_minute=UNLIMITED, **emulator_args).start()
    expected = sum(len(rows) for rows in emulator.transactions.values())
    return Tenant("pluggy", "source-pluggy", "transactions", emulator, emulator.connector_config(),
                  catalog("transactions"), expected, "baseline_pluggy",
                  f"{PLUGGY_ITEMS} items x {PLUGGY_ACCOUNTS} accounts x {per_account:,} transactions, pages of 500",
                  pace=360)


def pluggy_instant(records: int) -> Tenant:
    """The same as `pluggy`, from a server that answers instantly (bench/instant.py): each side warms it up once."""
    from instant import InstantServer

    tenant = pluggy(records)
    server = InstantServer(tenant.emulator)
    tenant.key, tenant.emulator, tenant.warm_up = "pluggy_instant", server, True
    tenant.config = {**tenant.config, "base_url": server.url}
    tenant.describe += "; every answer replayed from memory by a separate process after a warm-up run of each side"
    return tenant


def plutio(records: int) -> Tenant:
    """`time_tracks`, incremental first sync (server-side `q` on updatedAt), skip/limit pages of 100."""
    emulator = emulator_class("plutio")(size=1, counts={"time-tracks": records}, requests_per_hour=UNLIMITED,
                                        cache_selections=True).start()
    config = {**emulator.connector_config(), "requests_per_hour": UNLIMITED}
    start = config["start_date"].replace("Z", ".000Z")
    expected = sum(1 for r in emulator.records("time-tracks") if r["updatedAt"] >= start)
    return Tenant("plutio", "source-plutio", "time_tracks", emulator, config,
                  catalog("time_tracks", cursor_field=["updatedAt"]), expected, "baseline_plutio",
                  "time-tracks, skip/limit pages of 100; requests_per_hour raised on both sides")


def protime(records: int) -> Tenant:
    """`clockings` by one-year date windows (incremental_mode `window`), first sync, the emulator's pages of 25."""
    units = max(1, math.ceil(records / PROTIME_CLOCKINGS_PER_UNIT))
    emulator = emulator_class("protime")(size=units, cache_selections=True).start()
    config = {**emulator.connector_config(), "incremental_mode": "window"}
    expected = sum(1 for c in emulator.data["clockings"].values() if c["date"] >= config["start_date"])
    return Tenant("protime", "source-protime", "clockings", emulator, config, catalog("clockings"), expected,
                  "baseline_protime", f"{units * 8:,} people, clockings by date window from "
                                      f"{config['start_date']} to today, pages of {emulator.page_size}")


def plecto(records: int, tmp: Path) -> Tenant:
    """N RECORD messages of a `transactions` stream (a STATE every 1,000) written to one data source, append."""
    messages = tmp / f"plecto-{records}.jsonl"
    plecto_messages(records, messages)
    emulator = emulator_class("plecto")(requests_per_hour=UNLIMITED).start()
    data_source = emulator.data_source_uuid("Transactions")
    # The connector's own hourly budget raised too (the loop has none): 1M registrations are 10,000 POSTs, past
    # Plecto's 3,600 an hour, and the bench measures speed, not pacing.
    config = {**emulator.connector_config(), "requests_per_hour": UNLIMITED}
    config["streams"][0].update(date_field="booked_at", member_api_id_field="owner_id", member_name_field="owner_name")
    return Tenant("plecto", "destination-plecto", "transactions", emulator, config,
                  catalog("transactions", source_defined_primary_key=[["id"]]), records, "baseline_plecto",
                  "RECORD messages on stdin, a STATE every 1,000; lists of at most 100 per POST",
                  baseline_args=["--input", str(messages)], stdin=messages,
                  count_stored=lambda: len(emulator.registrations(data_source)))


def plecto_messages(n: int, path: Path) -> None:
    """N RECORDs of a `transactions` stream with a STATE after every 1,000 (and at the end)."""
    statuses, descriptions = ["POSTED", "POSTED", "PENDING"], ["PIX RECEBIDO", "COMPRA CARTAO", "TED", "BOLETO", "SALARIO"]
    with open(path, "w") as out:
        for i in range(n):
            minute = i % (60 * 24 * 365)
            data = {"id": f"tx-{i:08d}",
                    "booked_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1_704_067_200 + 60 * minute)),
                    "owner_id": i % 25, "owner_name": f"Owner {i % 25}", "amount": round((i * 37 % 90_000) / 100, 2),
                    "currency": "BRL", "description": descriptions[i % 5], "status": statuses[i % 3],
                    "category": "Transfers"}
            out.write(json.dumps({"type": "RECORD", "record": {"stream": "transactions", "data": data,
                                                               "emitted_at": 1_700_000_000_000}}) + "\n")
            if (i + 1) % 1000 == 0 or i + 1 == n:
                out.write(json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
                    "stream_descriptor": {"name": "transactions"}, "stream_state": {"cursor": data["id"]}}}}) + "\n")


BUILDERS: dict[str, Callable[..., Tenant]] = {"pluggy": pluggy, "pluggy_instant": pluggy_instant, "plutio": plutio,
                                              "protime": protime}
