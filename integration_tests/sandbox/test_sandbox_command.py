"""`python -m sandbox` on a shared machine: ports chosen once, and config files written for them.

Two sandboxes started at once both run, on ports of their own, each with config files that reach it. The files it
writes for the fixed ports are the repository's example files byte for byte, and every loopback URL on a port of the
sandbox's range that an example names is an emulator's fixed URL (so moving the examples to other ports misses none). A folder another sandbox holds, or
a taken port asked for with --port-offset, is refused in one line.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from connector_kit.testing.cli import cli
from sandbox import EMULATORS
from sandbox.config_folder import ConfigFolder, templates
from sandbox.ports import fixed_url

from conftest import REPO, bypass_proxies

SANDBOX = [sys.executable, "-m", "sandbox"]


class Sandbox:
    """A `python -m sandbox` process in `cwd`, once it has printed its folder line and one line per emulator."""

    def __init__(self, cwd: Path, *arguments: str) -> None:
        self.process = subprocess.Popen([*SANDBOX, *arguments], cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.cwd = cwd
        self.lines: list[str] = []
        self.printed: dict[str, dict] = {}

    def ready(self, emulators: int = len(EMULATORS)) -> "Sandbox":
        while len(self.printed) < emulators:
            line = self.process.stdout.readline()
            assert line, f"the sandbox stopped: {self.process.stderr.read()[-2000:]}"
            self.lines.append(line.rstrip("\n"))
            if line.startswith("{"):
                printed = json.loads(line)
                self.printed[printed["emulator"]] = printed
        return self

    def calls(self, name: str) -> list[dict]:
        with urllib.request.urlopen(f"{self.printed[name]['url']}/__sandbox/calls", timeout=10) as answer:
            return json.load(answer)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self.process.communicate(timeout=30)
        return self.process.returncode


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    bypass_proxies(monkeypatch)


def test_given_two_sandboxes_started_at_once_then_each_runs_on_ports_of_its_own_with_files_that_reach_it(tmp_path):
    first, second = Sandbox(tmp_path, "--config-dir", "first"), Sandbox(tmp_path, "--config-dir", "second")
    try:
        first.ready(), second.ready()
        ports = [int(p["url"].rsplit(":", 1)[1]) for sandbox in (first, second) for p in sandbox.printed.values()]
        assert len(set(ports)) == 2 * len(EMULATORS)
        for sandbox, folder in ((first, "first"), (second, "second")):
            assert sandbox.lines[0].startswith(f"sandbox: config files for these ports in {folder}/")
            done = subprocess.run([cli("source-pluggy"), "check", "--config", f"{folder}/source-pluggy.json"],
                                  cwd=tmp_path, capture_output=True, text=True, timeout=120)
            assert '"status":"SUCCEEDED"' in done.stdout, done.stdout[-2000:]
        # Each check went to its own sandbox: the same calls in each.
        assert len(first.calls("pluggy")) == len(second.calls("pluggy")) > 0
    finally:
        assert (first.stop(), second.stop()) == (0, 0)


def test_given_a_folder_another_sandbox_holds_when_a_second_one_starts_there_then_it_refuses_in_one_line(tmp_path):
    holder = Sandbox(tmp_path, "--only", "plecto", "--free-ports", "--config-dir", "shared").ready(1)
    try:
        done = subprocess.run([*SANDBOX, "--only", "plecto", "--free-ports", "--config-dir", "shared"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    finally:
        holder.stop()
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"sandbox: another sandbox (pid {holder.process.pid}) runs with its configs in shared: use "
                           "those, stop it, or give this one its own folder with --config-dir.\n")


def test_given_a_taken_port_when_asked_for_by_offset_then_the_sandbox_refuses_in_one_line(tmp_path):
    holder = Sandbox(tmp_path, "--only", "plecto", "--free-ports", "--config-dir", "holder").ready(1)
    taken = int(holder.printed["plecto"]["url"].rsplit(":", 1)[1])
    try:
        done = subprocess.run([*SANDBOX, "--only", "plecto", "--port-offset", str(taken - EMULATORS["plecto"][1]),
                               "--config-dir", "mine"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    finally:
        holder.stop()
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"sandbox: port {taken} (plecto) is already in use: stop what listens there, "
                                        "or start the sandbox with another --port-offset, or with --free-ports."]


def test_given_the_fixed_ports_when_the_sandbox_writes_its_files_then_they_are_the_repository_examples(tmp_path):
    folder = ConfigFolder(tmp_path / "fixed").claim()
    configs = folder.write({name: fixed_url(name) for name in EMULATORS})
    folder.release()

    for template in templates():
        written = tmp_path / "fixed" / template.name
        assert written.read_bytes() == template.source.read_bytes(), template.name
        assert written.stat().st_mode & 0o777 == 0o600, template.name  # they hold credentials: the owner's alone
    for name, (_file, config) in configs.items():  # what the sandbox prints per emulator
        [example] = REPO.glob(f"connectors/*-{name}/examples/config.json")
        assert config == json.loads(example.read_text()), name


def test_given_every_example_file_then_each_sandbox_like_url_it_names_is_a_sandbox_fixed_url():
    fixed = {fixed_url(name) for name in EMULATORS}
    for template in templates():  # a loopback URL on a port of the sandbox's range, e.g. a mistyped 18709
        urls = set(re.findall(r"https?://(?:127\.0\.0\.1|localhost):187\d\d\b", template.source.read_text()))
        assert urls <= fixed, f"{template.source.relative_to(REPO)} names {sorted(urls - fixed)}"
    assert {t.connector for t in templates() if t.connector} == {p.parent.parent.name for p in
                                                                 REPO.glob("connectors/*/examples/config.json")}
