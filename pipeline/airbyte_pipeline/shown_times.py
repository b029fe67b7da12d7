"""Times as the user sees them: always with their zone.

A stream's high-water mark (`pushed_through`) is the `_airbyte_extracted_at` of a cached record, as the cache gives
it: aware from Postgres, naive from DuckDB, which stores PyAirbyte's UTC times without their zone. The state keeps it
as it was read (the next push compares it with the same column); what is shown carries its zone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional


def with_zone(moment: Optional[str]) -> Optional[str]:
    """An ISO 8601 time from the pipeline state with its zone: a naive one is UTC (see above)."""
    if not moment:
        return moment
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    return parsed.isoformat() if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc).isoformat()


def clock() -> str:
    """The time of day for a progress line, in the machine's zone, named: `14:05:09 CET`."""
    return f"{datetime.now().astimezone():%H:%M:%S %Z}"
