"""The pipeline's unit tests (make unit-tests). PyAirbyte's import warns about a pydantic deprecation inside its
own secrets module (airbyte/secrets/base.py), which we cannot change: filtered by message and category only."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "filterwarnings",
        "ignore:The `field_name` argument on `with_info_after_validator_function` is deprecated:DeprecationWarning")
