"""What the pipeline leaves on the machine is its user's alone, and no form of a secret reaches it:

- a token endpoint and a Plecto login that echo the credentials back (URL-encoded, JSON-escaped, as Basic auth)
  put none of them on stdout, stderr, in pipeline-state.json or in a log;
- the state folder, its cache, logs and temporary folder are 0700/0600 whatever the caller's umask;
- PyAirbyte's copy of a connector config (0444, with the secret) lives in the private temporary folder, and one
  left by a killed run is gone when the next run starts;
- an env_file that others can read is named in a warning; a corrupt state file stops with one line on recovery;
- a Postgres cache's sslmode reaches the connection, and the local Postgres keeps its files private.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import yaml
from airbyte_pipeline.local_postgres import LocalPostgres

from sandbox_pipeline import airbyte_pipeline, example_over, pipeline_env, pipeline_state, write_pipeline

# Secrets with the characters each encoding changes, and random parts that exist nowhere else.
PLUGGY_SECRET = f'pl/"{secrets.token_hex(6)}+ é&='
PLECTO_PASSWORD = f"pw/{secrets.token_hex(6)}+"
PLECTO_USER = "sandbox-integration@example.com"  # the example's
BASIC = base64.b64encode(f"{PLECTO_USER}:{PLECTO_PASSWORD}".encode()).decode()


def forms(secret: str) -> set[str]:
    return {secret, quote(secret), quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1]}


EVERY_FORM = forms(PLUGGY_SECRET) | forms(PLECTO_PASSWORD) | {BASIC}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def run_with_umask(*args: str, env: dict, umask: int = 0o022) -> subprocess.CompletedProcess:
    """As a scheduler with the usual umask would start it (the pipeline must not depend on the caller's)."""
    previous = os.umask(umask)
    try:
        return airbyte_pipeline(*args, env=env)
    finally:
        os.umask(previous)


# ---- echoed credentials, file modes ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox(start_emulator):
    return {"pluggy": start_emulator("pluggy"), "protime": start_emulator("protime"), "plecto": start_emulator("plecto")}


@pytest.fixture(scope="module")
def echoed(sandbox, tmp_path_factory):
    """Pluggy's token endpoint and Plecto's API answer 401 with the credentials they received, encoded."""
    sent = {"clientSecret": PLUGGY_SECRET}
    sandbox["pluggy"].faults.add(count=50, path_prefix="/auth", status=401, body={
        "message": f"invalid client: got clientSecret={quote_plus(PLUGGY_SECRET)} "
                   f"(raw {quote(PLUGGY_SECRET, safe='')}) in {json.dumps(sent)}"})
    sandbox["plecto"].faults.add(count=500, path_prefix="/api/v2/", status=401, body={
        "detail": f"bad credentials in 'Authorization: Basic {BASIC}' for password={quote_plus(PLECTO_PASSWORD)}"})
    folder = tmp_path_factory.mktemp("echoing-vendors")
    path = str(write_pipeline(folder / "pipeline.yaml", example_over(sandbox)))
    env = pipeline_env(PLUGGY_CLIENT_SECRET=PLUGGY_SECRET, PLECTO_PASSWORD=PLECTO_PASSWORD)
    run = run_with_umask("run", path, env=env)
    status = run_with_umask("status", path, "--json", env=env)
    return run, status, folder / ".cache" / "sandbox", pipeline_state(path)


def test_given_vendors_that_echo_credentials_then_no_form_of_them_is_printed_or_written(echoed):
    run, status, state_dir, state = echoed
    assert run.returncode == 1 and status.returncode == 0
    # The echoes did reach the pipeline's words, masked: the test would see a leak.
    assert "****" in state["sources"]["pluggy"]["message"], state["sources"]["pluggy"]
    assert "****" in state["streams"]["protime.clockings"]["last_push"]["message"]
    printed = run.stdout + run.stderr + status.stdout + status.stderr
    files = [path for path in state_dir.rglob("*") if path.is_file()]
    assert {path.parent.name for path in files if path.suffix == ".log"} >= {"source-pluggy", "destination-plecto"}
    leaks = [f"{form!r} in {where}" for form in EVERY_FORM
             for where, text in [("the output", printed.encode()), *((str(p), p.read_bytes()) for p in files)]
             if form.encode() in text]
    assert leaks == []


def test_given_a_run_with_umask_022_then_the_state_folder_cache_and_logs_are_private(echoed):
    _, _, state_dir, _ = echoed
    entries = [state_dir, *state_dir.rglob("*")]
    assert {p.name for p in entries} >= {"cache.duckdb", "pipeline-state.json", "logs", "tmp", "destination-plecto"}
    open_entries = [f"{p} {mode(p):04o}" for p in entries
                    if mode(p) != (0o700 if p.is_dir() else 0o600) and p.parent.name != "tmp"]
    assert open_entries == []
    assert list((state_dir / "tmp").iterdir()) == []  # nothing left after a run that ended


# ---- a killed run, env_file, corrupt state: a source that answers only `spec` and `discover` -----------------------------------
SLOW_SOURCE = """#!/bin/sh
# A source that answers `spec` and `discover`, then hangs (SLOW=1) or fails at once.
if [ "$1" = spec ]; then
  echo '{"type":"SPEC","spec":{"connectionSpecification":{"type":"object","properties":{"client_secret":{"type":"string","airbyte_secret":true}}}}}'
  exit 0
fi
if [ "$1" = discover ]; then
  echo '{"type":"CATALOG","catalog":{"streams":[{"name":"items","json_schema":{"type":"object"},"supported_sync_modes":["full_refresh"]}]}}'
  exit 0
fi
[ "$SLOW" = 1 ] && touch "$SLOW_MARK" && exec sleep 300
echo "no such vendor" >&2
exit 1
"""
SLOW_SECRET = f"slow-{secrets.token_hex(8)}"


def slow_pipeline(folder: Path, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "slow-source"
    script.write_text(SLOW_SOURCE)
    script.chmod(0o755)
    pipeline = {"name": "slow", **extra, "sources": {"slow": {
        "connector": "./slow-source", "config": {"client_secret": "${SLOW_SECRET}"}, "streams": ["items"]}}}
    return write_pipeline(folder / "pipeline.yaml", pipeline)


def test_given_a_killed_run_then_its_config_file_was_private_and_the_next_run_removes_it(tmp_path):
    path = slow_pipeline(tmp_path)
    temp = tmp_path / ".cache" / "slow" / "tmp"
    reading = tmp_path / "reading"  # the source touches it once `read` has started, its config file written
    env = pipeline_env(SLOW_SECRET=SLOW_SECRET, SLOW="1", SLOW_MARK=str(reading))
    command = [str(Path(sys.executable).parent / "airbyte-pipeline"), "run", str(path)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not reading.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        left = list(temp.iterdir()) if temp.is_dir() else []
        assert reading.exists() and left, f"the source never started reading with its config file in {temp}"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    [config] = [path for path in left if SLOW_SECRET in path.read_text()]  # the connector config a kill leaves
    assert mode(temp) == 0o700 and mode(temp.parent) == 0o700  # no one else reaches it, whatever its own mode

    rerun = airbyte_pipeline("run", str(path), env=pipeline_env(SLOW_SECRET=SLOW_SECRET))
    assert rerun.returncode == 1
    assert (f"removed {len(left)} temporary file(s) an interrupted run left (connector configs with their secrets)"
            in rerun.stdout)
    assert not config.exists()
    assert list(temp.iterdir()) == []


def test_given_an_env_file_others_can_read_then_a_warning_names_it(tmp_path):
    env_file = tmp_path / "secrets.env"
    env_file.write_text(f"SLOW_SECRET={SLOW_SECRET}\n")
    path = slow_pipeline(tmp_path, env_file="secrets.env")
    env_file.chmod(0o644)
    loose = airbyte_pipeline("run", str(path), "--dry-run", env=pipeline_env())
    assert loose.returncode == 0, loose.stderr
    assert (f"warning: env_file {env_file} holds secrets and is readable by its group and every user of this "
            f"machine (mode 0644): run `chmod 600 {env_file}`") in loose.stderr.splitlines()
    env_file.chmod(0o600)
    tight = airbyte_pipeline("run", str(path), "--dry-run", env=pipeline_env())
    assert tight.returncode == 0 and "warning" not in tight.stderr


def test_given_a_corrupt_state_file_then_run_and_status_stop_with_one_line_saying_how_to_recover(tmp_path):
    path = slow_pipeline(tmp_path)
    state_file = tmp_path / ".cache" / "slow" / "pipeline-state.json"
    state_file.parent.mkdir(parents=True)
    state_file.write_text('{"format": 1, "streams": {"slow.items": {"pushed_thro')
    for command in ("run", "status"):
        done = airbyte_pipeline(command, str(path), env=pipeline_env(SLOW_SECRET=SLOW_SECRET))
        assert done.returncode == 1
        [line] = done.stderr.splitlines()
        assert line.startswith(f"airbyte-pipeline: the pipeline state {state_file} is not valid JSON (line 1, ")
        assert "Restore it from a backup, or delete it: the next run then sends every record" in line
        assert "reading" not in done.stdout and "Traceback" not in done.stdout + done.stderr


# ---- Postgres: sslmode reaches libpq; the local server's files ------------------------------------------------------
@pytest.fixture(scope="module")
def postgres():
    server = LocalPostgres(f"pg-{secrets.token_hex(8)}").start()
    yield server
    server.stop()


def test_given_sslmode_require_and_a_server_without_tls_then_the_cache_refuses_to_connect(postgres, tmp_path):
    cache = {"type": "postgres", "host": postgres.host, "port": postgres.port, "database": postgres.database,
             "username": postgres.username, "password": "${PG_PASSWORD}"}
    path = slow_pipeline(tmp_path, cache={**cache, "sslmode": "require"})
    env = pipeline_env(SLOW_SECRET=SLOW_SECRET, PG_PASSWORD=postgres.password)
    required = airbyte_pipeline("run", str(path), env=env)
    assert required.returncode == 1
    assert "the cache failed" in required.stdout and "server does not support SSL" in required.stdout, required.stdout
    # The loopback default (prefer) connects in clear to the same server: the read itself then fails.
    write_pipeline(path, {**yaml.safe_load(path.read_text()), "cache": cache})
    default = airbyte_pipeline("run", str(path), env=env)
    assert "the cache failed" not in default.stdout and "(sslmode prefer)" in default.stdout, default.stdout


def test_given_the_local_postgres_then_its_folder_data_and_log_are_private(postgres):
    folder = postgres.folder
    assert mode(folder) == 0o700 and mode(folder / "data") == 0o700
    assert mode(folder / "server.log") == 0o600
