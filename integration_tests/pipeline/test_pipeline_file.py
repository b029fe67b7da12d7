"""A pipeline file with a mistake is rejected before anything runs, each problem naming the file, the line and the
field: its shape (the JSON Schema), its ${VARIABLE}s, its references, each connector config against the
connector's own spec, and each source's streams against the streams its connector has. The shipped examples are
valid."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from airbyte_pipeline.connector_specs import check_connector_configs
from airbyte_pipeline.pipeline_file import load_pipeline
from airbyte_pipeline.problems import PipelineFileError

from sandbox_pipeline import EXAMPLES, airbyte_pipeline

VALID = """\
name: checked
sources:
  pluggy:
    connector: source-pluggy
    config:
      client_id: sandbox-pluggy-client
      client_secret: ${PLUGGY_SECRET}
      base_url: http://127.0.0.1:18701
    streams: [accounts, transactions]
plecto:
  config:
    username: someone@example.com
    password: ${PLECTO_SECRET}
  streams:
    - source: pluggy
      stream: transactions
      data_source: Transactions
      date_field: date
"""
ENV = {"PLUGGY_SECRET": "pluggy-secret-for-tests", "PLECTO_SECRET": "plecto-secret-for-tests"}


def write(tmp_path: Path, text: str, name: str = "pipeline.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(path: Path, env: dict = ENV) -> list[str]:
    with pytest.raises(PipelineFileError) as raised:
        load_pipeline(path, environ=env)
    return raised.value.describe().splitlines()[1:]


def spec_problems(path: Path, env: dict = ENV) -> tuple[list[str], list[str]]:
    found, warnings = check_connector_configs(load_pipeline(path, environ=env))
    return [p.describe(str(path)) for p in found], warnings


def test_given_the_shipped_examples_when_checked_then_they_are_valid():
    for name in ("sandbox.yaml", "sandbox-postgres.yaml"):
        pipeline = load_pipeline(EXAMPLES / name, environ={})
        assert check_connector_configs(pipeline) == ([], [])
        assert pipeline.pushes and pipeline.sources


def test_given_shape_mistakes_when_loaded_then_each_names_its_line_and_field(tmp_path):
    path = write(tmp_path, """\
        name: checked
        sources:
          Pluggy:
            connector: source-pluggy
            config: {client_id: x}
            streams: []
          protime:
            connector: source-protime
            streams: [clockings]
            stream_filter: none
        cache:
          type: postgres
          host: localhost
          port: [5432]
        """)
    assert problems(path) == [
        f"  {path}:3: sources.Pluggy: this key has the wrong form: use lower-case letters, digits and _, starting "
        "with a letter",
        f"  {path}:6: sources.Pluggy.streams: needs at least 1 entry",
        f"  {path}:7: sources.protime.config: missing (required)",
        f"  {path}:10: sources.protime.stream_filter: unknown field; the fields here are: config, connector, streams",
        f"  {path}:11: cache.database: missing (required)",
        f"  {path}:11: cache.password: missing (required)",
        f"  {path}:11: cache.username: missing (required)",
        f"  {path}:14: cache.port: must be a whole number or text",
    ]


def test_given_a_key_twice_or_broken_yaml_when_loaded_then_the_line_is_named(tmp_path):
    twice = write(tmp_path, VALID.replace("    streams: [accounts, transactions]\n",
                                          "    streams: [accounts, transactions]\n    streams: [accounts]\n"))
    assert problems(twice) == [f"  {twice}:10: sources.pluggy.streams: given twice (first on line 9); keep one"]
    broken = write(tmp_path, VALID.replace("date_field: date", "date_field: [date"), "broken.yaml")
    assert problems(broken)[0].startswith(f"  {broken}:19: not valid YAML:")


def test_given_an_unset_variable_when_loaded_then_its_line_is_named_and_env_file_fills_it(tmp_path):
    path = write(tmp_path, VALID)
    assert problems(path, env={"PLUGGY_SECRET": "x"}) == [
        f"  {path}:13: plecto.config.password: environment variable PLECTO_SECRET is not set (nor in env_file)"]

    (tmp_path / "secrets.env").write_text("# test\nexport PLECTO_SECRET='from-the-env-file'\nPLUGGY_SECRET=from-file\n")
    with_file = write(tmp_path, "env_file: secrets.env\n" + VALID, "with-env-file.yaml")
    pipeline = load_pipeline(with_file, environ={"PLUGGY_SECRET": "from-the-environment"})
    assert pipeline.plecto_config["password"] == "from-the-env-file"
    assert pipeline.sources["pluggy"].config["client_secret"] == "from-the-environment"  # the environment wins
    assert pipeline.redactor.clean("pw from-the-env-file") == "pw ****"


def test_given_wrong_references_when_loaded_then_each_names_its_line(tmp_path):
    path = write(tmp_path, VALID.replace("    streams: [accounts, transactions]", "    streams: [accounts]")
                 + "    - source: ghost\n      stream: x\n      data_source: Y\n"
                 + "  connector: destination-nowhere\n")
    assert problems(path) == [
        f"  {path}:16: plecto.streams[0].stream: source 'pluggy' does not read 'transactions': add it to "
        "sources.pluggy.streams",
        f"  {path}:19: plecto.streams[1].source: no source 'ghost' under sources (there: pluggy)",
        f"  {path}:22: plecto.connector: connector 'destination-nowhere' is not installed (looked beside "
        f"{Path(sys.executable)} or on PATH); run `make install`",
    ]


def test_given_configs_the_connectors_do_not_accept_when_checked_then_each_names_its_line(tmp_path):
    path = write(tmp_path, VALID.replace("      base_url: http://127.0.0.1:18701\n",
                                         "      base_url: ftp://127.0.0.1\n      timeout: 10\n")
                 .replace("    password: ${PLECTO_SECRET}\n", "    password: ${PLECTO_SECRET}\n    batch_size: 500\n")
                 .replace("      date_field: date\n", "      date_feild: date\n"))
    found, warnings = spec_problems(path)
    assert found == [
        f"{path}:8: sources.pluggy.config.base_url: does not have the expected form: https://host (plain http only "
        "for localhost, 127.x.x.x or [::1])",
        f"{path}:9: sources.pluggy.config.timeout: not a field of source-pluggy's config; its fields: base_url, "
        "client_id, client_secret, item_ids, lookback_minutes, max_response_mb, max_retries, num_workers, "
        "read_timeout_seconds, request_deadline_seconds, requests_per_minute, retry_backoff_seconds, start_date",
        f"{path}:15: plecto.config.batch_size: must be at most 100",
        f"{path}:20: plecto.streams[0].date_feild: not a field of destination-plecto's config; its fields: "
        "data_source, date_field, external_id, fields, member, member_api_id_field, member_name_field, stream",
    ]
    assert warnings == []


def test_given_a_secret_written_in_the_file_when_checked_then_a_warning_names_its_line(tmp_path):
    path = write(tmp_path, VALID.replace("${PLUGGY_SECRET}", "written-in-the-file"))
    pipeline = load_pipeline(path, environ=ENV)
    assert check_connector_configs(pipeline) == ([], [
        f"{path}:7: sources.pluggy.config.client_secret is a secret written in the file: give it as ${{VARIABLE}} "
        "(from the environment or env_file) instead"])
    assert pipeline.redactor.clean("written-in-the-file") == "****"


def test_given_a_mistake_when_the_command_runs_then_exit_2_with_the_lines_and_nothing_ran(tmp_path):
    path = write(tmp_path, VALID.replace("date_field: date", "date_field: date\n      fields: {}"))
    done = airbyte_pipeline("run", str(path), env={**os.environ, **ENV})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"{path}: 1 problem, nothing was run:",
                                        f"  {path}:19: plecto.streams[0].fields: must be a list"]
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / ".cache").exists()  # no state folder, no cache


@pytest.mark.timeout(120)  # a bound on a hang (the expansion ran for minutes, gigabytes deep), not a timing assertion
def test_given_nested_yaml_aliases_when_the_command_runs_then_exit_2_naming_the_lines_before_any_expansion(tmp_path):
    laughs = ["name: laughs", 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level, previous in zip("bcdefghi", "abcdefgh"):
        laughs.append(f"{level}: &{level} [{', '.join([f'*{previous}'] * 9)}]")
    path = write(tmp_path, "\n".join([*laughs, "sources: *i", ""]))
    assert path.stat().st_size < 600
    done = airbyte_pipeline("run", str(path), env={**os.environ, **ENV})
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0] == f"{path}: 10 problems, nothing was run:"  # lines 2 to 11
    assert lines[1] == f"  {path}:2: YAML anchor &a is not allowed in a pipeline file (no aliases either): write each value out"
    assert lines[-1] == f"  {path}:11: YAML alias *i is not allowed in a pipeline file: write the value out"


def test_given_a_misspelt_stream_when_run_or_dry_run_then_exit_2_naming_its_line_and_nothing_ran(tmp_path):
    path = write(tmp_path, VALID.replace("streams: [accounts, transactions]", "streams: [accounts, transactions, acounts]"))
    expected = [f"{path}: 1 problem, nothing was run:",
                f"  {path}:9: sources.pluggy.streams[2]: source-pluggy has no stream 'acounts' (did you mean "
                "'accounts'?); its streams: accounts, bills, categories, connectors, identity, investment_transactions, "
                "investments, items, loans, transactions"]
    for command in (["run", str(path), "--dry-run"], ["run", str(path)]):
        done = airbyte_pipeline(*command, env={**os.environ, **ENV})
        assert (done.returncode, done.stderr.splitlines()) == (2, expected), done.stderr
        assert not (tmp_path / ".cache").exists()  # no state folder, no cache, no call
