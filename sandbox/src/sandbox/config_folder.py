"""The folder of ready config files that `python -m sandbox` writes for the ports it took (default .cache/sandbox/).

The files are the repository's examples with each fixed sandbox URL moved to the running emulator's (see ports.py):
each connector's `examples/config.json` as `<connector>.json`, and every file of `pipeline/examples/` under its own
name (its `env_file` beside it, as in the repository). A file is written only when every emulator it names runs.

The folder belongs to one running sandbox at a time: a lock file marks it (held until the process ends, however it
ends), and each start empties it, since the files, and the pipeline state a run of them leaves beside them, belong
to the data of the sandbox that wrote them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sandbox.ports import fixed_urls_in, relocate_text

# The repository this sandbox package lives in (sandbox/src/sandbox/ -> the root), where the example files are.
REPO = Path(__file__).resolve().parents[3]
LOCK_NAME = ".sandbox.lock"


class FolderInUse(Exception):
    """The folder cannot take this sandbox's files; the message says why and what to do."""


@dataclass
class Template:
    source: Path  # an example file of the repository
    name: str  # its name in the config folder
    emulators: set[str]  # the emulators whose fixed URL it names
    connector: str | None = None  # set for a connector's example config


def templates(repo: Path = REPO) -> list[Template]:
    """Every example file with a sandbox URL (or, for pipeline/examples/, any file: its env file too)."""
    found = []
    for config in sorted(repo.glob("connectors/*/examples/config.json")):
        connector = config.parent.parent.name
        found.append(Template(config, f"{connector}.json", fixed_urls_in(config.read_text()), connector))
    for example in sorted((repo / "pipeline" / "examples").glob("*")):
        if example.is_file() and not example.name.startswith("."):
            found.append(Template(example, example.name, fixed_urls_in(example.read_text())))
    return found


@dataclass
class ConfigFolder:
    path: Path
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files not written: an emulator they name is not running
    _lock: IO[str] | None = None

    def claim(self) -> "ConfigFolder":
        """Lock the folder for this process and empty it; FolderInUse if another sandbox holds it, or if it holds
        files no sandbox wrote (nothing of the user's is deleted)."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock_path = self.path / LOCK_NAME
        if not lock_path.exists() and any(self.path.iterdir()):
            raise FolderInUse(f"{self.path} holds files the sandbox did not write: give an empty or new folder "
                              "with --config-dir")
        lock = open(lock_path, "a+", encoding="utf-8")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            lock.close()
            raise FolderInUse(f"another sandbox (pid {holder}) runs with its configs in {self.path}: use those, stop "
                              "it, or give this one its own folder with --config-dir") from None
        self._lock = lock
        for entry in self.path.iterdir():
            if entry.name == LOCK_NAME:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        return self

    def write(self, urls: dict[str, str], repo: Path = REPO) -> dict[str, tuple[Path, Any]]:
        """Write each example with the running emulators' URLs (name -> URL); returns, per emulator, its
        connector's config file and config."""
        configs: dict[str, tuple[Path, Any]] = {}
        for template in templates(repo):
            missing = template.emulators - set(urls)
            if missing:
                self.skipped.append(template.name)
                continue
            target = self.path / template.name
            target.write_text(relocate_text(template.source.read_text(), urls), encoding="utf-8")
            target.chmod(0o600)  # they hold the sandbox's credentials, as a user's config files would (the pipeline
            # warns about an env_file others can read)
            self.written.append(target)
            if template.connector and len(template.emulators) == 1:
                [emulator] = template.emulators
                configs[emulator] = (target, json.loads(target.read_text()))
        return configs

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock; the files stay for a look after the run
            self._lock = None
