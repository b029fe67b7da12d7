"""Deterministic seed data helpers shared by the emulators.

Every emulator builds its data from `random.Random(seed)` and a fixed clock origin, so two runs with the
same size and seed serve byte-identical data (tests can assert exact counts and ids).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

# The sandbox's "now" for seeded history; records are created before it. Live mutations use the real clock.
ORIGIN = datetime(2026, 1, 1, tzinfo=timezone.utc)

SIZES = {"small": 1, "medium": 10, "large": 100}


def rng(seed: int, salt: str) -> random.Random:
    return random.Random(f"{seed}:{salt}")


def det_uuid(r: random.Random) -> str:
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


def iso_ms(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and Z, the shape Pluggy and Plutio use."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def past(r: random.Random, max_days: int, before: datetime = ORIGIN) -> datetime:
    return before - timedelta(seconds=r.randint(0, max_days * 86400), milliseconds=r.randint(0, 999))
