"""The runner of each edition of a source, for the sandbox tests: the package's CLI or an edition folder.

- `package`: the installed console script (`source-pluggy ...`), the kit's entry point;
- `manifest-only`: `python -m connector_editions.run editions/manifest-only/<source> ...`, the folder run as Airbyte's
  source-declarative-manifest image runs it (connector_editions/run.py);
- `cloud`: `python -m connector_editions.run --cloud editions/cloud/<source> ...`, the manifest run as Airbyte Cloud
  runs a Builder connector (source-declarative-manifest, the manifest in the config, custom code not permitted).

`run_source(edition, ...)` runs either and parses what it printed (connector_kit.testing.cli.Run). The same switch
serves a whole sandbox suite: with SOURCE_EDITION=manifest-only (or cloud), `pytest -p edition_switch` (PYTHONPATH including
integration_tests/) makes every `cli("source-...")` of the tests name a shim that runs the edition instead, to
measure what the edition passes of the package's suite (editions/CERTIFICATION.md has the figures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

from connector_kit.testing.cli import Run, cli, write_json

REPO = Path(__file__).resolve().parent.parent
EDITIONS = ("package", "manifest-only", "cloud")


def edition_folder(connector: str, edition: str = "manifest-only") -> Path:
    return REPO / "editions" / edition / connector


def command(edition: str, connector: str) -> list[str]:
    if edition == "package":
        return [cli(connector)]
    if edition == "manifest-only":
        return [sys.executable, "-m", "connector_editions.run", str(edition_folder(connector))]
    if edition == "cloud":
        return [sys.executable, "-m", "connector_editions.run", "--cloud", str(edition_folder(connector, edition))]
    raise ValueError(f"no edition {edition!r}; editions: {', '.join(EDITIONS)}")


def run_source(edition: str, tmp: Path, connector: str, verb: str, config: Optional[dict] = None,
               catalog: Optional[dict] = None, state: Optional[list] = None, timeout: float = 180) -> Run:
    args = [*command(edition, connector), verb]
    if config is not None:
        args += ["--config", write_json(tmp / f"{connector}-{edition}-config.json", config)]
    if catalog is not None:
        args += ["--catalog", write_json(tmp / f"{connector}-{edition}-catalog.json", catalog)]
    if state is not None:
        args += ["--state", write_json(tmp / f"{connector}-{edition}-state.json", state)]
    done = subprocess.run(args, input="", capture_output=True, text=True, timeout=timeout)
    return Run(done.stdout, done.returncode, done.stderr)


def shim(edition: str, connector: str, folder: Path) -> str:
    """An executable that runs `edition` of `connector` with the arguments it is given (written once, atomically:
    the tests run it from several threads at once)."""
    path = folder / connector
    if not path.exists():
        draft = folder / f".{connector}.{os.getpid()}"
        draft.write_text("#!/bin/sh\nexec " + " ".join(f"'{part}'" for part in command(edition, connector)) + ' "$@"\n')
        draft.chmod(0o755)
        draft.replace(path)
    return str(path)
