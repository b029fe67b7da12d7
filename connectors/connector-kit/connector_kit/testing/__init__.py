"""Test helpers shared by the four connectors' tests: request/response builders for HttpMocker, in-process and
CLI runners, and the pytest fixtures every mock-server suite needs.

The test tools these import (pytest, requests-mock) are the kit's `testing` extra,
`airbyte-connector-kit[testing]`, which `make install` takes and the images leave out; the rest of the kit imports
with none of them installed (unit_tests/test_packaging.py)."""
