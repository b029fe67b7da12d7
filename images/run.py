"""`make images`: build every connector image with podman from its own Dockerfile, offline, and run it as Airbyte
does, against the sandbox, next to the same commands from the venv.

1. The stand-in base image (images/base.sh), the metadata.yaml baseImage without its digest; cached.
2. A wheelhouse: the files requirements-runtime.lock names, downloaded by the venv's pip (the only place that
   reaches PyPI here) and checked against the lock's hashes; cached under its key. The images install exactly these
   files (--require-hashes --no-deps); our own packages are built from source in the images.
3. Each image: `podman build --pull=never --network=none` from the repo root, the wheelhouse as the `wheels`
   build context. Then a deliberately broken dependency (`pip check`) and a file that no longer matches the
   lock's hash (--require-hashes) must each fail the same build and leave no image.
4. The sandbox (on free ports); for each connector `spec`, `check` and `read` (destination-plecto: `write`),
   once from the venv and once from the image (`podman run --network=host`), compared: the same spec, streams,
   records and final states, for the destination the same states and stored registrations.
   Each image must hold no test tool (pytest, ...): the runtime lock has none.
5. A table: image, size, build seconds, spec/check/read result, same as the venv.

Run by `make images`, which installs podman and passes images/containers.conf; `--only NAME` limits it to one
connector. Exit status 0 only if every step passed.

Why offline, with a stand-in base and a wheelhouse: on the CI machine there is no Docker engine or Docker Hub, and
containers cannot reach PyPI (only the host trusts that machine's TLS interception). CI runs `make images` after
`make test`: about 8 to 12 minutes cold there. The README's `docker build` was checked once on that machine, with
Debian's docker.io 20.10 (BuildKit), the stand-in base and the wheelhouse served as a package index on the loopback:
it built source-pluggy, whose `spec` was byte for byte the podman image's.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml
from connector_kit.testing.cli import Run
from sandbox import EMULATORS, emulator_class

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("IMAGES_CACHE", REPO / ".cache" / "images"))
WHEELS = CACHE / "wheels"
LOGS = CACHE / "logs"
def examples(name: str) -> Path:
    """A connector's example config and configured catalog (the sandbox's values): connectors/<name>/examples."""
    return REPO / "connectors" / name / "examples"
BROKEN_REQUIREMENT = "airbyte-connector-kit-no-such-dependency==0.0.0"
TEST_TOOLS = ("pytest", "pytest_mock", "requests_mock", "freezegun")  # the venv's, by import name


@dataclass
class Connector:
    name: str
    repository: str
    tag: str
    base_image: str  # metadata.yaml's baseImage without @sha256: a local stand-in has no Airbyte digest
    build_seconds: Optional[float] = None
    size_mb: Optional[float] = None
    results: dict[str, str] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    test_tools: list[str] = field(default_factory=list)

    @property
    def image(self) -> str:
        return f"{self.repository}:{self.tag}"

    @property
    def is_source(self) -> bool:
        return self.name.startswith("source-")


def connectors(only: Optional[str]) -> list[Connector]:
    found = []
    for metadata in sorted(REPO.glob("connectors/*/metadata.yaml")):
        data = yaml.safe_load(metadata.read_text())["data"]
        base = data["connectorBuildOptions"]["baseImage"].split("@", 1)[0]
        found.append(Connector(metadata.parent.name, data["dockerRepository"], data["dockerImageTag"], base))
    return [c for c in found if not only or c.name == only]


def sh(args: list[str], log: Optional[Path] = None, **kwargs: Any) -> subprocess.CompletedProcess:
    if log is None:
        return subprocess.run(args, check=True, text=True, **kwargs)
    with log.open("w") as out:
        return subprocess.run(args, text=True, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True, text=True).stdout.strip()


def tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text().splitlines()[-lines:])


# ---- 1. podman storage and the base image ------------------------------------------------------------------------
def storage_conf() -> None:
    """podman's storage under .cache/images (graphroot must be absolute); its run state under /run (tmpfs)."""
    path = Path(os.environ.setdefault("CONTAINERS_STORAGE_CONF", str(CACHE / "storage.conf")))
    os.environ.setdefault("CONTAINERS_CONF", str(REPO / "images" / "containers.conf"))
    runroot = "/run/airbyte-images/" + hashlib.sha256(str(CACHE).encode()).hexdigest()[:12]
    text = f'[storage]\ndriver = "overlay"\ngraphroot = "{CACHE / "storage"}"\nrunroot = "{runroot}"\n'
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    if not (CACHE / "storage").exists():  # the storage was deleted (make clean): so goes its stale run state
        shutil.rmtree(runroot, ignore_errors=True)


