"""Lets `airbyte-cdk connector test connectors/source-pluggy` start the Pluggy emulator by itself."""

try:
    from sandbox.standard_tests_plugin import sandbox_for_standard_tests
except ImportError:  # the vendor sandbox is not installed: the configs then point at a separately run sandbox
    pass
else:
    _pluggy_sandbox = sandbox_for_standard_tests("pluggy")
