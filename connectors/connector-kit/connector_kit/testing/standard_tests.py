"""The CDK's standard tests (`airbyte-cdk connector test connectors/<name>`) as they can run on these connectors.

The suite's image tests (`image_tests` marker) run the connector's Docker image, which the CDK builds itself unless
`--connector-image` names one. Its build cannot build these connectors: it writes its own Dockerfile and takes the
connector's folder alone as the build context, without connectors/connector-kit (which is not on PyPI). And where
a `docker` command exists but no Docker daemon answers, each image test fails with pages of tracebacks. So image
tests are deselected, with one line after collection saying why, unless `--connector-image` names an image (built
with the connector's own Dockerfile, see the README) and a Docker daemon answers. A connector's root conftest.py
takes both hooks:

    from connector_kit.testing.standard_tests import pytest_collection_modifyitems, pytest_report_collectionfinish
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

IMAGE_TESTS = "image_tests"
DESELECTED_NOTE = pytest.StashKey[str]()
DOCKER_ANSWER_SECONDS = 20
WITHOUT_IMAGE = ("the CDK would build the image from the connector's folder alone, without connector-kit; build it "
                 "with the connector's Dockerfile and give it as --pytest-arg=--connector-image=<image>")


def docker_daemon_problem() -> str | None:
    """None when a Docker daemon answers `docker info`, else why not, in a few words."""
    docker = shutil.which("docker")
    if docker is None:
        return "there is no `docker` command"
    try:
        done = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                              timeout=DOCKER_ANSWER_SECONDS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"`docker info` gave no answer in {DOCKER_ANSWER_SECONDS} s"
    return None if done.returncode == 0 else "no Docker daemon answers `docker info`"


def _image_option(config: pytest.Config) -> str | None:
    try:
        return config.getoption("--connector-image")
    except ValueError:  # the CDK's pytest hooks are not loaded: not a standard-tests session
        return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    image_tests = [item for item in items if item.get_closest_marker(IMAGE_TESTS)]
    if not image_tests:
        return
    reason = docker_daemon_problem() if _image_option(config) else WITHOUT_IMAGE
    if reason is None:
        return
    items[:] = [item for item in items if not item.get_closest_marker(IMAGE_TESTS)]
    config.hook.pytest_deselected(items=image_tests)
    config.stash[DESELECTED_NOTE] = f"{len(image_tests)} Docker image test(s) deselected: {reason}"


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    return config.stash.get(DESELECTED_NOTE, None)
