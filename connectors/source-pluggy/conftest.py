"""Lets `airbyte-cdk connector test connectors/source-pluggy` start the Pluggy emulator by itself."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration_tests"))
try:
    from sandbox.standard_tests_plugin import sandbox_for_standard_tests

    _pluggy_sandbox = sandbox_for_standard_tests("pluggy")
except ImportError:  # copied out of this repo: the configs then point at a real or separately run sandbox
    pass
