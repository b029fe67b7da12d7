"""Third-party warnings that tell a user nothing they can act on, filtered where our own programs import their
source (the pytest runs filter the same ones in the repo's pytest.ini, which names each)."""

from __future__ import annotations

import warnings


def ignore_google_python_support_notice() -> None:
    """google-api-core, imported by PyAirbyte and by the airbyte-cdk CLI (BigQuery, Secret Manager), warns at import
    that Google ends its support for Python 3.11 in 2027: one FutureWarning per Google package, before any output.
    The connectors run on 3.11, their base image's. Call this before importing `airbyte` or the airbyte-cdk CLI."""
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\.api_core\._python_version_support")
