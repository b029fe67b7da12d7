"""Config problems name the field, what was given and what is expected, in plain words; secrets are not echoed."""

from connector_kit.config_check import config_problems

SPEC = {
    "type": "object",
    "required": ["client_id", "client_secret"],
    "properties": {
        "client_id": {"type": "string"},
        "client_secret": {"type": "string", "airbyte_secret": True, "minLength": 8},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
        "base_url": {"type": "string", "pattern": "^https://", "pattern_descriptor": "https://host"},
        "mode": {"type": "string", "enum": ["delta", "window"]},
        "refs": {"type": "array", "items": {"type": "object", "required": ["reference"],
                                            "properties": {"reference": {"type": "string"}}}},
    },
}


def test_given_a_missing_field_when_checked_then_it_is_named_as_required():
    assert config_problems(SPEC, {"client_secret": "s3cretvalue"}) == ["Config field `client_id` is required: expected text."]


def test_given_a_value_of_the_wrong_type_when_checked_then_field_value_and_range_are_named():
    [problem] = config_problems(SPEC, {"client_id": "x", "client_secret": "s3cretvalue", "page_size": "abc"})
    assert problem == "Config field `page_size` is 'abc': expected an integer from 1 to 1000."


def test_given_a_pattern_with_a_descriptor_when_violated_then_the_descriptor_not_the_regex():
    [problem] = config_problems(SPEC, {"client_id": "x", "client_secret": "s3cretvalue", "base_url": "http://h"})
    assert problem == "Config field `base_url` is 'http://h': expected https://host." and "^https" not in problem


def test_given_an_enum_when_violated_then_the_choices_are_listed():
    [problem] = config_problems(SPEC, {"client_id": "x", "client_secret": "s3cretvalue", "mode": "fast"})
    assert problem == "Config field `mode` is 'fast': expected one of delta, window."


def test_given_a_secret_that_is_invalid_when_checked_then_its_value_is_not_echoed():
    [problem] = config_problems(SPEC, {"client_id": "x", "client_secret": "short"})
    assert "short" not in problem and "(hidden)" in problem and "client_secret" in problem


def test_given_a_nested_item_when_invalid_then_the_path_names_the_entry():
    problems = config_problems(SPEC, {"client_id": "x", "client_secret": "s3cretvalue", "refs": [{}, {"reference": 1}]})
    assert problems == ["Config field `refs[0].reference` is required: expected text.",
                        "Config field `refs[1].reference` is 1: expected text."]


def test_given_a_valid_config_when_checked_then_no_problem():
    assert config_problems(SPEC, {"client_id": "x", "client_secret": "s3cretvalue", "page_size": 10}) == []


DATES = {
    "type": "object",
    "properties": {
        "start_date": {"type": "string", "format": "date-time", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                       "pattern_descriptor": "YYYY-MM-DDTHH:MM:SSZ"},
        "first_day": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                      "pattern_descriptor": "YYYY-MM-DD"},
        "until": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$", "pattern_descriptor": "YYYY-MM-DD"},
        "windows": {"type": "array", "items": {"type": "string", "format": "date"}},
    },
}


def test_given_a_date_time_that_cannot_exist_when_checked_then_field_value_and_shape_are_named():
    assert config_problems(DATES, {"start_date": "2024-13-45T10:00:00Z"}) == [
        "Config field `start_date` is '2024-13-45T10:00:00Z': expected a date and time that exist: YYYY-MM-DDTHH:MM:SSZ."]


def test_given_a_date_that_cannot_exist_when_checked_then_it_is_one_problem_like_the_others():
    assert config_problems(DATES, {"first_day": "2025-02-30"}) == [
        "Config field `first_day` is '2025-02-30': expected a date that exists: YYYY-MM-DD."]


def test_given_a_date_field_with_a_pattern_but_no_format_when_impossible_then_it_is_still_parsed():
    [problem] = config_problems(DATES, {"until": "2025-00-10"})
    assert problem.startswith("Config field `until` is '2025-00-10': expected a date that exists")


def test_given_dates_in_a_list_when_one_cannot_exist_then_the_entry_is_named():
    [problem] = config_problems(DATES, {"windows": ["2024-02-29", "2023-02-29"]})
    assert problem.startswith("Config field `windows[1]` is '2023-02-29'")


def test_given_a_value_that_misses_the_pattern_when_checked_then_one_problem_not_two():
    assert config_problems(DATES, {"start_date": "yesterday"}) == [
        "Config field `start_date` is 'yesterday': expected YYYY-MM-DDTHH:MM:SSZ."]


def test_given_real_dates_when_checked_then_no_problem():
    config = {"start_date": "2024-02-29T23:59:59Z", "first_day": "2024-12-31", "until": "2025-01-01",
              "windows": ["2024-01-01"]}
    assert config_problems(DATES, config) == []
