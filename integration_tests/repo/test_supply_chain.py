"""What an install may take: every file pinned by a lock and checked against its hashes, nothing resolved while
installing. The venv (`make install`), uv's bootstrap and the connector images each install from a lock compiled
with hashes; the images' runtime lock holds the connectors' own dependencies at the venv's versions and no test
tool; the images' build context keeps credentials out."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO

LOCKS = ("requirements.lock", "requirements-runtime.lock", "requirements-bootstrap.lock")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def pins(lock: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every requirement in a `uv pip compile --generate-hashes` file."""
    found: dict[str, tuple[str, list[str]]] = {}
    name = None
    for line in (REPO / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            name = canonicalize_name(match[1])
            found[name] = (match[2], [])
        elif name and line.strip().startswith("--hash=sha256:"):
            found[name][1].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
        elif not line.startswith(" "):
            name = None
    return found


def recipe(target: str) -> list[str]:
    """The command lines of a Makefile target (continuations joined)."""
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    body = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.M)
    assert body, f"no target {target} in the Makefile"
    return [line.strip() for line in body[1].splitlines() if not line.strip().startswith("@#")]


def our_projects() -> list[dict]:
    return [tomllib.loads(p.read_text()) for p in sorted(REPO.glob("connectors/*/pyproject.toml"))]


@pytest.mark.parametrize("lock", LOCKS)
def test_given_a_lock_then_every_pin_carries_its_sha256_hashes(lock):
    found = pins(lock)
    assert found
    assert [name for name, (_, hashes) in found.items() if not hashes] == []
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for _, hashes in found.values() for h in hashes)


def test_given_the_runtime_lock_then_every_version_is_the_venvs():
    venv, runtime = pins("requirements.lock"), pins("requirements-runtime.lock")
    assert sorted(set(runtime) - set(venv)) == []
    assert {n: v for n, (v, _) in runtime.items() if venv[n][0] != v} == {}
    assert {n: sorted(h) for n, (_, h) in runtime.items() if sorted(h) != sorted(venv[n][1])} == {}


def test_given_the_connectors_dependencies_then_the_runtime_lock_satisfies_each_and_brings_no_test_tool():
    runtime = pins("requirements-runtime.lock")
    projects = our_projects()
    ours = {canonicalize_name(p["project"]["name"]) for p in projects}
    unmet = []
    for project in projects:
        # The images build our packages without build isolation, so of the build requirements only the backend's
        # own package is needed (setuptools >= 70.1 builds wheels itself: a `wheel` requirement is not used).
        backend = project["build-system"]["build-backend"].split(".")[0]
        build = [r for r in project["build-system"]["requires"] if canonicalize_name(Requirement(r).name) == backend]
        for text in [*project["project"]["dependencies"], *build]:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            if name not in ours and (name not in runtime or runtime[name][0] not in requirement.specifier):
                unmet.append(f"{project['project']['name']}: {text}")
    assert unmet == []
    assert sorted(name for name in runtime if name.startswith("pytest")) == []


def test_given_the_bootstrap_lock_then_it_pins_uv_with_the_file_of_every_platform():
    [(name, (version, hashes))] = pins("requirements-bootstrap.lock").items()
    assert name == "uv" and len(hashes) > 10  # a wheel per platform (and the sdist), as the compile lists them


def test_given_make_install_then_each_lock_is_installed_with_require_hashes_and_our_packages_without_deps():
    lines = recipe("$(STAMP)")
    installs = [line for line in lines if " install " in line]
    from_locks = [line for line in installs if re.search(r"-r requirements[\w-]*\.lock", line)]
    assert len(from_locks) == 2  # uv's bootstrap, then the venv
    assert all("--require-hashes" in line for line in from_locks)
    assert "-r requirements-bootstrap.lock" in from_locks[0] and "-r requirements.lock" in from_locks[1]
    assert [line for line in installs if line not in from_locks and "--no-deps" not in line] == []
    assert not re.search(r"\buv==", " ".join(lines))  # no bare, unhashed pin


def test_given_make_lock_then_every_lock_is_compiled_with_hashes_and_the_runtime_lock_with_the_venvs_pins():
    text = (REPO / "Makefile").read_text()
    compile_command = re.search(r"^LOCK := (.+)$", text, re.M)[1]
    assert "uv pip compile" in compile_command and "--generate-hashes" in compile_command
    lines = recipe("lock")
    assert {line.split(" -o ")[-1] for line in lines} == set(LOCKS)
    assert all(line.startswith("$(LOCK) ") for line in lines)
    assert "-c requirements.lock requirements-runtime.in" in " ".join(lines)


# ---- the images' build context ----------------------------------------------------------------------------------
def dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """(exception?, pattern) of each .dockerignore line, as Docker reads them: `*` and `?` within one path
    segment, `**` across any number of them."""
    rules = []
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
        rules.append((exception, re.compile(regex)))
    return rules


def in_context(path: str) -> bool:
    """Docker's rule: the last line that matches the path, or one of its parent folders, decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    kept = True
    for exception, regex in dockerignore_rules():
        if any(regex.fullmatch(candidate) for candidate in candidates):
            kept = exception
    return kept


@pytest.mark.parametrize("path", [
    "connectors/source-pluggy/secrets/config.json", "connectors/source-pluggy/secrets/token.txt",
    "connectors/connector-kit/secrets", "schemas/pluggy/secrets/a.json",
    "connectors/destination-plecto/.env", "connectors/source-plutio/production.env", "schemas/prod.env",
    "connectors/source-protime/config.json", "connectors/source-protime/config_production.json",
    "connectors/source-protime/source_protime/config-old.json", "connectors/source-pluggy/unit_tests/x.py",
    "README.md", ".venv/bin/python", "pipeline/examples/sandbox.env",
])
def test_given_a_credential_or_a_non_image_file_then_the_build_context_leaves_it_out(path):
    assert not in_context(path)


@pytest.mark.parametrize("path", [
    "requirements-runtime.lock", "connectors/connector-kit/pyproject.toml", "connectors/source-pluggy/examples/config.json",
    "connectors/source-pluggy/source_pluggy/manifest.yaml", "schemas/protime/clockings.json",
])
def test_given_what_an_image_installs_then_the_build_context_keeps_it(path):
    assert in_context(path)
