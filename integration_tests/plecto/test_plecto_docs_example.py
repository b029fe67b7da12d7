"""The worked example of docs.md ("Setting up Plecto data sources") runs as written against the sandbox.

Its files and commands are taken from the page: each fenced block named by the `file` mentioned just before it,
the `bash` block's commands run one by one in a shell, and every line of its `text` block must be among the
messages they print. The only change: the sandbox's fixed port (the page's, for `make sandbox`) becomes this
test's free port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from connector_kit.testing.cli import Run
from plecto_sandbox_helpers import registrations_by_external_id
from sandbox import EMULATORS

from conftest import REPO

EMULATOR = ("plecto", {})
DOCS = REPO / "connectors" / "destination-plecto" / "docs.md"
SECTION, EXAMPLE = "## Setting up Plecto data sources", "### A worked example"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
FILE_NAME = re.compile(r"`([\w.-]+\.jsonl?)`")
TITLE = "Deals (Airbyte)"


def worked_example() -> tuple[dict[str, str], list[str], list[str]]:
    """(file name -> content, shell commands, expected message lines) of the page's worked example."""
    page = DOCS.read_text(encoding="utf-8")
    section = page[page.index(SECTION):]
    section = section[:section.index("\n## ")] if "\n## " in section else section
    example = section[section.index(EXAMPLE):]
    files: dict[str, str] = {}
    commands: list[str] = []
    expected: list[str] = []
    previous_end = 0
    for block in FENCE.finditer(example):
        language, body = block.group(1), block.group(2)
        named = FILE_NAME.findall(example[previous_end:block.start()])
        previous_end = block.end()
        if language == "bash":
            commands += [line for line in body.splitlines() if line.strip()]
        elif language == "text":
            expected += [line for line in body.splitlines() if line.strip()]
        else:
            assert named, f"the {language} block at {block.start()} of the worked example names no file"
            files[named[-1]] = body
    return files, commands, expected


def test_given_docs_worked_example_when_run_as_written_against_the_sandbox_then_it_does_what_the_page_says(
        emulator, tmp_path):
    files, commands, expected = worked_example()
    assert set(files) == {"config.json", "catalog.json", "messages.jsonl"} and len(commands) == 3 and expected
    sandbox_url = f"http://127.0.0.1:{EMULATORS['plecto'][1]}"
    assert sandbox_url in files["config.json"]  # the page points at `make sandbox`'s Plecto
    for name, content in files.items():
        (tmp_path / name).write_text(content.replace(sandbox_url, emulator.url) + "\n", encoding="utf-8")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")

    runs = []
    for command in commands:
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        runs.append(Run(done.stdout, done.returncode, done.stderr))
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"

    [created] = emulator.data_sources_titled(TITLE)  # created once, over both writes
    uuid = created["uuid"]
    printed = {message for run in runs for message in run.logs()}
    for line in expected:
        assert line.replace("<uuid>", uuid) in printed, line
    check, first, second = runs
    assert check.connection_status()["status"] == "SUCCEEDED"
    assert [f["name"] for f in created["fields"]] == ["amount", "won", "stage", "products", "owner_id", "owner_name"]
    assert len(emulator.calls("/api/v2/datasources", method="POST")) == 1
    stored = registrations_by_external_id(emulator, uuid)
    assert set(stored) == {"d-1"}  # d-2 skipped: text in the decimal field `amount`
    assert stored["d-1"]["won"] is True and stored["d-1"]["products"] == '["Pro"]'
    assert stored["d-1"]["member"]["name"] == "Ana Souza"
    assert [len(run.final_states()) for run in (first, second)] == [1, 1]

