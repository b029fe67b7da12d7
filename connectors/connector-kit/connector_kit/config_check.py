"""Config problems in plain words: the field, what was given, what is expected.

JSON Schema says `'abc' is not of type 'integer'` or prints a raw regex; users need `Config field
`page_size` is 'abc': expected an integer from 1 to 1000.` Values of secret fields are never echoed.

Dates are parsed, not only matched: a field of `format: date` or `date-time` (or, without a format, a pattern that
starts with YYYY-MM-DD) must hold a date that exists, so `2024-13-45` is named here rather than failing later in a
strptime deep in a sync, or not at all. The spec is the only input: a new date field needs no code.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError

MAX_PROBLEMS = 5
_TYPE_WORDS = {"integer": "an integer", "number": "a number", "string": "text", "boolean": "true or false",
               "array": "a list", "object": "an object", "null": "null"}


# How a spec's pattern spells a calendar date at its start, for date fields that give a pattern but no `format`.
_DATE_PREFIXES = ("[0-9]{4}-[0-9]{2}-[0-9]{2}", r"\d{4}-\d{2}-\d{2}")
_DATE_FORMATS = ("date", "date-time")
_DATE_CHECKER = FormatChecker(formats=())


@_DATE_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    """YYYY-MM-DD that exists (the pattern says the shape; this says the month and day are real)."""
    return not isinstance(value, str) or (len(value) == 10 and bool(date.fromisoformat(value)))


@_DATE_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """An ISO 8601 / RFC 3339 moment that exists, with its time (a bare date is not a date-time)."""
    return not isinstance(value, str) or (len(value) > 10 and value[10] in "Tt " and bool(datetime.fromisoformat(value)))


def config_problems(connection_specification: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """One sentence per problem, in the order of the fields; empty when the config fits the spec."""
    validator = Draft7Validator(with_date_formats(connection_specification), format_checker=_DATE_CHECKER)
    errors = sorted(validator.iter_errors(dict(config)), key=lambda e: [str(p) for p in e.absolute_path])
    return [_sentence(error) for error in _one_per_field(_most_specific(errors))][:MAX_PROBLEMS]


def with_date_formats(schema: Mapping[str, Any]) -> Any:
    """The spec with `format: date` / `date-time` on every field whose pattern opens with a date and that names no
    format itself (a copy; the spec given is not changed)."""
    def visit(node: Any) -> None:
        if isinstance(node, dict):
            pattern = node.get("pattern")
            if isinstance(pattern, str) and "format" not in node:
                body = pattern.lstrip("^")
                prefix = next((p for p in _DATE_PREFIXES if body.startswith(p)), None)
                if prefix is not None:
                    node["format"] = "date-time" if "T" in body[len(prefix):] else "date"
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    copied = copy.deepcopy(dict(schema))
    visit(copied)
    return copied


def _one_per_field(errors: list[ValidationError]) -> list[ValidationError]:
    """A value that misses its pattern is no date either: its format error would only say the same twice."""
    flagged = {tuple(e.absolute_path) for e in errors if e.validator != "format"}
    return [e for e in errors if e.validator != "format" or tuple(e.absolute_path) not in flagged]


def _most_specific(errors: Iterable[ValidationError]) -> list[ValidationError]:
    """For `anyOf`/`oneOf` failures, report the best-matching sub-error rather than the combinator."""
    out = []
    for error in errors:
        while error.context:
            error = min(error.context, key=lambda e: (-len(e.absolute_path), e.validator != "type"))
        out.append(error)
    return out


def field_name(path: Iterable[Any]) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _sentence(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a required field"
        where = field_name([*error.absolute_path, missing])
        description = (schema.get("properties") or {}).get(missing, {})
        hint = f": expected {_expected(description)}" if description else ""
        return f"Config field `{where}` is required{hint}."
    where = field_name(error.absolute_path) or "(the config)"
    if error.validator == "additionalProperties":
        extra = ", ".join(sorted(set(error.instance) - set(schema.get("properties") or {})))
        return f"Config field `{where}` has unknown field(s) {extra}: remove them."
    given = "(hidden)" if schema.get("airbyte_secret") else _show(error.instance)
    if error.validator == "format" and schema.get("format") in _DATE_FORMATS:
        what = "a date that exists" if schema["format"] == "date" else "a date and time that exist"
        return f"Config field `{where}` is {given}: expected {what}: {_expected(schema)}."
    return f"Config field `{where}` is {given}: expected {_expected(schema)}."


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else _json_like(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_like(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _expected(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(_json_like(v) if not isinstance(v, str) else v for v in schema["enum"])
    if schema.get("pattern_descriptor"):
        return str(schema["pattern_descriptor"])
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    words = " or ".join(_TYPE_WORDS.get(t, t) for t in types if t != "null") or "a valid value"
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        words += f" from {low} to {high}"
    elif low is not None:
        words += f" of at least {low}"
    elif high is not None:
        words += f" of at most {high}"
    if schema.get("minLength"):
        words += f" of at least {schema['minLength']} character(s)"
    if schema.get("minItems"):
        words += f" with at least {schema['minItems']} item(s)"
    if schema.get("uniqueItems"):
        words += " without repeats"
    if schema.get("pattern") and not schema.get("pattern_descriptor"):
        words += f" matching {schema['pattern']}"
    if schema.get("format") and "pattern" not in schema:
        words += f" in {schema['format']} format"
    if schema.get("examples"):
        words += f", e.g. {_json_like(schema['examples'][0]) if not isinstance(schema['examples'][0], str) else schema['examples'][0]}"
    return words
