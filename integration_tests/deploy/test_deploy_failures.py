"""Each failure of `deploy` is one line naming its cause, against the Airbyte API stand-in: bad credentials, a
missing workspace and a name taken by another definition stop it before any write; a failure mid-deploy leaves
what was created recorded, and a rerun finishes the job without twins. A bad schedule stops it before any call."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from airbyte_pipeline.deploy_command import deploy
from airbyte_pipeline.pipeline_file import load_pipeline

from deploy_helpers import editions, secrets_in, write_example, write_target  # noqa: F401

EMULATOR = ("airbyte_api", {"flavour": "self-managed"})


def run_deploy(capsys, pipeline_file: Path, target: Path, state: Path, dry_run: bool = False):
    code = deploy(load_pipeline(pipeline_file, state_dir=state), target, dry_run=dry_run)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path, emulator, editions):  # noqa: F811
    """The example with Pluggy and its push only (a deploy discovers each pushed source: one is enough here)."""
    return write_example(tmp_path / "pipeline.yaml", ["pluggy"]), write_target(tmp_path / "target.yaml", emulator,
                                                                               editions), tmp_path / "state"


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_given_a_wrong_client_secret_when_deployed_then_one_line_names_the_credentials_and_nothing_is_written(
        capsys, monkeypatch, emulator, files):
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", "not-the-sandbox-client-secret")
    code, out, err = run_deploy(capsys, *files)
    line = one_line(err)
    assert code == 1
    assert "Airbyte refused the client id and secret (403" in line and "AIRBYTE_CLIENT_SECRET" in line
    assert "nothing was changed" in line
    assert emulator.write_calls() == []
    assert secrets_in(out + err) == [] and "not-the-sandbox-client-secret" not in out + err


def test_given_a_workspace_that_is_not_there_when_deployed_then_one_line_names_it_and_nothing_is_written(
        capsys, tmp_path, emulator, editions, files):  # noqa: F811
    missing = str(uuid.UUID(int=7, version=4))
    target = write_target(tmp_path / "elsewhere.yaml", emulator, editions, workspace_id=missing)
    code, _, err = run_deploy(capsys, files[0], target, files[2])
    line = one_line(err)
    assert code == 1
    assert f"workspace {missing} was not found" in line and "nothing was changed" in line
    assert emulator.write_calls() == []


def test_given_a_definition_name_taken_by_a_docker_definition_when_deployed_then_it_stops_before_any_write(
        capsys, emulator, files):
    taken = emulator.add_source_definition("source-pluggy", "acme/source-pluggy", "1.0.0")
    code, _, err = run_deploy(capsys, *files)
    line = one_line(err)
    assert code == 1
    assert f"the name 'source-pluggy' is taken by a Docker source definition ({taken})" in line
    assert "nothing was changed" in line
    assert emulator.write_calls() == []


def test_given_a_failure_mid_deploy_when_deployed_again_then_the_rerun_finishes_the_job_without_twins(
        capsys, emulator, files):
    emulator.faults.add(status=500, count=1, method="POST", path_prefix="/v1/connections",
                        body={"status": 500, "type": "about:blank", "title": "unexpected-problem",
                              "detail": "An unexpected problem has occurred."})
    code, _, err = run_deploy(capsys, *files)
    line = one_line(err)
    assert code == 1
    assert "stopped at create connection 'sandbox: pluggy.transactions -> Plecto 'Pluggy transactions''" in line
    assert "Airbyte answered 500 unexpected-problem" in line
    assert "4 change(s) made before it are recorded" in line and "run deploy again to finish the job" in line
    assert [len(emulator.objects(k)) for k in ("declarative", "sources", "destinations", "connections")] == [1, 1, 1, 0]

    emulator.reset_calls()
    code, out, err = run_deploy(capsys, *files)
    assert code == 0, err
    assert "Plan: 1 to create, 0 to update, 4 unchanged." in out
    assert [(c.method, c.path) for c in emulator.write_calls()] == [("POST", "/v1/connections")]
    assert [len(emulator.objects(k)) for k in ("declarative", "sources", "destinations", "connections")] == [1, 1, 1, 1]


def test_given_objects_created_but_not_recorded_when_deployed_again_then_they_are_adopted_by_name(
        capsys, emulator, files):
    code, _, err = run_deploy(capsys, *files)
    assert code == 0, err
    (files[2] / "airbyte-deploy.json").unlink()  # a deploy killed before it could record its ids, or a new machine
    emulator.reset_calls()
    code, out, err = run_deploy(capsys, *files)
    assert code == 0, err
    assert "0 to create" in out and "secret values sent again" in out
    assert {c.method for c in emulator.write_calls()} == {"PUT"}  # secrets re-sent once; no twin created
    assert [len(emulator.objects(k)) for k in ("declarative", "sources", "destinations", "connections")] == [1, 1, 1, 1]


@pytest.mark.parametrize("schedule, said", [
    ("0 6 * * *", "has 5 (Unix cron has 5: put the seconds first"),
    ("0 0 6 * * MON", "exactly one of day of month and day of week must be '?'"),
    ("0 0 25 * * ?", "hours '25': '25' is not a hours value (0-23)"),
])
def test_given_a_schedule_that_is_not_quartz_when_deployed_then_it_stops_before_any_call(
        capsys, emulator, files, schedule, said):
    pipeline_file = write_example(files[0].parent / "scheduled.yaml", ["pluggy"], schedule=schedule)
    code, _, err = run_deploy(capsys, pipeline_file, files[1], files[2])
    assert code == 2
    assert said in err and ":3: schedule:" in err  # the file's line
    assert emulator.calls() == []


def test_given_cloud_and_a_schedule_under_an_hour_when_deployed_then_it_stops_before_any_call(
        capsys, tmp_path, emulator, editions, files):  # noqa: F811
    target = write_target(tmp_path / "cloud.yaml", emulator, editions, kind="cloud")
    pipeline_file = write_example(tmp_path / "often.yaml", ["pluggy"], schedule="0 */10 * * * ?")
    code, _, err = run_deploy(capsys, pipeline_file, target, files[2])
    assert code == 2
    assert "Airbyte Cloud runs a connection at most once an hour" in err
    assert emulator.calls() == []


def test_given_a_missing_edition_when_deployed_then_one_line_names_the_file_before_any_call(
        capsys, tmp_path, emulator, files):
    target = write_target(tmp_path / "no-editions.yaml", emulator, tmp_path / "nowhere")
    code, _, err = run_deploy(capsys, files[0], target, files[2])
    line = one_line(err)
    assert code == 2
    assert str(tmp_path / "nowhere" / "manifest-only" / "source-pluggy" / "manifest.yaml") in line
    assert emulator.calls() == []


def test_given_a_secret_written_in_the_target_when_deployed_then_the_file_is_refused_with_its_line(
        capsys, tmp_path, emulator, editions, files):  # noqa: F811
    target = write_target(tmp_path / "literal.yaml", emulator, editions, client_secret="sandbox-airbyte-client-secret")
    code, out, err = run_deploy(capsys, files[0], target, files[2])
    assert code == 2
    assert "client_secret: give it as ${VARIABLE}" in err
    assert "sandbox-airbyte-client-secret" not in out + err
    assert emulator.calls() == []