def base_images(selected: list[Connector]) -> None:
    for base in sorted({c.base_image for c in selected}):
        started = time.monotonic()
        sh([str(REPO / "images" / "base.sh"), base], env={**os.environ, "IMAGES_CACHE": str(CACHE)})
        print(f"base: ready in {time.monotonic() - started:.0f} s", flush=True)


# ---- 2. the wheelhouse -------------------------------------------------------------------------------------------
RUNTIME_LOCK = REPO / "requirements-runtime.lock"


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def wheelhouse(python_minor: str) -> str:
    """The wheelhouse's key (its inputs' hash), downloading it if the cached one has another key."""
    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    if host != python_minor:
        sys.exit(f"images: the venv runs Python {host}, the base image {python_minor}: wheels would not fit")
    key = hashlib.sha256(RUNTIME_LOCK.read_bytes() + host.encode()).hexdigest()[:16]
    stamp = WHEELS / ".key"
    if stamp.exists() and stamp.read_text() == key:
        print(f"wheelhouse: {len(list(WHEELS.glob('*.whl')))} wheels (key {key})", flush=True)
        return key
    new = CACHE / "wheels.new"
    shutil.rmtree(new, ignore_errors=True)
    started = time.monotonic()
    print(f"wheelhouse: pip download -r {RUNTIME_LOCK.name} (wheels only, hashes checked)", flush=True)
    log = LOGS / "wheelhouse.log"
    # Wheels only: a wheel built here from an sdist would match no hash of the lock, and the images build nothing.
    done = sh([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--require-hashes",
               "--no-deps", "--only-binary=:all:", "-d", str(new), "-r", str(RUNTIME_LOCK)], log=log)
    if done.returncode:
        sys.exit(f"images: the wheelhouse failed (see {log}):\n{tail(log)}")
    (new / ".key").write_text(key)
    shutil.rmtree(WHEELS, ignore_errors=True)
    new.rename(WHEELS)
    print(f"wheelhouse: {len(list(WHEELS.glob('*.whl')))} wheels in {time.monotonic() - started:.0f} s", flush=True)
    return key


# ---- 3. the images -----------------------------------------------------------------------------------------------
def build_args(connector: Connector, key: str, context: Path, tag: str) -> list[str]:
    return ["podman", "build", "--pull=never", "--network=none", "--force-rm",
            "-f", str(REPO / "connectors" / connector.name / "Dockerfile"),
            "--build-arg", f"BASE_IMAGE={connector.base_image}",
            "--build-arg", "PIP_NO_INDEX=1", "--build-arg", f"WHEELHOUSE_ID={key}",
            "--build-context", f"wheels={WHEELS}", "-t", tag, str(context)]


def build(connector: Connector, key: str) -> bool:
    log = LOGS / f"build-{connector.name}.log"
    started = time.monotonic()
    done = sh(build_args(connector, key, REPO, connector.image), log=log)
    connector.build_seconds = time.monotonic() - started
    if done.returncode:
        connector.results["build"] = "FAILED"
        print(f"build {connector.image}: FAILED (see {log})\n{tail(log)}", flush=True)
        return False
    connector.size_mb = int(podman("image", "inspect", "--format", "{{.Size}}", connector.image)) / 1e6
    connector.test_tools = test_tools_in(connector.image)
    print(f"build {connector.image}: {connector.build_seconds:.0f} s, {connector.size_mb:.0f} MB, test tools in it: "
          f"{', '.join(connector.test_tools) or 'none'}", flush=True)
    return True


