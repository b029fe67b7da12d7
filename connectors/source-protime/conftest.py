"""Lets `airbyte-cdk connector test connectors/source-protime` start the Protime emulator by itself."""

try:
    from sandbox.standard_tests_plugin import sandbox_for_standard_tests
except ImportError:  # the vendor sandbox is not installed: the configs then point at a separately run sandbox
    pass
else:
    _protime_sandbox = sandbox_for_standard_tests("protime")
