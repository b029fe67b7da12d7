"""The four connector Dockerfiles are one recipe, written out per connector as Airbyte lays connectors out: the same
lines but for the connector's name, its package and its vendor's schemas. `make images` builds and runs them; this
keeps them from drifting apart between two such runs."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import REPO

CONNECTORS = sorted(p.parent.name for p in REPO.glob("connectors/*/metadata.yaml"))


def dockerfile(name: str) -> str:
    return (REPO / "connectors" / name / "Dockerfile").read_text()


def recipe(name: str) -> str:
    """The Dockerfile with its connector's names as placeholders and the schema lines (sources only) left out."""
    package = name.replace("-", "_")
    lines = [line for line in dockerfile(name).splitlines() if "schemas" not in line]
    return "\n".join(lines).replace(package, "{package}").replace(name, "{name}")


def test_given_the_four_dockerfiles_when_names_are_placeholders_then_they_are_the_same_recipe():
    recipes = {name: recipe(name) for name in CONNECTORS}
    first = CONNECTORS[0]
    assert [name for name in CONNECTORS if recipes[name] != recipes[first]] == []


@pytest.mark.parametrize("name", CONNECTORS)
def test_given_a_connector_dockerfile_then_it_builds_as_airbyte_runs_it(name):
    text = dockerfile(name)
    instructions = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert "|| true" not in instructions  # a failed install must fail the build
    assert "--no-compile" not in instructions
    entrypoint = re.search(r'^ENTRYPOINT \["([^"]+)"\]$', text, re.M)[1]
    assert entrypoint == f"/usr/local/bin/{name}"
    assert f'ENV AIRBYTE_ENTRYPOINT="{entrypoint}"' in text
    assert re.search(r"^USER airbyte$", text, re.M)
    if name.startswith("source-"):
        vendor = name.removeprefix("source-")
        assert f"COPY schemas/{vendor} ./{name}/{name.replace('-', '_')}/schemas" in text


def test_given_the_base_image_then_the_dockerfiles_default_is_the_one_metadata_declares_by_tag():
    """metadata.yaml's baseImage is what `make images` builds from (its digest dropped: a local stand-in has none);
    the Dockerfiles' default, for a plain `docker build`, is the same image and tag."""
    for name in CONNECTORS:
        declared = yaml.safe_load((REPO / "connectors" / name / "metadata.yaml").read_text())["data"]
        default = re.search(r"^ARG BASE_IMAGE=(\S+)$", dockerfile(name), re.M)[1]
        assert default.split("@")[0] == declared["connectorBuildOptions"]["baseImage"].split("@")[0], name


def pip_installs(name: str) -> list[str]:
    """Each `pip install` command of the Dockerfile's RUN instructions (continuations joined)."""
    text = dockerfile(name).replace("\\\n", " ")
    commands = [command.strip() for line in text.splitlines() if line.startswith("RUN ")
                for command in line.removeprefix("RUN ").split("&&")]
    return [" ".join(command.split()) for command in commands if "pip install" in command]


@pytest.mark.parametrize("name", CONNECTORS)
def test_given_a_connector_dockerfile_then_nothing_is_resolved_at_build_time(name):
    """Third-party packages only as the files the runtime lock names (hash-checked, no dependency resolution), then
    our own packages from the build context without dependencies, then `pip check`: a dependency the lock misses
    fails the build by name."""
    first, *ours = pip_installs(name)
    assert "--require-hashes" in first and "--no-deps" in first and first.endswith("-r requirements-runtime.lock")
    assert "COPY requirements-runtime.lock ./" in dockerfile(name)
    assert [install.split()[-1] for install in ours] == ["./connector-kit", f"./{name}"]
    assert all("--no-deps" in install and "--no-build-isolation" in install for install in ours)
    assert re.search(r"&& pip check$", dockerfile(name), re.M)
