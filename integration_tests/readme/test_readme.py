"""The README works as written, from the repository root once `make install` has run: every command of its fenced
blocks that needs no credentials is run here as it stands. A README command this test does not run must be in NOT_RUN
with the reason, so a new command cannot go untested unnoticed.

As a newcomer meets it on a shared machine: another process already runs a sandbox on the fixed ports (or, where
those are taken too, on free ones), so the README's own sandbox goes the free-port way, and the commands still work
through the config files it writes; the other sandbox gets no call. The commands run in a folder of their own that
stands for the repository root (the repository's folders linked into it), so their `.cache/` is this test's.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from sandbox import EMULATORS
from sandbox.ports import fixed_url, relocate

from conftest import REPO

README = REPO / "README.md"
SANDBOX = ".venv/bin/python -m sandbox"
STANDARD_TESTS = ".venv/bin/airbyte-cdk connector test"
NOT_RUN = {
    "make demo": "the demo, run by hand: three minutes of PyAirbyte progress, and it covers what this test runs",
    "make test": "the command that runs this test",
    "make sync PIPELINE=.cache/sandbox/sandbox.yaml": "a whole pipeline run: integration_tests/pipeline runs the "
                                                      "example files, and `make demo` runs this one twice",
}
# What a repository root holds for the commands: the venv, and the folders they name.
ROOT_LINKS = (".venv", "connectors", "pipeline", "acceptance-test-config", "schemas", "pytest.ini")


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
PIPELINE_COMMANDS = [c for c in shell_commands() if c.startswith(PIPELINE)]
STANDARD_TEST_COMMANDS = [c for c in shell_commands() if c.startswith(STANDARD_TESTS)]
CONNECTOR_COMMANDS = [c for c in shell_commands() if c.startswith(".venv/bin/")
                      and c not in SANDBOX_COMMANDS + PIPELINE_COMMANDS + STANDARD_TEST_COMMANDS]


def as_a_user(environment: dict[str, str]) -> dict[str, str]:
    """The environment of a fresh shell: none of the settings the Makefile and the test runner export."""
    return {k: v for k, v in environment.items() if k not in ("AIRBYTE_OFFLINE_MODE", "DO_NOT_TRACK")}


def repository_root(folder: Path) -> Path:
    """`folder` set up as the commands expect the repository root, with a `.cache/` of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ROOT_LINKS:
        (folder / name).symlink_to(REPO / name)
    return folder


