"""The README works as written, from the repository root once `make install` has run: every command of its fenced
blocks that needs no credentials is run here as it stands. The sandbox commands start, print their configs and stop
on Ctrl-C; the connector commands and the PyAirbyte snippet run against the first one. A README command this test
does not run must be in NOT_RUN with the reason, so a new command cannot go untested unnoticed."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from typing import Iterator

import pytest
from sandbox import EMULATORS

from conftest import REPO, wait_until_free

README = REPO / "README.md"
SANDBOX = ".venv/bin/python -m sandbox"
NOT_RUN = {
    "make demo": "the demo, run by hand: three minutes of PyAirbyte progress, and it covers what this test runs",
    "make test": "the command that runs this test",
    "make sync PIPELINE=pipeline/examples/sandbox.yaml": "a whole pipeline run: integration_tests/pipeline runs this "
                                                         "file, and `make demo` runs it twice",
    # integration_tests/deploy runs both against the Airbyte API stand-in, with editions it generates
    ".venv/bin/airbyte-pipeline deploy pipeline/examples/sandbox.yaml --to pipeline/examples/airbyte-self-managed.yaml "
    "--dry-run": "needs the editions folder (editions/manifest-only/<source>/), generated outside this test",
    ".venv/bin/airbyte-pipeline deploy pipeline/examples/sandbox.yaml --to pipeline/examples/airbyte-self-managed.yaml":
        "writes to the stand-in and records ids in the example's state folder",
}


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)


def shell_commands() -> list[str]:
    """Each command of the bash blocks: continuation lines joined, trailing comments dropped."""
    commands = []
    for block in fenced_blocks("bash"):
        for command in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#\s.*$", "", command).strip()
            if command:
                commands.append(" ".join(command.split()))
    return commands


SANDBOX_COMMANDS = [c for c in shell_commands() if c.startswith(SANDBOX)]
PIPELINE = ".venv/bin/airbyte-pipeline"
PIPELINE_COMMANDS = [c for c in shell_commands() if c.startswith(PIPELINE) and c not in NOT_RUN]
CONNECTOR_COMMANDS = [c for c in shell_commands()
                      if c.startswith(".venv/bin/") and not c.startswith(SANDBOX) and c not in PIPELINE_COMMANDS]


def as_a_user(environment: dict[str, str]) -> dict[str, str]:
    """The environment of a fresh shell: none of the settings the Makefile and the test runner export."""
    return {k: v for k, v in environment.items() if k not in ("AIRBYTE_OFFLINE_MODE", "DO_NOT_TRACK")}


class RunningSandbox:
    """A README sandbox command, started from the repo root; `configs` holds what it printed per emulator."""

    def __init__(self, command: str) -> None:
        arguments = shlex.split(command)
        only = arguments[arguments.index("--only") + 1].split(",") if "--only" in arguments else list(EMULATORS)
        for name in only:
            wait_until_free(EMULATORS[name][1])
        self.process = subprocess.Popen(arguments, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=as_a_user(dict(os.environ)))
        self.configs: dict[str, dict] = {}
        deadline = time.monotonic() + 120
        while set(self.configs) != set(only) and time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            printed = json.loads(line)
            self.configs[printed["emulator"]] = printed["config"]
        assert set(self.configs) == set(only), f"`{command}` printed {sorted(self.configs)}: {self.stop()[1][-2000:]}"

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as the README says; the exit code and what the sandbox wrote on stderr."""
        self.process.send_signal(signal.SIGINT)
        _, stderr = self.process.communicate(timeout=30)
        return self.process.returncode, stderr


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    """The README's first sandbox command, running while the connector commands and the snippet use it."""
    running = RunningSandbox(SANDBOX_COMMANDS[0])
    yield running
    running.stop()


def test_given_the_readme_then_every_command_is_run_here_or_excused_with_a_reason():
    assert SANDBOX_COMMANDS and CONNECTOR_COMMANDS and fenced_blocks("python")
    ran = SANDBOX_COMMANDS + CONNECTOR_COMMANDS + PIPELINE_COMMANDS
    unrun = [c for c in shell_commands() if c not in ran and c not in NOT_RUN]
    assert unrun == []


@pytest.mark.parametrize("command", SANDBOX_COMMANDS[1:])
def test_given_each_other_sandbox_command_when_run_then_it_prints_a_config_per_emulator_and_stops_on_ctrl_c(command):
    running = RunningSandbox(command)  # the first sandbox command runs as the `sandbox` fixture

    code, stderr = running.stop()

    assert code == 0, stderr[-2000:]
    assert all(config.get("base_url", "").startswith("http://127.0.0.1:") for config in running.configs.values())


def test_given_the_first_sandbox_command_then_its_configs_are_the_connectors_example_configs(sandbox):
    for vendor, printed in sandbox.configs.items():
        if vendor == "airbyte_api":  # Airbyte's API stand-in: a deploy target, not a connector's vendor
            continue
        [connector] = [p.parent.parent.name for p in REPO.glob(f"connectors/*-{vendor}/examples/config.json")]
        example = json.loads((REPO / "connectors" / connector / "examples" / "config.json").read_text())
        assert {k: v for k, v in printed.items() if k != "streams"}.items() <= example.items(), connector


@pytest.mark.parametrize("command", CONNECTOR_COMMANDS)
def test_given_the_sandbox_when_each_connector_command_runs_as_written_then_it_succeeds(sandbox, command):
    done = subprocess.run(command, shell=True, cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=as_a_user(dict(os.environ)))

    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stderr[-2000:]
    assert messages and not [m for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    assert all(m["connectionStatus"]["status"] == "SUCCEEDED" for m in messages if m["type"] == "CONNECTION_STATUS")
    # A CLI run prints only its protocol messages: nothing on stderr, no CDK start-up log line, `spec` its spec alone.
    assert done.stderr == "", done.stderr[-2000:]
    assert not [m for m in messages if m["type"] == "LOG" and m["log"]["message"].startswith("MemoryMonitor")]
    assert not command.endswith(" spec") or [m["type"] for m in messages] == ["SPEC"]


@pytest.mark.parametrize("command", PIPELINE_COMMANDS)
def test_given_the_sandbox_when_each_pipeline_command_runs_as_written_then_it_succeeds_and_runs_nothing(sandbox,
                                                                                                       command):
    state_file = REPO / "pipeline/examples/.cache/sandbox/pipeline-state.json"
    state_before = state_file.read_bytes() if state_file.exists() else None

    done = subprocess.run(command, shell=True, cwd=REPO, capture_output=True, text=True, timeout=120,
                          env=as_a_user(dict(os.environ)))

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == "" and done.stdout, done.stderr[-2000:]
    assert (state_file.read_bytes() if state_file.exists() else None) == state_before  # checked and shown, not run


def test_given_the_sandbox_when_the_pyairbyte_snippet_runs_twice_as_written_then_it_reads_then_reads_nothing_new(
        sandbox, tmp_path):
    [snippet] = fenced_blocks("python")
    for name in (".venv", "connectors"):  # the repo root as the snippet expects it, with its cache in tmp_path
        (tmp_path / name).symlink_to(REPO / name)

    counts = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, env=as_a_user(dict(os.environ)))
        assert done.returncode == 0, done.stderr[-3000:]
        counts.append(int(re.findall(r"^(\d+) records read$", done.stdout, re.MULTILINE)[-1]))

    assert counts[0] > 0 and counts[1] == 0
