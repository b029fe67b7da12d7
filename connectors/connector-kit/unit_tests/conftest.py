"""The kit's own tests use the same fixtures as every connector's (connector_kit.testing.pytest_plugin)."""

pytest_plugins = ["connector_kit.testing.pytest_plugin"]
