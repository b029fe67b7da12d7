"""The three sources, run by their installed CLIs, against the sandbox's hostile faults: a redirect to a second
host (127.0.0.2, which records everything it receives), an echoing token endpoint, a slow-drip body, a gzip bomb,
and Protime links (nextLink, deltaLink) to the second host, from an answer or from the state.

Every run is held to the same four promises (`check_promises`):
- no credential reaches the second host (it received nothing at all: every hostile redirect and link is refused);
- no secret in any output line or on stderr, in any form (config secrets and every token or key the sandbox saw);
- memory stays bounded (the child's peak RSS, printed; asserted only against a generous safety net);
- each run ends within its deadline (a small configured `request_deadline_seconds`, so the file runs fast).

Each scenario has an emulator of its own, so the runs go three at a time (the module fixture `runs`); each test
then reads its scenario's outcome.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from connector_kit.testing.cli import Run, cli, write_json
from connector_kit.testing.secret_scan import leaked_forms
from sandbox.core import gzip_bomb

# Short settings keep every hostile run to seconds: one retry, a 3 s deadline per call.
SHORT = {"read_timeout_seconds": 2, "retry_backoff_seconds": 0.1, "max_retries": 1, "request_deadline_seconds": 3}
RSS_SAFETY_NET_MB = 600  # the design bound is ~300 MB for any answer; this only catches a regression
BOMB_MB = 400  # inflated size of the gzip bomb (about 400 KB on the wire), as in the report that started this
DRIP_SECONDS = 1.0  # one byte a second: a whole page would take minutes
# A run without a slow call still starts Python and the CDK: seconds, tens of seconds on a loaded machine. Without
# its bounds a dripping page would take many minutes, so this bound still tells the two apart.
QUICK = 90.0
DRIP_BOUND = QUICK + (SHORT["max_retries"] + 1) * (SHORT["request_deadline_seconds"] + SHORT["retry_backoff_seconds"] + 1)
API = "/connector/protimeapi/api/v1"


@dataclass(frozen=True)
class Subject:
    connector: str
    emulator: str
    token_path: str  # where the token request goes
    stream: str  # a full-refresh stream and the path it reads
    path: str
    emulator_args: tuple = ()

    def catalog(self, stream: Optional[str] = None, mode: str = "full_refresh") -> dict[str, Any]:
        return {"streams": [{"stream": {"name": stream or self.stream, "json_schema": {},
                                        "supported_sync_modes": ["full_refresh", "incremental"]},
                             "sync_mode": mode, "destination_sync_mode": "append"}]}


SUBJECTS = {
    "pluggy": Subject("source-pluggy", "pluggy", "/auth", "categories", "/categories", (("size", "small"),)),
    "plutio": Subject("source-plutio", "plutio", "/v1.8/oauth/token", "statuses", "/v1.8/statuses",
                      (("size", "small"),)),
    "protime": Subject("source-protime", "protime", "/tenants/", "departments", f"{API}/departments",
                       (("size", "small"), ("page_size", 2))),
}
# destination-plecto sends `Authorization: Basic base64(username:password)` on every call: its `check` against an
# echoing API shows that this form of the password is masked too.
PLECTO = Subject("destination-plecto", "plecto", "/api/v2/", "", "/api/v2/")
SECRET_FIELDS = ("client_secret", "password")


# ---- one CLI run, its peak RSS and its time -------------------------------------------------------------------------
@dataclass
class Outcome:
    run: Run
    seconds: float
    peak_rss_mb: float


def run_cli(tmp: Path, subject: Subject, verb: str, config: dict, catalog: Optional[dict] = None,
            state: Optional[list] = None, timeout: float = 240) -> Outcome:
    """Run the installed CLI; the child's own peak RSS comes from wait4 (its rusage alone, not its siblings')."""
    tmp.mkdir(parents=True, exist_ok=True)
    args = [cli(subject.connector), verb, "--config", write_json(tmp / "config.json", config)]
    if catalog is not None:
        args += ["--catalog", write_json(tmp / "catalog.json", catalog)]
    if state is not None:
        args += ["--state", write_json(tmp / "state.json", state)]
    started = time.monotonic()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: dict[str, str] = {}
    readers = [threading.Thread(target=lambda name, pipe: out.__setitem__(name, pipe.read()), args=(name, pipe))
               for name, pipe in (("stdout", child.stdout), ("stderr", child.stderr))]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout, child.kill)  # a hung run fails its test instead of hanging the suite
    killer.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        killer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    return Outcome(Run(out["stdout"], child.returncode, out["stderr"]), time.monotonic() - started,
                   usage.ru_maxrss / 1024)


# ---- the scenarios ---------------------------------------------------------------------------------------------------
@dataclass
class Result:
    subject: Subject
    emulator: Any
    config: dict
    outcome: Outcome
    first: Optional[Outcome] = None  # the run before, when a scenario needs one (a state to start from)


@dataclass
class Scenario:
    name: str
    source: str
    play: Callable[[Subject, Any, dict, Path], Result]
    bound: float = QUICK
    extra: dict = field(default_factory=dict)


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, sources: list[str], bound: float = QUICK) -> Callable:
    def register(play: Callable) -> Callable:
        for source in sources:
            SCENARIOS[f"{source}: {name}"] = Scenario(f"{source}: {name}", source, play, bound)
        return play
    return register


@scenario("token endpoint redirects to the second host", list(SUBJECTS))
def _token_redirect(subject, emulator, config, tmp):
    emulator.faults.add(redirect=307, path_prefix=subject.token_path, count=10)
    return Result(subject, emulator, config, run_cli(tmp, subject, "check", config))


@scenario("API call redirected to the second host", list(SUBJECTS))
def _api_redirect(subject, emulator, config, tmp):
    emulator.faults.add(redirect=302, path_prefix=subject.path, count=10)
    return Result(subject, emulator, config, run_cli(tmp, subject, "read", config, subject.catalog()))


@scenario("API call redirected within its host", ["pluggy"])
def _same_host_redirect(subject, emulator, config, tmp):
    emulator.faults.add(redirect=307, redirect_to="same", path_prefix=subject.path)
    return Result(subject, emulator, config, run_cli(tmp, subject, "read", config, subject.catalog()))


@scenario("token endpoint echoes the request", list(SUBJECTS))
def _echo(subject, emulator, config, tmp):
    config = {**config, "client_secret": 'sbx/se+cr et"&%é'}  # changes under every encoding
    emulator.faults.add(echo=True, path_prefix=subject.token_path, count=10)
    return Result(subject, emulator, config, run_cli(tmp, subject, "check", config))


@scenario("API echoes the request, Basic credentials included", ["plecto"])
def _plecto_echo(subject, emulator, config, tmp):
    config = {**config, "password": 'pl/ec+to pa"ss-é'}
    emulator.faults.add(echo=True, path_prefix=subject.path, count=10)
    return Result(subject, emulator, config, run_cli(tmp, subject, "check", config))


@scenario("body drips one byte a second", list(SUBJECTS), bound=DRIP_BOUND)
def _drip(subject, emulator, config, tmp):
    emulator.faults.add(drip_seconds=DRIP_SECONDS, path_prefix=subject.path, count=10)
    return Result(subject, emulator, config, run_cli(tmp, subject, "read", config, subject.catalog()))


@scenario(f"gzip bomb of {BOMB_MB} MB", list(SUBJECTS))
def _bomb(subject, emulator, config, tmp):
    config = {key: value for key, value in config.items() if key != "max_response_mb"}  # the default bound
    emulator.faults.add(gzip_bomb_mb=BOMB_MB, path_prefix=subject.path, count=10)
    return Result(subject, emulator, config, run_cli(tmp, subject, "read", config, subject.catalog()))


@scenario("listing nextLink to the second host", ["protime"])
def _listing_link(subject, emulator, config, tmp):
    emulator.faults.add(foreign_links=["nextLink"], path_prefix=subject.path, count=10)
    return Result(subject, emulator, config, run_cli(tmp, subject, "read", config, subject.catalog()))


@scenario("delta initial load nextLink to the second host", ["protime"])
def _initial_next_link(subject, emulator, config, tmp):
    emulator.faults.add(foreign_links=["nextLink"], path_prefix=f"{API}/people", count=100)
    return Result(subject, emulator, config,
                  run_cli(tmp, subject, "read", config, subject.catalog("people", "incremental")))


@scenario("delta initial load deltaLink to the second host", ["protime"])
def _initial_delta_link(subject, emulator, config, tmp):
    emulator.faults.add(foreign_links=["deltaLink"], path_prefix=f"{API}/people", count=100)
    return Result(subject, emulator, config,
                  run_cli(tmp, subject, "read", config, subject.catalog("people", "incremental")))


@scenario("delta change read links to the second host", ["protime"])
def _change_read_links(subject, emulator, config, tmp):
    catalog = subject.catalog("people", "incremental")
    first = run_cli(tmp / "first", subject, "read", config, catalog)
    emulator.faults.add(foreign_links=["nextLink", "deltaLink"], path_prefix=f"{API}/delta/", count=10)
    return Result(subject, emulator, config, run_cli(tmp, subject, "read", config, catalog, first.run.final_states()),
                  first)


@scenario("state deltaLink to the second host", ["protime"])
def _state_link(subject, emulator, config, tmp):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "people"}, "stream_state": {
        "deltaLink": f"{emulator.second_host.url}{API}/delta/people?deltaToken=stolen", "deltaLinkUsedAt": now}}}]
    return Result(subject, emulator, config,
                  run_cli(tmp, subject, "read", config, subject.catalog("people", "incremental"), state))


@pytest.fixture(scope="module")
def runs(start_emulator, tmp_path_factory) -> dict[str, Result]:
    """Every scenario, each on an emulator of its own, three at a time."""
    gzip_bomb(BOMB_MB)  # built once, before any run waits on it
    saved = {name: os.environ.get(name) for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY")}
    for name in saved:
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = "127.0.0.1,127.0.0.2,localhost"
    tmp = tmp_path_factory.mktemp("hostile")

    def play(item: tuple[str, Scenario]) -> tuple[str, Result]:
        name, case = item
        subject = PLECTO if case.source == "plecto" else SUBJECTS[case.source]
        emulator = start_emulator(subject.emulator, **dict(subject.emulator_args))
        config = {**emulator.connector_config(), **SHORT}
        return name, case.play(subject, emulator, config, tmp / name.replace(": ", "-").replace(" ", "_"))

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            return dict(pool.map(play, SCENARIOS.items()))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def check_promises(result: Result, bound: float) -> None:
    """The four promises of every hostile run (see the module docstring)."""
    emulator, outcome = result.emulator, result.outcome
    secrets = [*(result.config[key] for key in SECRET_FIELDS if key in result.config), *sorted(emulator.credentials_seen)]
    users = [value for key, value in result.config.items() if isinstance(value, str) and key not in SECRET_FIELDS]
    output = outcome.run.stdout + "\n" + outcome.run.stderr
    label = f"{result.subject.connector}"
    print(f"{label}: {outcome.seconds:.1f} s, peak RSS {outcome.peak_rss_mb:.0f} MB")
    assert emulator.second_host.requests == [], f"{label}: the second host received requests"
    assert leaked_forms(secrets, output, users) == [], f"{label}: a secret appears in the output"
    assert outcome.peak_rss_mb < RSS_SAFETY_NET_MB, f"{label}: peak RSS {outcome.peak_rss_mb:.0f} MB"
    assert outcome.seconds < bound, f"{label}: took {outcome.seconds:.0f} s"
    # A traceback only in a system error's stack_trace field, never in a log line or on stderr.
    assert not any("Traceback" in line for line in outcome.run.logs()) and "Traceback" not in outcome.run.stderr


def failure(result: Result) -> str:
    errors = result.outcome.run.errors()
    assert result.outcome.run.returncode == 1 and errors, result.outcome.run.stdout[-2000:]
    return errors[-1]["message"]


def of(runs: dict[str, Result], name: str) -> Result:
    result = runs[name]
    check_promises(result, SCENARIOS[name].bound)
    return result


# ---- the tests ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", list(SUBJECTS))
def test_given_a_token_endpoint_that_redirects_to_another_host_when_check_then_refused_and_nothing_reaches_it(
        runs, source):
    result = of(runs, f"{source}: token endpoint redirects to the second host")

    status = result.outcome.run.connection_status()
    assert status["status"] == "FAILED"
    assert f"answered 307, a redirect to {result.emulator.second_host.url}; it was not followed" in status["message"]


@pytest.mark.parametrize("source", list(SUBJECTS))
def test_given_an_api_call_redirected_to_another_host_when_read_then_refused_and_nothing_reaches_it(runs, source):
    result = of(runs, f"{source}: API call redirected to the second host")

    assert f"was redirected (302) to {result.emulator.second_host.url}, another host" in failure(result)


def test_given_an_api_call_redirected_within_its_host_when_read_then_followed_with_the_api_key(runs):
    result = of(runs, "pluggy: API call redirected within its host")

    assert result.outcome.run.returncode == 0 and result.outcome.run.records(result.subject.stream)
    assert len(result.emulator.calls(result.subject.path)) == 2  # the redirect, then the same path with the key


@pytest.mark.parametrize("source", list(SUBJECTS))
def test_given_a_token_endpoint_that_echoes_the_request_when_check_then_no_form_of_the_secret_anywhere(runs, source):
    result = of(runs, f"{source}: token endpoint echoes the request")

    status = result.outcome.run.connection_status()
    assert status["status"] == "FAILED" and "rejected: POST" in status["message"]  # the echo reached the message


def test_given_an_api_that_echoes_basic_credentials_when_plecto_checks_then_no_form_of_the_password_anywhere(runs):
    result = of(runs, "plecto: API echoes the request, Basic credentials included")

    status = result.outcome.run.connection_status()
    assert status["status"] == "FAILED" and '"authorization": "Basic ****"' in status["message"]


@pytest.mark.parametrize("source", list(SUBJECTS))
def test_given_a_body_that_drips_when_read_then_each_call_ends_at_the_deadline_is_retried_and_fails_readably(
        runs, source):
    result = of(runs, f"{source}: body drips one byte a second")

    assert "no complete answer within `request_deadline_seconds` (3 s)" in failure(result)
    assert len(result.emulator.calls(result.subject.path)) == 2  # the call and its one retry


@pytest.mark.parametrize("source", list(SUBJECTS))
def test_given_a_gzip_bomb_when_read_then_refused_at_the_size_bound_with_memory_bounded(runs, source):
    result = of(runs, f"{source}: gzip bomb of {BOMB_MB} MB")

    assert "is larger than `max_response_mb` (32 MB, counted decompressed)" in failure(result)
    assert len(result.emulator.calls(result.subject.path)) == 1  # not retried


def test_given_a_listing_whose_next_link_leads_to_another_host_when_read_then_refused(runs):
    result = of(runs, "protime: listing nextLink to the second host")

    assert (f"Stream departments: Protime's answer pointed the next request of departments at "
            f"{result.emulator.second_host.url}") in failure(result)


@pytest.mark.parametrize("link", ["nextLink", "deltaLink"])
def test_given_a_delta_initial_load_with_a_link_to_another_host_when_read_then_refused_and_not_stored(runs, link):
    result = of(runs, f"protime: delta initial load {link} to the second host")

    assert f"Protime's {link} of people leads to {result.emulator.second_host.url}" in failure(result)
    assert all(result.emulator.second_host.url not in str(state) for state in result.outcome.run.final_states())


def test_given_a_change_read_with_links_to_another_host_when_read_then_refused(runs):
    result = of(runs, "protime: delta change read links to the second host")

    assert result.first is not None and result.first.run.returncode == 0
    assert result.first.run.stream_state("people")["deltaLink"].startswith(f"{API}/delta/")
    assert f"of people leads to {result.emulator.second_host.url}" in failure(result)


def test_given_a_state_whose_delta_link_leads_to_another_host_when_read_then_refused_before_any_call(runs):
    result = of(runs, "protime: state deltaLink to the second host")

    message = failure(result)
    assert f"The state's deltaLink of people leads to {result.emulator.second_host.url}" in message
    assert "reset this stream's state" in message
    assert result.emulator.calls() == []  # not even a token request
