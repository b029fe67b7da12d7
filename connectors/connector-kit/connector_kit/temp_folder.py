"""One temp folder per connector run, gone when the run ends, however it ends.

The CDK's entry point makes a temporary folder for the HTTP cache of `use_cache` streams (REQUEST_CACHE_PATH, one
SQLite file per cached stream) and removes it when the command finishes. A run stopped by SIGTERM (PyAirbyte stops
its sources that way, and so do schedulers) or killed never gets there, and the folder stays in the temp folder.

So the console gives each run a folder of its own (`airbyte-connector-<random>` in the system's temp folder) and
points Python's `tempfile` at it (`tempfile.tempdir`, its documented switch), so everything the CDK puts in a temp
folder lands inside. The folder goes when the run ends, on SIGTERM too (then the process still ends by SIGTERM, as
the caller expects); what a SIGKILLed run leaves, the next run removes: each run holds a lock (flock) on its folder
until its process ends, and a folder whose lock nobody holds belongs to a run that is gone.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PREFIX = "airbyte-connector-"
STARTING = "airbyte-connector."  # a folder being set up: not matched by PREFIX + "*" (see _locked_folder)


def remove_leftovers(base: Path) -> None:
    """Remove the folders of earlier runs in `base` whose process is gone: nobody holds the lock on the folder."""
    for folder in base.glob(f"{PREFIX}*"):
        try:
            handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:  # gone meanwhile, or not ours to open
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live run holds it
            continue
        else:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(handle)


def _locked_folder(base: Path) -> tuple[Path, int]:
    """A new folder, locked for this process before it gets the name other runs look at (so a run that is starting
    is never taken for a leftover); the lock lasts until the process ends, however it ends."""
    starting = Path(tempfile.mkdtemp(prefix=STARTING, dir=base))
    handle = os.open(starting, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(handle, fcntl.LOCK_EX)
    folder = base / (PREFIX + starting.name[len(STARTING):])
    os.rename(starting, folder)
    return folder, handle


@contextmanager
def run_temp_folder() -> Iterator[Path]:
    """This run's temp folder, as `tempfile`'s default for the run; removed at the end, or on SIGTERM."""
    base = Path(tempfile.gettempdir())
    remove_leftovers(base)
    folder, handle = _locked_folder(base)
    previous_tempdir, previous_handler = tempfile.tempdir, signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, _frame: object) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # end as SIGTERM ends a process, which PyAirbyte and schedulers expect

    tempfile.tempdir = str(folder)
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield folder
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        tempfile.tempdir = previous_tempdir
        shutil.rmtree(folder, ignore_errors=True)
        os.close(handle)
