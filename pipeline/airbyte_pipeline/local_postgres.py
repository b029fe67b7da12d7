"""A throwaway Postgres server on loopback, for the pipeline tests and `make postgres` (a cache to try the Postgres
examples against). The server binaries come from the `pgserver` wheel (Postgres 16, pinned in requirements.lock),
so nothing is needed from the system; the pipeline itself works with any Postgres.

Postgres refuses to run as root: as root, the binaries are copied into the server's own folder and the server
runs as the unprivileged `nobody` user. Password authentication (scram-sha-256), TCP on 127.0.0.1 only. The
server's folder is private (0700) and its tools run with umask 077: the data and the log are its owner's alone.

    python -m airbyte_pipeline.local_postgres --port 18705 --password-env PIPELINE_PG_PASSWORD
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Optional

START_TIMEOUT_SECONDS = 60
PRIVATE_UMASK = 0o077
UNPRIVILEGED_USER = "nobody"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wheel_binaries() -> Path:
    """The server binaries of the pgserver wheel (found, not imported: importing it starts its own machinery)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pgserver wheel is not installed: run `make install`")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


class LocalPostgres:
    def __init__(self, password: str, port: int = 0, username: str = "airbyte", database: str = "airbyte") -> None:
        self.password, self.username, self.database = password, username, database
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.folder: Optional[Path] = None
        self._bin: Optional[Path] = None
        self._run_as: dict[str, Any] = {}

    def start(self) -> "LocalPostgres":
        self.folder = Path(tempfile.mkdtemp(prefix="pipeline-postgres-"))
        self._bin = wheel_binaries()
        if os.geteuid() == 0:
            self._bin = self._copy_binaries(self._bin)
            account = pwd.getpwnam(UNPRIVILEGED_USER)
            for path in (self.folder, *self.folder.rglob("*")):
                os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
            self._run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        password_file = self.folder / "password"
        os.close(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private from the start
        password_file.write_text(self.password)
        self._chown_like_folder(password_file)
        data = self.folder / "data"
        self._tool("initdb", "-D", str(data), "-U", self.username, "--auth=scram-sha-256",
                   f"--pwfile={password_file}", "--encoding=UTF8", "--no-locale")
        password_file.unlink()
        self._tool("pg_ctl", "-D", str(data), "-l", str(self.folder / "server.log"), "-w",
                   "-t", str(START_TIMEOUT_SECONDS), "-o", f"-h {self.host} -p {self.port} -k {self.folder}", "start")
        self._create_database()
        return self

    def stop(self) -> None:
        if self.folder is None:
            return
        if (self.folder / "data" / "postmaster.pid").exists():
            self._tool("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def connect(self, database: Optional[str] = None) -> Any:
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.username, password=self.password,
                               dbname=database or self.database, autocommit=True)

    def _create_database(self) -> None:
        with self.connect("postgres") as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')

    def _copy_binaries(self, bin_path: Path) -> Path:
        """The wheel's layout, so that the binaries' relative library path still holds."""
        assert self.folder is not None
        wheel_root = bin_path.parent.parent  # .../site-packages/pgserver
        shutil.copytree(wheel_root / "pginstall", self.folder / "pgserver" / "pginstall", symlinks=True)
        libs = wheel_root.parent / "pgserver.libs"
        if libs.is_dir():
            shutil.copytree(libs, self.folder / "pgserver.libs", symlinks=True)
        return self.folder / "pgserver" / "pginstall" / "bin"

    def _chown_like_folder(self, path: Path) -> None:
        assert self.folder is not None
        if os.geteuid() == 0:
            owner = self.folder.stat()
            os.chown(path, owner.st_uid, owner.st_gid)
        path.chmod(0o600)

    def _tool(self, name: str, *args: str) -> None:
        assert self._bin is not None
        done = subprocess.run([str(self._bin / name), *args], capture_output=True, text=True, cwd=self.folder,
                              stdin=subprocess.DEVNULL, timeout=START_TIMEOUT_SECONDS + 30, umask=PRIVATE_UMASK,
                              **self._run_as)
        if done.returncode != 0:
            log = self.folder / "server.log" if self.folder else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}\n{tail}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airbyte_pipeline.local_postgres", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=18705)
    parser.add_argument("--password-env", default="PIPELINE_PG_PASSWORD",
                        help="the environment variable that holds the password to set")
    parser.add_argument("--env-file", type=Path, help="read that variable from this KEY=VALUE file if not set")
    args = parser.parse_args(argv)
    password = os.environ.get(args.password_env)
    if password is None and args.env_file:
        from airbyte_pipeline.env_values import read_env_file

        password = read_env_file(args.env_file).get(args.password_env)
    if not password:
        parser.error(f"set {args.password_env} (or give --env-file) to the password the server should have")
    # Ctrl-C and SIGTERM set the event, from the start; the wait wakes twice a second, since a signal the kernel
    # hands to another thread does not interrupt a wait without a timeout.
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    server = LocalPostgres(password, port=args.port)
    try:
        server.start()
    except (RuntimeError, OSError) as error:
        print(f"local Postgres did not start: {error}", file=sys.stderr)
        server.stop()
        return 1
    print(f"Postgres {server.host}:{server.port}, database {server.database}, user {server.username}, password from "
          f"{args.password_env}; until Ctrl-C", flush=True)
    try:
        while not stop.wait(timeout=0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
