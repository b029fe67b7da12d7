"""Pytest plugin: run a sandbox suite written for the packages against another edition of the sources.

    SOURCE_EDITION=manifest-only PYTHONPATH=integration_tests \
        .venv/bin/python -m pytest -p edition_switch integration_tests/pluggy integration_tests/plutio ...

Every `connector_kit.testing.cli.cli("source-<name>")` (what `run_connector` and the tests call) then names a shim
that runs the edition (source_runner.py); destinations and other commands are left alone. A measurement tool: the
suite's package-only assertions (the kit's entry point) fail on the manifest-only edition by design. The fault matrix
rewrites integration_tests/RELIABILITY.md as it runs: restore it afterwards (`git checkout`), it describes the package.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from connector_kit.testing import cli as cli_module
from source_runner import EDITIONS, shim


def _switch() -> None:
    """Patched on import: `-p` plugins load before the conftest files and test modules that import `cli`."""
    edition = os.environ.get("SOURCE_EDITION", "package")
    if edition not in EDITIONS:
        raise pytest.UsageError(f"SOURCE_EDITION={edition!r}: one of {', '.join(EDITIONS)}")
    if edition == "package":
        return
    folder = Path(tempfile.mkdtemp(prefix="edition-shims-"))
    original = cli_module.cli

    def edition_cli(name: str) -> str:
        return shim(edition, name, folder) if name.startswith("source-") else original(name)

    cli_module.cli = edition_cli


_switch()
