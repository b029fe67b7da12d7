"""The runtime ships only the runtime. The kit's modules import with nothing installed but its declared
dependencies (and theirs); `connector_kit.testing` with those and the kit's `testing` extra, which holds every test
tool it needs. The images install the kit without extras, from a lock that holds no pytest
(integration_tests/repo/test_supply_chain.py), so a test tool that crept into the runtime fails here first."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Iterable

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

KIT = "airbyte-connector-kit"
PACKAGE = Path(__file__).resolve().parent.parent / "connector_kit"
RUNTIME = sorted(f"connector_kit.{path.stem}" for path in PACKAGE.glob("*.py"))
TESTING = sorted(f"connector_kit.testing.{path.stem}" for path in (PACKAGE / "testing").glob("*.py")
                 if path.stem != "__init__")


def closure(requirements: Iterable[str]) -> set[str]:
    """The distributions these requirements install, with every dependency (the extras each asks for included)."""
    found: set[str] = set()
    seen: set[tuple[str, str]] = set()
    todo = [Requirement(text) for text in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        for extra in ("", *sorted(requirement.extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            found.add(name)
            for text in metadata.requires(name) or []:
                needed = Requirement(text)
                if needed.marker is None or needed.marker.evaluate({"extra": extra}):
                    todo.append(needed)
    return found


def kit_requirements(extra: str = "") -> list[str]:
    return [text for text in metadata.requires(KIT) or []
            if Requirement(text).marker is None or Requirement(text).marker.evaluate({"extra": extra})]


def imports_with_only(allowed: set[str], modules: list[str]) -> subprocess.CompletedProcess:
    """Import `modules` in a fresh interpreter where every installed distribution but `allowed` (and the kit) is
    hidden, as if not installed: an optional import that a module guards still falls back, a needed one fails."""
    owners = metadata.packages_distributions()
    visible = allowed | {KIT}
    hidden = sorted(top for top, dists in owners.items()
                    if top not in sys.stdlib_module_names and not {canonicalize_name(d) for d in dists} & visible)
    program = f"""
import importlib.abc, sys
HIDDEN = set({hidden!r})
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not a dependency)", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
for name in {modules!r}:
    __import__(name)
"""
    return subprocess.run([sys.executable, "-W", "ignore", "-c", program], capture_output=True, text=True,
                          timeout=300)


def test_given_only_the_kits_dependencies_installed_then_every_runtime_module_imports():
    assert "connector_kit.entrypoint" in RUNTIME
    done = imports_with_only(closure(kit_requirements()), RUNTIME)
    assert done.returncode == 0, done.stderr[-1500:]


def test_given_only_the_dependencies_and_the_testing_extra_then_connector_kit_testing_imports():
    assert "connector_kit.testing.pytest_plugin" in TESTING
    done = imports_with_only(closure(kit_requirements("testing")), TESTING)
    assert done.returncode == 0, done.stderr[-1500:]


def test_given_the_testing_extra_left_out_then_connector_kit_testing_does_not_import():
    """The check above can fail: without the extra, the pytest fixtures cannot load."""
    done = imports_with_only(closure(kit_requirements()), ["connector_kit.testing.pytest_plugin"])
    assert done.returncode != 0 and "No module named 'pytest' (not a dependency)" in done.stderr


def test_given_the_kits_runtime_dependencies_then_no_test_tool_is_among_them():
    runtime = closure(kit_requirements())
    assert {"pytest", "requests-mock"} & runtime == set()
    assert {"pytest", "requests-mock"} <= {canonicalize_name(Requirement(text).name)
                                          for text in kit_requirements("testing")}


@pytest.mark.parametrize("text", kit_requirements("testing"))
def test_given_the_testing_extra_then_each_pin_is_the_version_make_install_installed(text):
    requirement = Requirement(text)
    assert metadata.version(requirement.name) in requirement.specifier
