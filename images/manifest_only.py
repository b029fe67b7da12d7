"""`make images`, the manifest-only editions: each editions/manifest-only/<source>/ built into an image the way Airbyte
builds a manifest-only connector, and run beside the venv.

1. A stand-in for `airbyte/source-declarative-manifest:<CDK version>` (Dockerfile.source-declarative-manifest), on
   the stand-in Python base and the wheelhouse run.py builds, tagged under the real name; cached by its recipe.
2. Each folder's image from Dockerfile.manifest-only-connector (the steps of Airbyte's template), the folder as the
   build context (manifest-only-connector.dockerignore: the manifest, components, metadata, README), offline.
3. spec, check and read of each image (`podman run`, as Airbyte runs a connector image) and of the same folder from
   the venv (`python -m connector_editions.run`, connector_editions/run.py), against the sandbox; compared as run.py
   compares the package images: the same spec, check outcome, streams, records and final states.

run.py calls `build_and_run(only, wheelhouse_key)` once its own images ran, and adds what it returns to its table.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, Optional

import yaml
from connector_kit.testing.cli import Run
from run import (CACHE, LOGS, REPO, WHEELS, Connector, compare, podman, read_both, sh, source_files, status, tail)
from sandbox import EMULATORS, emulator_class

EDITIONS = REPO / "editions" / "manifest-only"
HERE = Path(__file__).resolve().parent
CDK_VERSION = version("airbyte-cdk")
SDM_STANDIN = f"docker.io/airbyte/source-declarative-manifest:{CDK_VERSION}"
RECIPE_LABEL = "io.airbyte.standin.recipe"


def editions(only: Optional[str]) -> list[Connector]:
    """Each manifest-only folder, as a Connector of run.py (its image tag: `<version>-manifest-only`)."""
    found = []
    for metadata in sorted(EDITIONS.glob("source-*/metadata.yaml")):
        data = yaml.safe_load(metadata.read_text())["data"]
        found.append(Connector(f"{metadata.parent.name} (manifest-only)", data["dockerRepository"],
                               f"{data['dockerImageTag']}-manifest-only", SDM_STANDIN))
    return [c for c in found if not only or only in (c.name, c.name.split(" ")[0], "manifest-only")]


def folder(connector: Connector) -> Path:
    return EDITIONS / connector.name.split(" ")[0]


# ---- 1. the stand-in base ------------------------------------------------------------------------------------
def sdm_standin(python_base: str, key: str) -> bool:
    """Build the source-declarative-manifest stand-in unless it exists with this recipe (Dockerfile + wheelhouse)."""
    dockerfile = HERE / "Dockerfile.source-declarative-manifest"
    recipe = hashlib.sha256(dockerfile.read_bytes() + key.encode()).hexdigest()[:16]
    found = subprocess.run(["podman", "image", "inspect", "--format", f'{{{{index .Labels "{RECIPE_LABEL}"}}}}',
                            SDM_STANDIN], capture_output=True, text=True)
    if found.returncode == 0 and found.stdout.strip() == recipe:
        print(f"base: {SDM_STANDIN} is built (recipe {recipe})", flush=True)
        return True
    log = LOGS / "build-source-declarative-manifest.log"
    started = time.monotonic()
    done = sh(["podman", "build", "--pull=never", "--network=none", "--force-rm", "-f", str(dockerfile),
               "--build-arg", f"PYTHON_BASE={python_base}", "--build-arg", f"CDK_VERSION={CDK_VERSION}",
               "--build-arg", f"WHEELHOUSE_ID={key}", "--build-context", f"wheels={WHEELS}",
               "--label", f"{RECIPE_LABEL}={recipe}", "-t", SDM_STANDIN, str(HERE)], log=log)
    if done.returncode:
        print(f"base: {SDM_STANDIN} FAILED (see {log})\n{tail(log)}", flush=True)
        return False
    print(f"base: {SDM_STANDIN} built in {time.monotonic() - started:.0f} s", flush=True)
    return True


# ---- 2. each folder's image ----------------------------------------------------------------------------------
def build(connector: Connector) -> bool:
    log = LOGS / f"build-{folder(connector).name}-manifest-only.log"
    started = time.monotonic()
    done = sh(["podman", "build", "--pull=never", "--network=none", "--force-rm",
               "-f", str(HERE / "Dockerfile.manifest-only-connector"),
               "--ignorefile", str(HERE / "manifest-only-connector.dockerignore"),
               "--build-arg", f"BASE_IMAGE={SDM_STANDIN}", "-t", connector.image, str(folder(connector))], log=log)
    connector.build_seconds = time.monotonic() - started
    if done.returncode:
        connector.results["build"] = "FAILED"
        print(f"build {connector.image}: FAILED (see {log})\n{tail(log)}", flush=True)
        return False
    connector.size_mb = int(podman("image", "inspect", "--format", "{{.Size}}", connector.image)) / 1e6
    print(f"build {connector.image}: {connector.build_seconds:.0f} s, {connector.size_mb:.0f} MB", flush=True)
    return True


# ---- 3. the image beside the venv ----------------------------------------------------------------------------
class EditionSide:
    """One manifest-only folder started as its image (podman run) or from the venv (connector_editions.run)."""

    def __init__(self, connector: Connector, files: Path, image: bool) -> None:
        self.connector, self.files, self.image = connector, files, image

    def run(self, verb: str, *files: tuple[str, str]) -> Run:
        args = [verb]
        for flag, name in files:
            args += [flag, f"/data/{name}" if self.image else str(self.files / name)]
        if self.image:
            command = ["podman", "run", "--rm", "-i", "--network=host", "-v", f"{self.files}:/data:ro",
                       self.connector.image, *args]
        else:
            command = [sys.executable, "-m", "connector_editions.run", str(folder(self.connector)), *args]
        done = subprocess.run(command, input="", capture_output=True, text=True, timeout=600,
                              env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"})
        return Run(done.stdout, done.returncode, done.stderr)


def run_edition(connector: Connector, emulator: Any, venv: EditionSide, image: EditionSide) -> None:
    spec = {side: side.run("spec") for side in (venv, image)}
    connector.results["spec"] = status(spec[image], "spec")
    compare(connector, "spec", *([m["spec"] for m in spec[side].messages if m["type"] == "SPEC"]
                                 for side in (venv, image)))
    check = {side: side.run("check", ("--config", "config.json")) for side in (venv, image)}
    connector.results["check"] = status(check[image], "check")
    compare(connector, "check", *(status(check[side], "check") for side in (venv, image)))
    read_both(connector, emulator, venv, image)


def build_and_run(only: Optional[str], key: str, python_base: str) -> list[Connector]:
    """The manifest-only part of `make images`; returns one row per folder for run.py's table."""
    selected = editions(only)
    if not selected:
        return []
    if not sdm_standin(python_base, key):
        for connector in selected:
            connector.results["build"] = "FAILED (base)"
        return selected
    built = [c for c in selected if build(c)]
    emulators = {name: emulator_class(name)(size="small", seed=42).start() for name in EMULATORS
                 if any(folder(c).name == f"source-{name}" for c in built)}
    ports = {EMULATORS[name][1]: emulator.port for name, emulator in emulators.items()}
    try:
        for connector in built:
            source = folder(connector).name
            files = CACHE / "run" / f"{source}-manifest-only"
            shutil.rmtree(files, ignore_errors=True)
            files.mkdir(parents=True)
            files.chmod(0o755)
            source_files(source, files, ports)  # the package's example config and catalog
            # The edition's own example catalog: its streams' sync modes are its own (Protime has no delta feed).
            catalog = json.loads((folder(connector) / "examples" / "configured_catalog.json").read_text())
            (files / "catalog.json").write_text(json.dumps(catalog))
            (files / "catalog.json").chmod(0o644)
            started = time.monotonic()
            run_edition(connector, emulators[source.removeprefix("source-")], EditionSide(connector, files, False),
                        EditionSide(connector, files, True))
            print(f"run {connector.image}: {connector.results} in {time.monotonic() - started:.0f} s; "
                  f"differences from the venv: {connector.differences or 'none'}", flush=True)
    finally:
        for emulator in emulators.values():
            emulator.stop()
    return selected