class RunningSandbox:
    """A sandbox command, started in `cwd`; what it printed: its folder line, its notes, and per emulator its URL,
    config file and config."""

    def __init__(self, command: str, cwd: Path) -> None:
        arguments = shlex.split(command)
        only = arguments[arguments.index("--only") + 1].split(",") if "--only" in arguments else list(EMULATORS)
        self.process = subprocess.Popen(arguments, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=as_a_user(dict(os.environ)))
        self.cwd = cwd
        self.notes: list[str] = []
        self.printed: dict[str, dict] = {}
        deadline = time.monotonic() + 120
        while set(self.printed) != set(only) and time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith("{"):
                printed = json.loads(line)
                self.printed[printed["emulator"]] = printed
            else:
                self.notes.append(line.strip())
        assert set(self.printed) == set(only), f"`{command}` printed {sorted(self.printed)}: {self.stop()[1][-2000:]}"

    @property
    def urls(self) -> dict[str, str]:
        return {name: printed["url"] for name, printed in self.printed.items()}

    def calls(self, name: str) -> list[dict]:
        with urllib.request.urlopen(f"{self.urls[name]}/__sandbox/calls", timeout=10) as answer:
            return json.load(answer)

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as the README says; the exit code and what the sandbox wrote on stderr."""
        self.process.send_signal(signal.SIGINT)
        _, stderr = self.process.communicate(timeout=30)
        return self.process.returncode, stderr


@pytest.fixture(scope="module")
def other_sandbox(tmp_path_factory) -> Iterator[RunningSandbox]:
    """A sandbox someone else started before the newcomer's: on the fixed ports, unless those were taken already."""
    running = RunningSandbox(f"{sys.executable} -m sandbox --config-dir other", tmp_path_factory.mktemp("other"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return repository_root(tmp_path_factory.mktemp("readme") / "repo")


@pytest.fixture(scope="module")
def sandbox(other_sandbox, root) -> Iterator[RunningSandbox]:
    """The README's first sandbox command, running while the connector commands and the snippet use it."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        running = RunningSandbox(SANDBOX_COMMANDS[0], root)
        yield running
    running.stop()


def run_as_written(command: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=as_a_user(dict(os.environ)))


def test_given_the_readme_then_every_command_is_run_here_or_excused_with_a_reason():
    assert SANDBOX_COMMANDS and CONNECTOR_COMMANDS and PIPELINE_COMMANDS and STANDARD_TEST_COMMANDS
    assert fenced_blocks("python")
    ran = SANDBOX_COMMANDS + CONNECTOR_COMMANDS + PIPELINE_COMMANDS + STANDARD_TEST_COMMANDS
    unrun = [c for c in shell_commands() if c not in ran and c not in NOT_RUN]
    assert unrun == []


def test_given_another_sandbox_on_the_fixed_ports_when_the_readme_sandbox_starts_then_it_takes_free_ports_and_says_so(
        sandbox):
    fixed = {EMULATORS[name][1] for name in EMULATORS}
    assert not {int(url.rsplit(":", 1)[1]) for url in sandbox.urls.values()} & fixed
    assert sandbox.notes[0].startswith("sandbox: config files for these ports in .cache/sandbox/")
    assert any("every emulator took a free port" in note for note in sandbox.notes[1:]), sandbox.notes


@pytest.mark.parametrize("command", SANDBOX_COMMANDS[1:])
def test_given_each_other_sandbox_command_when_run_then_it_writes_a_config_per_emulator_and_stops_on_ctrl_c(
        command, tmp_path):
    running = RunningSandbox(command, repository_root(tmp_path / "repo"))

    code, stderr = running.stop()

    assert code == 0, stderr[-2000:]
    for printed in running.printed.values():
        assert printed["config"]["base_url"].startswith("http://127.0.0.1:")
        assert json.loads((tmp_path / "repo" / printed["config_file"]).read_text()) == printed["config"]


def test_given_the_first_sandbox_command_then_its_configs_are_the_example_configs_at_its_ports(sandbox, root):
    for vendor, printed in sandbox.printed.items():
        examples = list(REPO.glob(f"connectors/*-{vendor}/examples/config.json"))
        if not examples:  # Airbyte's API stand-in serves no connector: the deploy target file names it
            assert vendor == "airbyte_api" and printed["config_file"] is None
            continue
        [example] = examples
        written = json.loads((root / printed["config_file"]).read_text())
        assert printed["config"] == written == relocate(json.loads(example.read_text()), sandbox.urls)
        assert fixed_url(vendor) not in json.dumps(written)


@pytest.mark.parametrize("command", CONNECTOR_COMMANDS)
def test_given_the_sandbox_when_each_connector_command_runs_as_written_then_it_succeeds_quietly(sandbox, root,
                                                                                                 command):
    done = run_as_written(command, root)

    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stderr[-2000:]
    assert messages and not [m for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    assert all(m["connectionStatus"]["status"] == "SUCCEEDED" for m in messages if m["type"] == "CONNECTION_STATUS")
    # A CLI run prints only its protocol messages: nothing on stderr, no CDK start-up log line, `spec` its spec alone,
    # and no warning (the pipe's Plecto config maps the fields its data sources have).
    assert done.stderr == "", done.stderr[-2000:]
    logs = [m["log"] for m in messages if m["type"] == "LOG"]
    assert not [log for log in logs if log["message"].startswith("MemoryMonitor")]
    assert [log["message"] for log in logs if log["level"] in ("WARN", "ERROR", "FATAL")] == []
    assert not command.endswith(" spec") or [m["type"] for m in messages] == ["SPEC"]


@pytest.mark.parametrize("command", PIPELINE_COMMANDS)
def test_given_the_sandbox_when_each_pipeline_command_runs_as_written_then_it_succeeds_and_runs_nothing(sandbox, root,
                                                                                                       command):
    state_file = root / ".cache/sandbox/.cache/sandbox/pipeline-state.json"
    state_before = state_file.read_bytes() if state_file.exists() else None

    done = run_as_written(command, root, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == "" and done.stdout, done.stderr[-2000:]
    assert (state_file.read_bytes() if state_file.exists() else None) == state_before  # checked and shown, not run


@pytest.mark.parametrize("command", STANDARD_TEST_COMMANDS)
def test_given_each_standard_test_command_when_run_as_written_then_it_passes_and_says_why_no_image_test_runs(
        other_sandbox, command):  # the other sandbox on the fixed ports the configs name: it must get no call
    # From the real repository root: the CDK writes its test file and results into the connector's folder.
    done = run_as_written(command, REPO, timeout=600)

    assert done.returncode == 0, done.stdout[-3000:]
    summary = done.stdout.splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"failed|error", summary), done.stdout[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert "Docker image test(s) deselected: the CDK would build the image" in done.stdout


def test_given_the_sandbox_when_the_pyairbyte_snippet_runs_twice_as_written_then_it_reads_then_reads_nothing_new(
        sandbox, root, tmp_path):
    [snippet] = fenced_blocks("python")
    folder = repository_root(tmp_path / "repo")  # a cache of its own (.cache/pluggy), the sandbox's config files
    (folder / ".cache").mkdir()
    (folder / ".cache" / "sandbox").symlink_to(root / ".cache" / "sandbox")

    counts = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", snippet], cwd=folder, capture_output=True, text=True,
                              timeout=300, env=as_a_user(dict(os.environ)))
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Warning" not in done.stderr, done.stderr[-3000:]
        counts.append(int(re.findall(r"^(\d+) records read$", done.stdout, re.MULTILINE)[-1]))

    assert counts[0] > 0 and counts[1] == 0


def test_given_the_readme_commands_have_run_then_the_other_sandbox_got_no_call(other_sandbox, sandbox):
    # Last in the module: every command above used the README sandbox's files.
    assert {name: other_sandbox.calls(name) for name in other_sandbox.urls} == {name: [] for name in other_sandbox.urls}
