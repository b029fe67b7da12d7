"""`airbyte-pipeline deploy` of the example pipeline (pipeline/examples/sandbox.yaml) to the Airbyte API stand-in,
as a self-managed instance and as Airbyte Cloud, through the installed console script: what Airbyte receives
matches the file, a second deploy creates nothing, a dry run writes nothing, `status` shows the Airbyte side, and
no secret reaches any output or state file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from deploy_helpers import (PUSHED_STREAMS, SOURCES, airbyte_pipeline, editions, files_text,  # noqa: F401
                            pipeline_env, secrets_in, write_example, write_target)

SCHEDULE = "0 0 6 * * ?"


def deploy(pipeline: Path, target: Path, state: Path, *extra: str):
    return airbyte_pipeline("deploy", str(pipeline), "--to", str(target), "--state-dir", str(state), *extra,
                            env=pipeline_env())


def expected_example() -> dict:
    """The example as deploy must read it: ${VARIABLES} from its sandbox.env."""
    from airbyte_pipeline.pipeline_file import load_pipeline

    return load_pipeline(Path(__file__).resolve().parents[2] / "pipeline" / "examples" / "sandbox.yaml")


@pytest.fixture(scope="module")
def self_managed(start_emulator, tmp_path_factory, editions):  # noqa: F811
    """One stand-in and one first deploy for the module's checks (a deploy costs tens of seconds)."""
    stand_in = start_emulator("airbyte_api", flavour="self-managed")
    folder = tmp_path_factory.mktemp("self-managed")
    target = write_target(folder / "target.yaml", stand_in, editions)
    state = folder / "state"
    dry = deploy(write_example(folder / "sandbox.yaml"), target, state, "--dry-run")
    dry_writes = list(stand_in.write_calls())
    first = deploy(folder / "sandbox.yaml", target, state)
    return stand_in, folder, target, state, dry, dry_writes, first


def test_given_a_fresh_workspace_when_deployed_with_dry_run_then_the_plan_is_printed_and_nothing_is_written(
        self_managed):
    _, _, _, _, dry, dry_writes, _ = self_managed
    assert dry.returncode == 0, dry.stderr
    assert "Plan: 13 to create, 0 to update, 0 unchanged." in dry.stdout
    assert "Dry run: nothing was changed" in dry.stdout
    assert dry_writes == []


def test_given_the_example_when_deployed_self_managed_then_airbyte_holds_what_the_file_says(self_managed, editions):  # noqa: F811
    stand_in, _, _, _, _, _, first = self_managed
    assert first.returncode == 0, first.stderr
    assert "Deployed: 13 created, 0 updated, 0 unchanged" in first.stdout
    pipeline = expected_example()
    declarative = {d["name"]: d for d in stand_in.objects("declarative")}
    assert sorted(declarative) == sorted(SOURCES)
    for name, definition in declarative.items():
        assert definition["manifest"] == yaml.safe_load((editions / "manifest-only" / name / "manifest.yaml").read_text())
    [destination_definition] = stand_in.objects("destination_definitions")
    assert (destination_definition["name"], destination_definition["dockerRepository"],
            destination_definition["dockerImageTag"]) == ("destination-plecto",
                                                          "registry.example.com/airbyte/destination-plecto", "0.3.0")
    sources = {s["name"]: s for s in stand_in.objects("sources")}
    assert sorted(sources) == sorted(f"sandbox.{key}" for key in pipeline.sources)
    for key, source in pipeline.sources.items():
        deployed = sources[f"sandbox.{key}"]
        assert deployed["definitionId"] == declarative[source.connector_name]["id"]
        components = (editions / "manifest-only" / source.connector_name / "components.py").read_text()
        assert deployed["configuration"] == {
            **source.config, "__injected_components_py": components,
            "__injected_components_py_checksums": {"sha256": hashlib.sha256(components.encode()).hexdigest()}}
    destinations = {d["name"]: d for d in stand_in.objects("destinations")}
    connections = {c["name"]: c for c in stand_in.objects("connections")}
    assert len(destinations) == len(connections) == len(pipeline.pushes) == 3
    for push in pipeline.pushes:
        destination = destinations[f"sandbox: Plecto '{push.mapping['data_source']}'"]
        assert destination["definitionId"] == destination_definition["id"]
        assert destination["configuration"] == {**pipeline.plecto_config, "streams": [push.mapping]}
        connection = connections[f"sandbox: {push.label} -> Plecto '{push.mapping['data_source']}'"]
        assert connection["sourceId"] == sources[f"sandbox.{push.source}"]["sourceId"]
        assert connection["destinationId"] == destination["destinationId"]
        assert connection["configurations"]["streams"] == [PUSHED_STREAMS[push.label]]
        assert connection["schedule"] == {"scheduleType": "cron", "cronExpression": SCHEDULE}


