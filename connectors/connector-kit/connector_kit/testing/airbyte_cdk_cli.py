"""`python -m connector_kit.testing.airbyte_cdk_cli connector test connectors/<name>`: the `airbyte-cdk` CLI as it
is, without the Google notice its import prints (see third_party_warnings). `make standard-tests` runs it."""

from __future__ import annotations

import sys

from connector_kit.testing.third_party_warnings import ignore_google_python_support_notice

ignore_google_python_support_notice()

from airbyte_cdk.cli.airbyte_cdk import cli  # noqa: E402 - imported once the notice is filtered

if __name__ == "__main__":
    sys.exit(cli())
