"""The PyAirbyte cache of one source: the pipeline's DuckDB file or Postgres database, in the source's own schema
(so that two sources with a stream of the same name, or the same connector twice, never share a table or a state).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from airbyte.caches import CacheBase, DuckDBCache, PostgresCache

from airbyte_pipeline.pipeline_file import Cache
from airbyte_pipeline.private_files import private_folder, temp_folder


class TlsPostgresCache(PostgresCache):
    """PyAirbyte's Postgres cache with libpq's TLS settings, handed to the driver through the connect arguments
    PyAirbyte's SqlConfig asks every cache for (its URL has no place for them)."""

    sslmode: str = "verify-full"
    sslrootcert: Optional[str] = None

    def get_sql_alchemy_connect_args(self) -> dict[str, Any]:
        args = {**super().get_sql_alchemy_connect_args(), "sslmode": self.sslmode}
        if self.sslrootcert:
            args["sslrootcert"] = self.sslrootcert
        return args


def open_cache(cache: Cache, source_key: str, state_dir: Path) -> CacheBase:
    """PyAirbyte writes its temporary batch files in the state folder's private temporary folder, not in the
    working directory."""
    scratch = private_folder(temp_folder(state_dir))
    schema = cache.schema_of(source_key)
    if cache.kind == "duckdb":
        assert cache.path is not None
        cache.path.parent.mkdir(parents=True, exist_ok=True)
        return DuckDBCache(db_path=cache.path, schema_name=schema, cache_dir=scratch)
    return TlsPostgresCache(host=cache.host, port=cache.port, database=cache.database, username=cache.username,
                            password=cache.password, schema_name=schema, cache_dir=scratch, sslmode=cache.sslmode,
                            sslrootcert=cache.sslrootcert)

