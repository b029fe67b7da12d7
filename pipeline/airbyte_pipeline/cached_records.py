"""A stream's records as they sit in the cache, in the order they reached it, given back in the shape the source
emitted them: PyAirbyte lower-cases column names (accountId -> accountid) and types the values (decimals,
timestamps, JSON), so the stream's JSON schema gives each field its name back and values become JSON again.

`_airbyte_extracted_at` orders them: PyAirbyte sets it from the record's emitted_at and renews it when a record
is read again (merge by primary key), so "since the last push" is "extracted after its high-water mark".
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Iterator, Optional

import sqlalchemy
from airbyte.caches import CacheBase

EXTRACTED_AT = "_airbyte_extracted_at"
AIRBYTE_COLUMNS = ("_airbyte_raw_id", EXTRACTED_AT, "_airbyte_meta")
FETCH_BATCH = 1000


def _table(cache: CacheBase, stream: str) -> Optional[sqlalchemy.Table]:
    name = cache.processor.get_sql_table_name(stream)
    if not sqlalchemy.inspect(cache.get_sql_engine()).has_table(name, schema=cache.schema_name):
        return None
    return cache.processor.get_sql_table(stream)


def latest_extracted_at(cache: CacheBase, stream: str) -> Optional[datetime]:
    table = _table(cache, stream)
    if table is None:
        return None
    with cache.get_sql_engine().connect() as connection:
        return connection.execute(sqlalchemy.select(sqlalchemy.func.max(table.c[EXTRACTED_AT]))).scalar()


def count_since(cache: CacheBase, stream: str, since: Optional[datetime]) -> int:
    """Records that reached the cache after `since` (all of them when None)."""
    table = _table(cache, stream)
    if table is None:
        return 0
    query = sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
    if since is not None:
        query = query.where(table.c[EXTRACTED_AT] > since)
    with cache.get_sql_engine().connect() as connection:
        return int(connection.execute(query).scalar() or 0)


def records_since(cache: CacheBase, stream: str, since: Optional[datetime],
                  json_schema: dict) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """(extracted_at, record) of every record extracted after `since`, oldest first."""
    table = _table(cache, stream)
    if table is None:
        return
    properties = json_schema.get("properties", {})
    # How the cache named each field's column: PyAirbyte has no public call for the way back, so the processor's own
    # normalizer is inverted over the schema (pinned in pipeline/tests/test_cached_records.py).
    normalize = cache.processor.normalizer.normalize
    names = {normalize(name): name for name in properties}
    query = sqlalchemy.select(table).order_by(table.c[EXTRACTED_AT])
    if since is not None:
        query = query.where(table.c[EXTRACTED_AT] > since)
    with cache.get_sql_engine().connect() as connection:
        result = connection.execution_options(yield_per=FETCH_BATCH).execute(query)
        for row in result.mappings():
            record = {}
            for column, value in row.items():
                if column in AIRBYTE_COLUMNS or value is None:
                    continue
                name = names.get(column, column)
                record[name] = as_json_value(value, properties.get(name, {}))
            yield row[EXTRACTED_AT], record


def as_json_value(value: Any, schema: dict) -> Any:
    """A cached value as the source emitted it (near enough for Plecto: the same JSON type and meaning)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str) and _types(schema) & {"object", "array"} and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _types(schema: dict) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def as_utc(moment: datetime) -> datetime:
    """DuckDB gives naive UTC timestamps, Postgres aware ones."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
