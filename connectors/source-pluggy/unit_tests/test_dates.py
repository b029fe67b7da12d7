"""Every date field of the spec is parsed as a date: one that cannot exist (2024-13-45) gets the one-line answer of
every bad value, naming the field, the value and what fits, before any call (check and read alike)."""

import pytest
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.mock_http import HttpMocker
from connector_kit.testing.spec_dates import IMPOSSIBLE, date_fields

from pluggy_api import config, read_streams, run_check


def test_given_the_spec_then_it_has_a_date_field() -> None:
    assert date_fields("source_pluggy")  # else the tests below would run for no field at all


@pytest.mark.parametrize("name, kind", date_fields("source_pluggy"))
def test_given_a_date_that_cannot_exist_when_check_or_read_then_one_line_names_the_field_before_any_call(name, kind):
    cfg = config(**{name: IMPOSSIBLE[kind]})
    expected = f"Config field `{name}` is '{IMPOSSIBLE[kind]}': expected a date"
    with HttpMocker():  # nothing is mocked: a call would fail the test
        checked = run_check(cfg)
        read_ = read_streams(["categories"], cfg)

    assert checked.connection_status().status == Status.FAILED
    assert checked.connection_status().message.startswith(expected)
    error = read_.errors[-1].trace.error
    assert read_.exit_code == 1 and error.failure_type == FailureType.config_error and error.message.startswith(expected)
