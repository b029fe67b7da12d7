"""Fixtures shared by every sandbox test: start an emulator on a free loopback port for one test module."""

from __future__ import annotations

import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from connector_kit.testing.cli import cli
from sandbox import emulator_class

REPO = Path(__file__).resolve().parent.parent
# The connectors are the directories with a metadata.yaml (as in the Makefile); the sources are those named source-*.
CONNECTORS = sorted(p.parent.name for p in REPO.glob("connectors/*/metadata.yaml"))
SOURCES = [name for name in CONNECTORS if name.startswith("source-")]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make sandbox-tests` runs on both cores (pytest-xdist, `--dist loadgroup`): a file's tests stay together on
    one worker, so its module fixtures run once; a file whose fixtures are all per test says
    `EACH_TEST_ON_ANY_WORKER = True`, and its tests spread over both. Every emulator a test starts takes a free
    port, so files (and two test runs on one machine) never compete for one."""
    here = Path(__file__).parent
    for item in items:
        if getattr(item.module, "EACH_TEST_ON_ANY_WORKER", False):
            continue  # no module fixture to share: its tests spread over both workers (no group: xdist balances them)
        item.add_marker(pytest.mark.xdist_group(item.path.relative_to(here).as_posix()))


def connector_dir(connector: str) -> Path:
    return REPO / "connectors" / connector


def _printed(connector: str, *args: str) -> list[dict[str, Any]]:
    done = subprocess.run([cli(connector), *args], capture_output=True, text=True, timeout=120, check=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@lru_cache(maxsize=None)
def printed_spec(connector: str) -> dict[str, Any]:
    """The spec as `<connector> spec` prints it (the kit's shared settings included); run once per session."""
    [message] = _printed(connector, "spec")
    return message["spec"]


@lru_cache(maxsize=None)
def printed_catalog(connector: str, config_path: Path) -> dict[str, dict[str, Any]]:
    """The streams `<source> discover --config <config_path>` prints, by name; run once per session and config."""
    [message] = [m for m in _printed(connector, "discover", "--config", str(config_path)) if m["type"] == "CATALOG"]
    return {stream["name"]: stream for stream in message["catalog"]["streams"]}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-expected-records", action="store_true",
                     help="write acceptance-test-config/<source>/expected_records/ from the sandbox (make expected-records)")


@pytest.fixture(scope="module")
def start_emulator() -> Iterator[Callable[..., object]]:
    """Factory: `start_emulator("pluggy", size="small", seed=42)` returns a started emulator, stopped after the module."""
    started = []

    def start(name: str, **kwargs: object) -> object:
        emulator = emulator_class(name)(**kwargs).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture(scope="module")
def emulator(request: pytest.FixtureRequest, start_emulator: Callable[..., object]) -> object:
    """The emulator a test module declares, e.g. `EMULATOR = ("plecto", {})`, started once for the module."""
    name, kwargs = request.module.EMULATOR
    return start_emulator(name, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_declared_emulator(request: pytest.FixtureRequest) -> None:
    """Each test of a module that declares EMULATOR starts from the seeded data, no faults, no call log."""
    if hasattr(request.module, "EMULATOR"):
        request.getfixturevalue("no_proxy")
        request.getfixturevalue("emulator").reset()


def bypass_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls to the loopback sandbox never go through a proxy the environment names."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    bypass_proxies(monkeypatch)


os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
