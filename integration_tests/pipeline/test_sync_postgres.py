"""The pipeline into a real Postgres server (the pgserver wheel's binaries, started for this module): the source's
tables and PyAirbyte's state land in the source's own schema, and the second run is incremental: Protime's new,
updated and deleted clockings, and only those, reach Plecto (the deletion as a DELETE)."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from airbyte_pipeline.local_postgres import LocalPostgres

from sandbox_pipeline import (airbyte_pipeline, example_over, make_changes, pipeline_env, pipeline_state,
                              registration_mismatches, table_row, write_pipeline)

PG_PASSWORD = f"pg-{secrets.token_hex(12)}"


@pytest.fixture(scope="module")
def postgres():
    server = LocalPostgres(PG_PASSWORD).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sandbox(start_emulator):
    return {"protime": start_emulator("protime"), "plecto": start_emulator("plecto")}


@pytest.fixture(scope="module")
def pipeline_file(sandbox, postgres, tmp_path_factory) -> str:
    pipeline = example_over(sandbox)
    pipeline["name"] = "postgres"
    pipeline["cache"] = {"type": "postgres", "host": postgres.host, "port": postgres.port, "database": postgres.database,
                         "username": postgres.username, "password": "${PIPELINE_PG_PASSWORD}", "schema_prefix": "cache_"}
    return str(write_pipeline(tmp_path_factory.mktemp("postgres-pipeline") / "pipeline.yaml", pipeline))


def run(pipeline_file: str, *args: str):
    return airbyte_pipeline(*args, pipeline_file, env=pipeline_env(PIPELINE_PG_PASSWORD=PG_PASSWORD))


def scalar(postgres, sql: str):
    with postgres.connect() as connection:
        return connection.execute(sql).fetchone()[0]


def test_given_postgres_when_run_twice_then_tables_state_and_the_incremental_second_run(
        sandbox, postgres, pipeline_file):
    first = run(pipeline_file, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    tables = scalar(postgres, "SELECT array_agg(table_name::text ORDER BY table_name) FROM information_schema.tables "
                              "WHERE table_schema = 'cache_protime'")
    assert {"people", "clockings", "_airbyte_state"} <= set(tables)
    protime = sandbox["protime"]
    assert scalar(postgres, "SELECT count(*) FROM cache_protime.clockings") == len(protime.data["clockings"])
    assert scalar(postgres, "SELECT count(*) FROM cache_protime.people") == len(protime.data["people"])
    assert scalar(postgres, "SELECT count(*) FROM cache_protime._airbyte_state") >= 2  # one state per stream
    assert registration_mismatches(sandbox) == []

    changes = make_changes(sandbox)
    second = run(pipeline_file, "run")
    assert second.returncode == 0, second.stdout + second.stderr
    status = pipeline_state(pipeline_file)
    assert status["streams"]["protime.clockings"]["last_read"]["records"] == 3
    assert status["streams"]["protime.clockings"]["last_push"]["sent"] == 3
    assert status["streams"]["protime.people"]["last_read"]["records"] == 0
    assert table_row(second.stdout, "clockings")[1:3] == ["3", "2 (+1 deleted)"]
    [push_calls] = [line for line in second.stdout.splitlines() if line.startswith("  protime.clockings to Plecto: ")]
    assert re.search(r"DELETE \S+ 1\b", push_calls), push_calls  # the deleted clocking's DELETE, as reported
    live = "SELECT count(*) FROM cache_protime.clockings WHERE _ab_cdc_deleted_at IS NULL"
    assert scalar(postgres, live) == len(protime.data["clockings"])
    assert registration_mismatches(sandbox, changes) == []
    assert PG_PASSWORD not in first.stdout + first.stderr + second.stdout + second.stderr + json.dumps(status)
