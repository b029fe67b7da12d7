"""Pytest plugin for `airbyte-cdk connector test connectors/<name>`: the stock standard tests run against an emulator
of their own, started for the run on a free loopback port, so they pass offline with no `make sandbox`, beside any
other sandbox or test run on the machine, and never talk to a server someone else started.

The configs that acceptance-test-config.yml names (the connector's examples/config.json and the invalid ones) point
at the sandbox's fixed port. The CDK reads a scenario's config through `ConnectorTestScenario.get_config_dict`,
which returns the scenario's `config_dict` when it has one; so before each test runs, `pytest_runtest_call` hands
the test a copy of its scenario whose `config_dict` is the config file with the fixed URL moved to this run's
emulator (sandbox.ports.relocate). The files stay as they are.

A connector's root conftest.py takes the fixture and the hook:

    from sandbox.standard_tests_plugin import pytest_runtest_call, sandbox_for_standard_tests
    _pluggy_sandbox = sandbox_for_standard_tests("pluggy")

Both only act when the session holds the generated standard tests (test_airbyte_standards.py).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from sandbox import emulator_class
from sandbox.ports import relocate

STANDARD_TESTS_FILE = "test_airbyte_standards.py"
SANDBOX_URLS = pytest.StashKey[dict]()  # emulator name -> URL of this run's emulator


def sandbox_for_standard_tests(vendor: str):
    """Build the session fixture that runs `vendor`'s emulator on a free port during the standard tests."""

    @pytest.fixture(scope="session", autouse=True)
    def _vendor_sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
        if not any(item.path.name == STANDARD_TESTS_FILE for item in request.session.items):
            yield
            return
        emulator = emulator_class(vendor)(size="small", seed=42).start()
        request.config.stash[SANDBOX_URLS] = {vendor: emulator.url}
        try:
            yield
        finally:
            del request.config.stash[SANDBOX_URLS]
            emulator.stop()

    return _vendor_sandbox


@pytest.hookimpl(tryfirst=True)  # before pytest's own implementation calls the test
def pytest_runtest_call(item: pytest.Item) -> None:
    """A standard test's `scenario` with its config pointed at this run's emulator."""
    urls = item.config.stash.get(SANDBOX_URLS, None)
    funcargs = getattr(item, "funcargs", None)
    scenario = funcargs.get("scenario") if funcargs else None
    if not urls or scenario is None or not hasattr(scenario, "get_config_dict"):
        return
    config = scenario.get_config_dict(connector_root=item.cls.get_connector_root_dir(), empty_if_missing=True)
    if config:
        funcargs["scenario"] = scenario.model_copy(update={"config_dict": relocate(config, urls)})
