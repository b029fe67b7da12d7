"""A stream's records back from the cache in the source's own field names. PyAirbyte's public API has no call that
maps a cache column back to its field, so cached_records.py asks the cache's processor how it names a column
(`cache.processor.normalizer`, the attribute PyAirbyte's SqlProcessorBase documents as "the name normalizer to use
for table and column name normalization") and inverts it over the stream's schema. This pins that: a PyAirbyte
release that names columns otherwise, or drops the attribute, fails here, not in a push to Plecto."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import airbyte as ab
import pytest
import sqlalchemy
from airbyte.caches import DuckDBCache

from airbyte_pipeline.cached_records import AIRBYTE_COLUMNS, records_since

# Field names that a column cannot keep: upper case, spaces and signs, a leading digit.
SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "accountId": {"type": "string"}, "Average Sales (%)": {"type": "number"},
    "2ndLine": {"type": "string"}, "tags": {"type": ["null", "array"], "items": {"type": "string"}}}}
RECORDS = [{"id": 1, "accountId": "A-1", "Average Sales (%)": 2.5, "2ndLine": "x", "tags": ["a", "b"]},
           {"id": 2, "accountId": "A-2", "Average Sales (%)": 4.0, "2ndLine": "y", "tags": []}]

# A source as an executable, as the pipeline runs ours: it answers spec, check, discover and read with fixed messages.
SOURCE = '''
import json, sys
SCHEMA, RECORDS = json.loads({payload!r})
command = sys.argv[1]
def say(message):
    print(json.dumps(message), flush=True)
if command == "spec":
    say({{"type": "SPEC", "spec": {{"connectionSpecification": {{"type": "object", "properties": {{}}}}}}}})
elif command == "check":
    say({{"type": "CONNECTION_STATUS", "connectionStatus": {{"status": "SUCCEEDED"}}}})
elif command == "discover":
    say({{"type": "CATALOG", "catalog": {{"streams": [{{"name": "accounts", "json_schema": SCHEMA,
         "supported_sync_modes": ["full_refresh"], "source_defined_primary_key": [["id"]]}}]}}}})
elif command == "read":
    for record in RECORDS:
        say({{"type": "RECORD", "record": {{"stream": "accounts", "data": record, "emitted_at": 1700000000000}}}})
'''


@pytest.fixture
def cache(tmp_path: Path) -> DuckDBCache:
    program = tmp_path / "source-fixed"
    body = SOURCE.format(payload=json.dumps([SCHEMA, RECORDS]))
    program.write_text(f"#!{sys.executable}\n{body}")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    source = ab.get_source("source-fixed", config={}, local_executable=program)
    source.select_all_streams()
    cache = DuckDBCache(db_path=tmp_path / "cache.duckdb", schema_name="main")
    source.read(cache=cache)
    return cache


def test_given_a_cache_then_its_columns_are_the_processors_normalizer_applied_to_each_field(cache):
    columns = {column["name"] for column in sqlalchemy.inspect(cache.get_sql_engine()).get_columns(
        cache.processor.get_sql_table_name("accounts"), schema=cache.schema_name)}

    assert columns - set(AIRBYTE_COLUMNS) == {cache.processor.normalizer.normalize(name) for name in SCHEMA["properties"]}
    assert columns - set(AIRBYTE_COLUMNS) == {"id", "accountid", "average_sales____", "_2ndline", "tags"}


def test_given_cached_records_then_they_come_back_in_the_sources_field_names(cache):
    back = [record for _, record in records_since(cache, "accounts", None, SCHEMA)]

    assert sorted(back, key=lambda record: record["id"]) == RECORDS