def test_tools_in(image: str) -> list[str]:
    """The test tools an image holds (it should hold none: the runtime lock has none, and nothing else installs)."""
    probe = ("import importlib.util; print(' '.join(n for n in %r if importlib.util.find_spec(n)))" % (TEST_TOOLS,))
    return podman("run", "--rm", "--network=none", "--entrypoint", "python3", image, "-c", probe).split()


def broken_context() -> Path:
    """A copy of the build context, to break on purpose."""
    context = CACHE / "broken-context"
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    for part in ("connectors", "schemas"):
        shutil.copytree(REPO / part, context / part, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".tmp"))
    for name in (".dockerignore", RUNTIME_LOCK.name):
        shutil.copy(REPO / name, context)
    return context


def build_must_fail(connector: Connector, key: str, check: str, context: Path, expected: str) -> tuple[bool, str]:
    """The same Dockerfile on a broken copy of the context: the build must fail saying `expected`, and no image may
    be tagged."""
    tag = f"localhost/{check}/{connector.name}:check"
    log = LOGS / f"build-{check}.log"
    done = sh(build_args(connector, key, context, tag), log=log)
    exists = subprocess.run(["podman", "image", "exists", tag]).returncode == 0
    if exists:
        podman("rmi", "-f", tag)
    shutil.rmtree(context, ignore_errors=True)
    said = expected in log.read_text()
    ok = done.returncode != 0 and not exists and said
    return ok, (f"build exit {done.returncode}, {'an image was tagged' if exists else 'no image tagged'}, "
                f"pip {'said' if said else 'did not say'} {expected!r}")


def broken_dependency_fails(connector: Connector, key: str) -> tuple[bool, str]:
    """The connector's pyproject names a package that exists nowhere: `pip check` must fail the build naming it."""
    context = broken_context()
    pyproject = context / "connectors" / connector.name / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace("dependencies = [", f'dependencies = ["{BROKEN_REQUIREMENT}", ', 1))
    return build_must_fail(connector, key, "broken-dependency", context, _name(BROKEN_REQUIREMENT))


def tampered_file_fails(connector: Connector, key: str) -> tuple[bool, str]:
    """A wheelhouse file no longer matches the lock (its hash replaced in the lock, as if the file had changed):
    --require-hashes must fail the build."""
    context = broken_context()
    lock = context / RUNTIME_LOCK.name
    text = lock.read_text()
    wheel = next(path for path in sorted(WHEELS.glob("*.whl"))
                 if hashlib.sha256(path.read_bytes()).hexdigest() in text)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock.write_text(text.replace(digest, hashlib.sha256(b"tampered " + digest.encode()).hexdigest()))
    return build_must_fail(connector, key, "tampered-file", context, "DO NOT MATCH THE HASHES")


# ---- 4. venv and container runs ----------------------------------------------------------------------------------
class Side:
    """How one connector is started: its venv console script, or its image as Airbyte runs it."""

    def __init__(self, connector: Connector, files: Path, image: bool) -> None:
        self.connector, self.files, self.image = connector, files, image

    def path(self, name: str) -> str:
        return f"/data/{name}" if self.image else str(self.files / name)

    def run(self, verb: str, *files: tuple[str, str], stdin: str = "") -> Run:
        args = [verb]
        for flag, name in files:
            args += [flag, self.path(name)]
        if self.image:
            command = ["podman", "run", "--rm", "-i", "--network=host", "-v", f"{self.files}:/data:ro",
                       self.connector.image, *args]
        else:
            command = [str(Path(sys.executable).parent / self.connector.name), *args]
        done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"})
        return Run(done.stdout, done.returncode, done.stderr)


def write_file(directory: Path, name: str, doc: Any, ports: Optional[dict[int, int]] = None) -> None:
    """A config or catalog for both sides; `ports` moves the sandbox's fixed ports to the ones it really has."""
    moved = ports or {}
    text = re.sub(r"//127\.0\.0\.1:(\d+)\b", lambda m: f"//127.0.0.1:{moved.get(int(m[1]), m[1])}", json.dumps(doc))
    path = directory / name
    path.write_text(text)
    path.chmod(0o644)  # the container reads it as uid 1000


def canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True)


