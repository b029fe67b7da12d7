"""The shared fixtures of every connector's mock-server tests (connector_kit.testing.pytest_plugin)."""

pytest_plugins = ["connector_kit.testing.pytest_plugin"]
