"""Plecto field metadata read tolerantly, JSON-schema types mapped to Plecto fields, values checked against types."""

import pytest

from destination_plecto.plecto_fields import FieldKind, field_spec, fits, kind_of_schema, read_fields


def test_given_bullhorn2plecto_field_shape_when_read_then_names_and_kinds_known():
    fields = read_fields({"uuid": "x", "fields": [{"name": "Amount", "input": "DecimalInput", "default_value": ""},
                                                  {"name": "Note", "input": "TextInput", "default_value": ""},
                                                  {"name": "Won", "input": "CheckboxInput", "default_value": ""}]})
    assert fields is not None
    assert dict(fields.kinds) == {"Amount": FieldKind.DECIMAL, "Note": FieldKind.TEXT, "Won": FieldKind.YES_NO}


@pytest.mark.parametrize("item, name, kind", [
    ({"title": "Amount", "type": "decimal"}, "Amount", FieldKind.DECIMAL),
    ({"label": "Won", "field_type": "boolean"}, "Won", FieldKind.YES_NO),
    ({"name": "Stage", "input": "ListInput"}, "Stage", FieldKind.UNKNOWN),  # a type name we do not know: no hint
    ({"name": "Closed", "input": "DateTimeInput"}, "Closed", FieldKind.UNKNOWN),
    ({"name": "Plain"}, "Plain", FieldKind.UNKNOWN),
    ("Bare name", "Bare name", FieldKind.UNKNOWN),
])
def test_given_other_field_spellings_when_read_then_name_and_kind_taken_or_kind_unknown(item, name, kind):
    fields = read_fields({"fields": [item]})
    assert fields is not None and dict(fields.kinds) == {name: kind}


@pytest.mark.parametrize("answer", [
    {"uuid": "x", "title": "Deals"},  # no field list at all
    {"fields": "Amount, Note"},  # not a list
    {"fields": {"Amount": "DecimalInput"}},  # a mapping: not a shape we know
    {"fields": [{"name": "Amount"}, {"input": "TextInput"}]},  # one field without a name
    [{"name": "Amount"}],
    None,
])
def test_given_answer_without_a_recognisable_field_list_when_read_then_none(answer):
    assert read_fields(answer) is None


def test_given_empty_field_list_when_read_then_known_to_have_no_fields():
    fields = read_fields({"fields": []})
    assert fields is not None and "anything" not in fields and dict(fields.kinds) == {}


@pytest.mark.parametrize("schema, kind", [
    ({"type": "string"}, FieldKind.TEXT),
    ({"type": "string", "format": "date-time"}, FieldKind.TEXT),
    ({"type": "number"}, FieldKind.DECIMAL),
    ({"type": "integer"}, FieldKind.DECIMAL),
    ({"type": ["null", "integer"]}, FieldKind.DECIMAL),
    ({"type": ["number", "integer"]}, FieldKind.DECIMAL),
    ({"type": "boolean"}, FieldKind.YES_NO),
    ({"type": ["null", "boolean"]}, FieldKind.YES_NO),
    ({"type": "object"}, FieldKind.TEXT),
    ({"type": "array"}, FieldKind.TEXT),
    ({"type": ["string", "number"]}, FieldKind.TEXT),
    ({"anyOf": [{"type": "number"}]}, FieldKind.TEXT),
    ({}, FieldKind.TEXT),
    (None, FieldKind.TEXT),
])
def test_given_json_schema_property_when_mapped_then_plecto_field_kind(schema, kind):
    assert kind_of_schema(schema) == kind


@pytest.mark.parametrize("kind, input_name", [
    (FieldKind.TEXT, "TextInput"), (FieldKind.DECIMAL, "DecimalInput"), (FieldKind.YES_NO, "CheckboxInput"),
    (FieldKind.UNKNOWN, "TextInput"),
])
def test_given_kind_when_field_spec_then_bullhorn2plecto_shape_with_its_input(kind, input_name):
    assert field_spec("Amount", kind) == {"name": "Amount", "input": input_name, "default_value": ""}


@pytest.mark.parametrize("kind, value, fit", [
    (FieldKind.DECIMAL, 12.5, True), (FieldKind.DECIMAL, -3, True), (FieldKind.DECIMAL, "12.50", True),
    (FieldKind.DECIMAL, 10 ** 400, True), (FieldKind.DECIMAL, None, True), (FieldKind.DECIMAL, "", True),
    (FieldKind.DECIMAL, "three", False), (FieldKind.DECIMAL, True, False), (FieldKind.DECIMAL, float("nan"), False),
    (FieldKind.DECIMAL, "inf", False), (FieldKind.DECIMAL, {"a": 1}, False), (FieldKind.DECIMAL, [1], False),
    (FieldKind.YES_NO, True, True), (FieldKind.YES_NO, False, True), (FieldKind.YES_NO, None, True),
    (FieldKind.YES_NO, "yes", False), (FieldKind.YES_NO, 1, False),
    (FieldKind.TEXT, {"a": 1}, True), (FieldKind.UNKNOWN, "anything", True),
])
def test_given_value_and_field_kind_when_checked_then_fits_only_where_plecto_would_take_it(kind, value, fit):
    assert fits(kind, value) is fit