def without_volatile(state: Any) -> Any:
    """A final state minus what differs between two identical reads:
    - `sourceStats` (records counted since the previous state: depends on how the CDK's threads interleave);
    - `lookback_window` (the CDK's per-partition cursor stores how many seconds the sync took);
    - `deltaLinkUsedAt` (Protime: the wall-clock time the delta link was used);
    - in a Protime `deltaLink`, the token's `DeltaId` (random per answer) and `TimeStamp` (wall clock); its
      `StartingCursor` stays."""
    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key in ("sourceStats", "lookback_window", "deltaLinkUsedAt"):
                    continue
                if key == "deltaLink" and isinstance(value, str) and "deltaToken=" in value:
                    link, token = value.split("deltaToken=", 1)
                    fields = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
                    value = link + canonical({k: v for k, v in fields.items() if k not in ("DeltaId", "TimeStamp")})
                out[key] = clean(value)
            return out
        if isinstance(node, list):
            return [clean(item) for item in node]
        return node

    return clean(copy.deepcopy(state))


def read_digest(run: Run) -> dict[str, Any]:
    records = {stream: sorted(canonical(r) for r in rows) for stream, rows in run.records_by_stream().items()}
    states = {s["stream"]["stream_descriptor"]["name"]: canonical(without_volatile(s)) for s in run.final_states()}
    return {"records": records, "states": states}


def compare(connector: Connector, what: str, venv: Any, image: Any) -> None:
    if venv != image:
        connector.differences.append(what)


def status(run: Run, verb: str) -> str:
    if run.returncode != 0 or run.errors():
        detail = run.errors()[0].get("message", "") if run.errors() else run.stderr.strip()[-300:]
        return f"FAILED: {detail}"
    if verb == "check":
        outcome = run.connection_status()["status"]
        return "ok" if outcome == "SUCCEEDED" else outcome
    return "ok"


def spec_and_check(connector: Connector, venv: Side, image: Side) -> None:
    spec = {side: side.run("spec") for side in (venv, image)}
    connector.results["spec"] = status(spec[image], "spec")
    specs = [[m["spec"] for m in spec[side].messages if m["type"] == "SPEC"] for side in (venv, image)]
    compare(connector, "spec", *specs)
    check = {side: side.run("check", ("--config", "config.json")) for side in (venv, image)}
    connector.results["check"] = status(check[image], "check")
    compare(connector, "check", *(status(check[side], "check") for side in (venv, image)))


def run_source(connector: Connector, emulator: Any, venv: Side, image: Side) -> Run:
    spec_and_check(connector, venv, image)
    return read_both(connector, emulator, venv, image)


def read_both(connector: Connector, emulator: Any, venv: Any, image: Any) -> Run:
    """`read` on each side from the same seeded data, their records and states compared; returns the venv's read."""
    reads = {}
    for side in (venv, image):
        emulator.reset()  # both start from the seeded data
        reads[side] = side.run("read", ("--config", "config.json"), ("--catalog", "catalog.json"))
    connector.results["read"] = status(reads[image], "read")
    if status(reads[venv], "read") != "ok":
        connector.differences.append(f"venv read {status(reads[venv], 'read')}")
    digests = [read_digest(reads[side]) for side in (venv, image)]
    for side, digest in zip(("venv", "image"), digests):  # kept for a diff when they differ
        (image.files / f"read-{side}.json").write_text(json.dumps(digest, indent=1, sort_keys=True))
    compare(connector, "streams", *(sorted(d["records"]) for d in digests))
    compare(connector, "records", *(d["records"] for d in digests))
    compare(connector, "states", *(d["states"] for d in digests))
    records = sum(len(rows) for rows in digests[1]["records"].values())
    connector.results["read"] += f" ({len(digests[1]['records'])} streams, {records} records)"
    return reads[venv]


def destination_input(pluggy_read: Run, streams: set[str]) -> str:
    """source-pluggy's records of the destination's streams, each STATE numbered as Airbyte 1.7+ sends it."""
    lines, state_id = [], 0
    for message in pluggy_read.messages:
        if message["type"] == "RECORD" and message["record"]["stream"] in streams:
            lines.append(canonical(message))
        elif message["type"] == "STATE" and message["state"]["stream"]["stream_descriptor"]["name"] in streams:
            state_id += 1
            lines.append(canonical({**message, "state": {**message["state"], "id": state_id}}))
    return "".join(line + "\n" for line in lines)


