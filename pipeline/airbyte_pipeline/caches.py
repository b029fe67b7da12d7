"""The PyAirbyte cache of one source: the pipeline's DuckDB file or Postgres database, in the source's own schema
(so that two sources with a stream of the same name, or the same connector twice, never share a table or a state).
"""

from __future__ import annotations

from pathlib import Path

from airbyte.caches import CacheBase, DuckDBCache, PostgresCache

from airbyte_pipeline.pipeline_file import Cache


def open_cache(cache: Cache, source_key: str, state_dir: Path) -> CacheBase:
    """PyAirbyte writes its temporary batch files under the state folder, not in the working directory."""
    scratch = state_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    schema = cache.schema_of(source_key)
    if cache.kind == "duckdb":
        assert cache.path is not None
        cache.path.parent.mkdir(parents=True, exist_ok=True)
        return DuckDBCache(db_path=cache.path, schema_name=schema, cache_dir=scratch)
    return PostgresCache(host=cache.host, port=cache.port, database=cache.database, username=cache.username,
                         password=cache.password, schema_name=schema, cache_dir=scratch)