def test_given_a_deployed_file_when_deployed_again_then_nothing_is_written_and_the_plan_says_so(self_managed):
    stand_in, folder, target, state, _, _, _ = self_managed
    stand_in.reset_calls()
    again = deploy(folder / "sandbox.yaml", target, state)
    assert again.returncode == 0, again.stderr
    assert stand_in.write_calls() == []
    assert "Plan: nothing to change: all 13 match the file." in again.stdout
    # Public API only: the stand-in serves the public API's paths alone, and every call found its route.
    assert {c.path.split("/")[1] for c in stand_in.calls()} == {"v1"} and all(c.status < 400 for c in stand_in.calls())
    assert [len(stand_in.objects(kind)) for kind in ("declarative", "sources", "destinations", "connections")] == [
        3, 3, 3, 3]


def test_given_a_changed_file_when_deployed_then_only_what_changed_is_updated(self_managed):
    stand_in, folder, target, state, _, _, _ = self_managed
    pipeline = yaml.safe_load((folder / "sandbox.yaml").read_text())
    pipeline["sources"]["plutio"]["config"]["start_date"] = "2021-01-01T00:00:00Z"
    pipeline["schedule"] = "0 30 7 * * ?"
    (folder / "changed.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    stand_in.reset_calls()
    changed = deploy(folder / "changed.yaml", target, state)
    assert changed.returncode == 0, changed.stderr
    assert "configuration: start_date changed" in changed.stdout
    writes = sorted((c.method, c.path.split("/")[2]) for c in stand_in.write_calls())
    assert writes == [("PATCH", "connections")] * 3 + [("PUT", "sources")]
    [plutio] = [s for s in stand_in.objects("sources") if s["name"] == "sandbox.plutio"]
    assert plutio["configuration"]["start_date"] == "2021-01-01T00:00:00Z"
    assert {c["schedule"]["cronExpression"] for c in stand_in.objects("connections")} == {"0 30 7 * * ?"}


def test_given_a_deploy_when_status_runs_then_it_shows_the_airbyte_ids(self_managed):
    stand_in, folder, _, state, _, _, _ = self_managed
    text = airbyte_pipeline("status", str(folder / "sandbox.yaml"), "--state-dir", str(state), env=pipeline_env())
    as_json = airbyte_pipeline("status", str(folder / "sandbox.yaml"), "--state-dir", str(state), "--json",
                               env=pipeline_env())
    assert text.returncode == 0 and as_json.returncode == 0, text.stderr + as_json.stderr
    [deployed] = json.loads(as_json.stdout)["airbyte"]
    assert deployed["workspace_id"] == stand_in.workspace_id
    ids = {s["sourceId"] for s in stand_in.objects("sources")}
    assert {entry["id"] for entry in deployed["sources"].values()} == ids
    assert {entry["id"] for entry in deployed["connections"].values()} == {
        c["connectionId"] for c in stand_in.objects("connections")}
    assert f"Airbyte self-managed {stand_in.connector_config()['api_root']}" in text.stdout
    assert all(source_id in text.stdout for source_id in ids)
    assert "schedule: 0 0 6 * * ? (Quartz cron, UTC" in text.stdout
    print(text.stdout)


def test_given_the_deploys_when_their_output_and_files_are_read_then_no_secret_is_there(self_managed):
    _, folder, _, state, dry, _, first = self_managed
    record = state / "airbyte-deploy.json"
    assert record.stat().st_mode & 0o777 == 0o600
    assert secrets_in(dry.stdout + dry.stderr + first.stdout + first.stderr + files_text(state)) == []


@pytest.fixture(scope="module")
def cloud(start_emulator, tmp_path_factory, editions):  # noqa: F811
    stand_in = start_emulator("airbyte_api", flavour="cloud")
    folder = tmp_path_factory.mktemp("cloud")
    target = write_target(folder / "target.yaml", stand_in, editions, kind="cloud")
    state = folder / "state"
    first = deploy(write_example(folder / "sandbox.yaml"), target, state)
    stand_in.reset_calls()
    second = deploy(folder / "sandbox.yaml", target, state)
    return stand_in, state, first, second


def test_given_the_example_when_deployed_to_cloud_then_the_cloud_editions_and_sources_go_and_the_pushes_stay_local(
        cloud, editions):  # noqa: F811
    stand_in, _, first, _ = cloud
    assert first.returncode == 0, first.stderr
    pipeline = expected_example()
    declarative = {d["name"]: d for d in stand_in.objects("declarative")}
    for name, definition in declarative.items():
        assert definition["manifest"] == yaml.safe_load((editions / "cloud" / name / "manifest.yaml").read_text())
    assert {s["name"]: s["configuration"] for s in stand_in.objects("sources")} == {
        f"sandbox.{key}": source.config for key, source in pipeline.sources.items()}  # no custom code
    assert stand_in.objects("destination_definitions") == stand_in.objects("source_definitions") == []
    assert stand_in.objects("destinations") == stand_in.objects("connections") == []
    assert first.stdout.count("Airbyte Cloud runs no custom destination") == len(pipeline.pushes)
    assert "Deployed: 6 created" in first.stdout


def test_given_a_cloud_deploy_when_deployed_again_then_nothing_is_written(cloud):
    stand_in, state, first, second = cloud
    assert second.returncode == 0, second.stderr
    assert stand_in.write_calls() == []
    assert "nothing to change: all 6 match the file" in second.stdout
    assert secrets_in(first.stdout + first.stderr + second.stdout + files_text(state)) == []
