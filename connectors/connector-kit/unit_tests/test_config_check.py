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