def stored_registrations(plecto: Any, data_sources: list[str]) -> dict[str, Any]:
    """What the emulator stored, by data source and external_id, minus what it makes up itself: the registration
    `id`, `created` and `modified` (uuid4 and wall clock) and the `uuid` of a member it created."""
    stored: dict[str, Any] = {}
    for data_source in data_sources:
        for reg in plecto.registrations(data_source):
            kept = {k: v for k, v in reg.items() if k not in ("id", "created", "modified") and not k.startswith("_")}
            if isinstance(kept.get("member"), dict):
                kept["member"] = {k: v for k, v in kept["member"].items() if k != "uuid"}
            stored[f"{data_source}/{reg['external_id']}"] = canonical(kept)
    return stored


def run_destination(connector: Connector, plecto: Any, venv: Side, image: Side, pluggy_read: Optional[Run]) -> None:
    spec_and_check(connector, venv, image)
    if pluggy_read is None:
        connector.results["write"] = "not run (needs source-pluggy's read)"
        connector.differences.append("write not compared")
        return
    catalog = json.loads((venv.files / "catalog.json").read_text())
    streams = {s["stream"]["name"] for s in catalog["streams"]}
    data_sources = [s["data_source"] for s in json.loads((venv.files / "config.json").read_text())["streams"]]
    stdin = destination_input(pluggy_read, streams)
    outcome = {}
    for side in (venv, image):
        plecto.reset()
        write = side.run("write", ("--config", "config.json"), ("--catalog", "catalog.json"), stdin=stdin)
        states = [canonical(m["state"]) for m in write.messages if m["type"] == "STATE"]
        outcome[side] = (write, states, stored_registrations(plecto, data_sources))
    write, states, stored = outcome[image]
    connector.results["write"] = status(write, "write") + f" ({len(stored)} registrations, {len(states)} states)"
    if status(outcome[venv][0], "write") != "ok" or not outcome[venv][2]:
        connector.differences.append("venv write stored nothing")
    compare(connector, "states", outcome[venv][1], states)
    compare(connector, "registrations", outcome[venv][2], stored)


def source_files(name: str, files: Path, ports: dict[int, int]) -> None:
    """The example config (the sandbox's) and configured catalog of a source."""
    files.mkdir(parents=True, exist_ok=True)
    for target, source in (("config.json", "config.json"), ("catalog.json", "configured_catalog.json")):
        write_file(files, target, json.loads((examples(name) / source).read_text()), ports)


def destination_files(connector: Connector, files: Path, ports: dict[int, int]) -> None:
    """The example config (the sandbox's) with the pipeline's mapping (transactions dated by `date`, accounts by
    `updatedAt`: source-pluggy's fields), and its configured catalog."""
    config = json.loads((examples(connector.name) / "config.json").read_text())
    by_stream = {s["stream"]: s["data_source"] for s in config["streams"]}
    config["streams"] = [{"stream": "transactions", "data_source": by_stream["transactions"], "date_field": "date"},
                         {"stream": "accounts", "data_source": by_stream["accounts"], "date_field": "updatedAt"}]
    write_file(files, "config.json", config, ports)
    write_file(files, "catalog.json", json.loads((examples(connector.name) / "configured_catalog.json").read_text()))


