"""airbyte-pipeline: one pipeline file, one command.

The installed sources run through PyAirbyte into a cache (the embedded DuckDB, or Postgres) with their state kept
there, so every run after the first is incremental; then the chosen streams go from the cache to Plecto through
destination-plecto, each push sending only what reached the cache since the last acknowledged one.
"""
