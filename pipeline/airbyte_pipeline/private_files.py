"""What the pipeline keeps on disk is its user's alone: bank transactions and identity data in the cache, connector
configs with their secrets in PyAirbyte's temporary files, what the connectors said in the logs.

- A run creates every file and folder with umask 077 (0600 files, 0700 folders), its connectors included.
- The state folder and its `logs/` and `tmp/` are made 0700 at each run, also when an older run left them open.
- PyAirbyte's temporary files go to `<state_dir>/tmp` (AIRBYTE_TEMP_DIR), not the system temp folder: PyAirbyte
  writes each connector config there for the connector to read, readable by all (0444), and a killed run leaves
  it behind. In a 0700 folder nobody else can reach it, and each run empties the folder before it starts.
- An env_file that others can read is warned about.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Optional

PRIVATE_UMASK = 0o077
PRIVATE_FOLDER = 0o700
TEMP_FOLDER = "tmp"  # PyAirbyte's temporary files: connector configs, record batches on their way to the cache
LOG_FOLDER = "logs"
TEMP_DIR_VARIABLE = "AIRBYTE_TEMP_DIR"  # read once, when PyAirbyte is imported (airbyte.constants)


def private_folder(path: Path) -> Path:
    """`path` as a folder only its owner can enter (created, or tightened if it exists)."""
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_FOLDER:
        path.chmod(PRIVATE_FOLDER)
    return path


def private_process(state_dir: Path) -> None:
    """Before PyAirbyte is imported: this process and its children create private files (umask 077), and
    PyAirbyte's temporary files go to the state folder's temporary folder (created by prepare_state_dir)."""
    os.umask(PRIVATE_UMASK)
    os.environ[TEMP_DIR_VARIABLE] = str(temp_folder(state_dir))


def prepare_state_dir(state_dir: Path) -> int:
    """At the start of a run, under its lock: the state folder and its logs and temporary folders private, the
    temporary folder emptied; how many leftovers went."""
    for folder in (state_dir, state_dir / LOG_FOLDER):
        private_folder(folder)
    return empty_temp_folder(state_dir)


def temp_folder(state_dir: Path) -> Path:
    return state_dir / TEMP_FOLDER


def empty_temp_folder(state_dir: Path) -> int:
    """Remove what an earlier run left in the temporary folder (a killed run's connector configs); how many
    entries went. Only under the run lock: a running pipeline's files live there."""
    folder = private_folder(temp_folder(state_dir))
    removed = 0
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed


def env_file_warning(path: Path) -> Optional[str]:
    """A warning naming `path` if its group or other users of the machine can read it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None  # reading it fails with its own message
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        readers = " and ".join(who for who, bit in (("its group", stat.S_IRGRP), ("every user", stat.S_IROTH))
                               if mode & bit)
        return (f"env_file {path} holds secrets and is readable by {readers} of this machine (mode {mode:04o}): "
                f"run `chmod 600 {path}`")
    return None
