"""A source that fails (here Pluggy, with a wrong client secret) stops only its own part of the pipeline, with the
connector's own message and no traceback; the other source still runs and reaches Plecto; the exit code says
that something failed."""

from __future__ import annotations

import json

import pytest

from sandbox_pipeline import (PUSHED, airbyte_pipeline, example_over, pipeline_env, pipeline_state,
                              registration_mismatches, write_pipeline)

WRONG_SECRET = "not-the-pluggy-client-secret"


@pytest.fixture(scope="module")
def sandbox(start_emulator):
    return {"pluggy": start_emulator("pluggy"), "protime": start_emulator("protime"), "plecto": start_emulator("plecto")}


@pytest.fixture(scope="module")
def failed(sandbox, tmp_path_factory):
    path = str(write_pipeline(tmp_path_factory.mktemp("failing-source") / "pipeline.yaml", example_over(sandbox)))
    env = pipeline_env(PLUGGY_CLIENT_SECRET=WRONG_SECRET)
    return airbyte_pipeline("run", path, env=env), pipeline_state(path)


def test_given_a_source_with_bad_credentials_then_the_run_fails_with_the_connectors_message(failed, sandbox):
    run, status = failed
    assert run.returncode == 1
    failure = status["sources"]["pluggy"]
    assert failure["status"] == "failed"
    assert "401" in failure["message"] and "client_secret" in failure["message"]  # the connector's own words
    assert f"  pluggy: {failure['message']}" in run.stdout.split("What failed:")[1]
    assert "Traceback" not in run.stdout + run.stderr
    assert WRONG_SECRET not in run.stdout + run.stderr + json.dumps(status)
    assert "last_push" not in status["streams"]["pluggy.transactions"]
    assert sandbox["plecto"].data_sources_titled(PUSHED["pluggy.transactions"]) == []


def test_given_a_failing_source_then_the_other_source_still_reaches_plecto(failed, sandbox):
    run, status = failed
    assert status["sources"]["protime"]["status"] == "ok"
    assert status["streams"]["protime.clockings"]["last_push"]["status"] == "ok"
    protime_only = {name: sandbox[name] for name in ("protime", "plecto")}
    assert registration_mismatches(protime_only) == []
