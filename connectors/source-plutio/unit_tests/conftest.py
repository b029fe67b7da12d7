"""The shared fixtures of every connector's mock-server tests (connector_kit.testing.pytest_plugin), plus a fresh
start for what the paginator learns about the server."""

import pytest
from source_plutio.components import SkipLimitPagination

pytest_plugins = ["connector_kit.testing.pytest_plugin"]


@pytest.fixture(autouse=True)
def unknown_server():
    SkipLimitPagination.forget_server()
    yield
    SkipLimitPagination.forget_server()