def run_all(selected: list[Connector]) -> None:
    built = [c for c in selected if "build" not in c.results]
    # The sandbox as `python -m sandbox` starts it (size small, seed 42), on free ports rather than its fixed ones,
    # which `make sandbox` or the standard tests may hold: the configs' URLs are moved to them.
    emulators = {name: emulator_class(name)(size="small", seed=42).start() for name in EMULATORS}
    ports = {EMULATORS[name][1]: emulator.port for name, emulator in emulators.items()}
    try:
        pluggy_read = None
        for connector in sorted(built, key=lambda c: not c.is_source):  # the destination writes pluggy's records
            files = CACHE / "run" / connector.name
            shutil.rmtree(files, ignore_errors=True)
            files.mkdir(parents=True)
            files.chmod(0o755)
            venv, image = Side(connector, files, image=False), Side(connector, files, image=True)
            started = time.monotonic()
            if connector.is_source:
                source_files(connector.name, files, ports)
                read = run_source(connector, emulators[connector.name.removeprefix("source-")], venv, image)
                if connector.name == "source-pluggy":
                    pluggy_read = read
            else:
                destination_files(connector, files, ports)
                if pluggy_read is None:  # --only destination-plecto: its input still comes from source-pluggy
                    source_files("source-pluggy", files / "input", ports)
                    emulators["pluggy"].reset()
                    pluggy = Side(Connector("source-pluggy", "", "", ""), files / "input", image=False)
                    pluggy_read = pluggy.run("read", ("--config", "config.json"), ("--catalog", "catalog.json"))
                run_destination(connector, emulators["plecto"], venv, image, pluggy_read)
            print(f"run {connector.image}: {connector.results} in {time.monotonic() - started:.0f} s; "
                  f"differences from the venv: {connector.differences or 'none'}", flush=True)
    finally:
        for emulator in emulators.values():
            emulator.stop()


# ---- 5. the table ------------------------------------------------------------------------------------------------
def table(selected: list[Connector]) -> str:
    header = ("image", "size", "build", "spec", "check", "read / write", "same as venv")
    rows = [header]
    for c in selected:
        same = "no: " + ", ".join(c.differences) if c.differences else ("yes" if c.results.get("spec") else "-")
        same += f"; test tools: {', '.join(c.test_tools)}" if c.test_tools else ""
        rows.append((c.image, f"{c.size_mb:.0f} MB" if c.size_mb else "-",
                     f"{c.build_seconds:.0f} s" if c.build_seconds is not None else "-",
                     c.results.get("spec", c.results.get("build", "-")), c.results.get("check", "-"),
                     c.results.get("read", c.results.get("write", "-")), same))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def passed(c: Connector) -> bool:
    results = [c.results.get(verb, "") for verb in ("spec", "check", "read" if c.is_source else "write")]
    return all(r.startswith("ok") for r in results) and not c.differences and not c.test_tools


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="images", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="one connector, e.g. source-pluggy")
    args = parser.parse_args(argv)
    started = time.monotonic()
    selected = connectors(args.only)
    if not selected:
        parser.error(f"no connector named {args.only}")
    LOGS.mkdir(parents=True, exist_ok=True)
    storage_conf()
    base_images(selected)
    base_python = podman("image", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}",
                         selected[0].base_image)
    python_minor = ".".join(re.search(r"^PYTHON_VERSION=(\S+)", base_python, re.M).group(1).split(".")[:2])
    key = wheelhouse(python_minor)
    for connector in selected:
        build(connector, key)
    probe = next((c for c in selected if c.is_source), selected[0])
    broken_ok, broken = broken_dependency_fails(probe, key)
    print(f"broken dependency ({BROKEN_REQUIREMENT} in {probe.name}): {broken}", flush=True)
    tampered_ok, tampered = tampered_file_fails(probe, key)
    print(f"tampered file (a hash of {RUNTIME_LOCK.name} changed): {tampered}", flush=True)
    podman("image", "prune", "-f")  # images these builds replaced, the broken builds' layers; the cache stays
    run_all(selected)
    from manifest_only import build_and_run  # the manifest-only editions' images, beside the venv (manifest_only.py)
    selected += build_and_run(args.only, key, selected[0].base_image)
    print()
    print(table(selected))
    print(f"\nbroken dependency check: {'passed' if broken_ok else 'FAILED'} ({broken})")
    print(f"tampered file check: {'passed' if tampered_ok else 'FAILED'} ({tampered})")
    print(f"make images: {time.monotonic() - started:.0f} s")
    outcomes = [broken_ok, tampered_ok, *(passed(c) for c in selected)]
    print(f"images: {outcomes.count(True)} passed, {outcomes.count(False)} failed")  # CI's plain closing line
    return 0 if all(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
