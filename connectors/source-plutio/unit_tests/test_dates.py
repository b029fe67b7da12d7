"""Every date field of the spec is parsed as a date: one that cannot exist (2024-13-45) gets the one-line answer of
every bad value, naming the field, the value and what fits, before any call (check and read alike)."""

import pytest
from airbyte_cdk.models import FailureType, Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from connector_kit.config_check import with_date_formats
from connector_kit.spec import packaged_spec_document

from plutio_api import config, read_streams, run_check

IMPOSSIBLE = {"date": "2025-02-30", "date-time": "2024-13-45T10:00:00Z"}


def date_fields() -> list[tuple[str, str]]:
    """(field, format) of every date field of the spec, as the config check sees them (a pattern alone counts)."""
    spec = with_date_formats(packaged_spec_document("source_plutio")["connectionSpecification"])
    return sorted((name, field["format"]) for name, field in spec["properties"].items() if field.get("format") in IMPOSSIBLE)


def test_given_the_spec_then_it_has_a_date_field() -> None:
    assert date_fields()  # else the tests below would run for no field at all


@pytest.mark.parametrize("name, kind", date_fields())
def test_given_a_date_that_cannot_exist_when_check_or_read_then_one_line_names_the_field_before_any_call(name, kind):
    cfg = config(**{name: IMPOSSIBLE[kind]})
    expected = f"Config field `{name}` is '{IMPOSSIBLE[kind]}': expected a date"
    with HttpMocker():  # nothing is mocked: a call would fail the test
        checked = run_check(cfg)
        read_ = read_streams(cfg, {"statuses": SyncMode.full_refresh})

    assert checked.connection_status().status == Status.FAILED
    assert checked.connection_status().message.startswith(expected)
    error = read_.errors[-1].trace.error
    assert read_.exit_code == 1 and error.failure_type == FailureType.config_error and error.message.startswith(expected)
