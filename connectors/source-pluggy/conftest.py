"""`airbyte-cdk connector test connectors/source-pluggy` as it runs here: against a Pluggy emulator of its own,
started for the run on a free port (no `make sandbox` needed, whatever else listens on the machine), and without
the Docker image tests where no Docker daemon answers."""

from connector_kit.testing.standard_tests import (  # noqa: F401 - pytest finds the hooks by name
    pytest_collection_modifyitems, pytest_report_collectionfinish)

try:
    from sandbox.standard_tests_plugin import pytest_runtest_call, sandbox_for_standard_tests  # noqa: F401
except ImportError:  # the vendor sandbox is not installed: the configs then point at a separately run sandbox
    pass
else:
    _pluggy_sandbox = sandbox_for_standard_tests("pluggy")
