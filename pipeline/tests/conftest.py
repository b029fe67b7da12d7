"""The pipeline's unit tests (make unit-tests). PyAirbyte's import warns about a pydantic deprecation inside its
own secrets module (airbyte/secrets/base.py), which we cannot change: filtered by message and category only."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# As the pipeline's CLI sets them before PyAirbyte is imported (which reads them once): no registry, no telemetry,
# and PyAirbyte's logs and temporary files in a folder of the test session's own, removed at its end.
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
PYAIRBYTE_FILES = tempfile.mkdtemp(prefix="pipeline-tests-")
os.environ.setdefault("AIRBYTE_LOGGING_ROOT", os.path.join(PYAIRBYTE_FILES, "logs"))
os.environ.setdefault("AIRBYTE_TEMP_DIR", PYAIRBYTE_FILES)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "filterwarnings",
        "ignore:The `field_name` argument on `with_info_after_validator_function` is deprecated:DeprecationWarning")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(PYAIRBYTE_FILES, ignore_errors=True)
