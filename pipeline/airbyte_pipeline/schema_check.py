"""JSON Schema errors as problems that name the line and the field, in words, without echoing values (a value
may be a secret): the pipeline file against its schema, and each connector config against the connector's spec."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import jsonschema

from airbyte_pipeline.problems import Problem
from airbyte_pipeline.yaml_lines import FieldPath, YamlDocument, dotted

JSON_TYPES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "object": "a mapping (key: value lines)", "array": "a list", "null": "empty"}


def schema_problems(schema: dict, instance: Any, document: YamlDocument,
                    to_file_path: Callable[[FieldPath], FieldPath] = lambda path: path) -> list[Problem]:
    """Every way `instance` breaks `schema`; `to_file_path` maps a path in `instance` to its path in the file."""
    validator = jsonschema.validators.validator_for(schema)(schema)
    problems: dict[tuple[int, str], Problem] = {}
    for error in _leaves(validator.iter_errors(instance)):
        for problem in _describe(error, document, to_file_path):
            problems.setdefault((problem.line or 0, problem.field), problem)  # the first, most direct, per field
    return list(problems.values())


def _leaves(errors: Iterable[jsonschema.ValidationError]) -> Iterable[jsonschema.ValidationError]:
    """The most specific errors: an if/then or $ref failure is reported by what failed inside it."""
    for error in errors:
        if error.context:
            yield from _leaves(error.context)
        else:
            yield error


def _describe(error: jsonschema.ValidationError, document: YamlDocument,
              to_file_path: Callable[[FieldPath], FieldPath]) -> list[Problem]:
    path = to_file_path(tuple(error.absolute_path))
    kind, expected = error.validator, error.validator_value
    if "propertyNames" in error.schema_path:  # the key itself is wrong; the error's path is its mapping
        key_path = (*path, str(error.instance))
        return [Problem(document.line_of(key_path), dotted(key_path),
                        "this key has the wrong form: use lower-case letters, digits and _, starting with a letter")]
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        return [Problem(document.line_of((*path, key)), dotted((*path, key)),
                        "unknown field" + (f"; the fields here are: {', '.join(known)}" if known else ""))
                for key in sorted(set(error.instance) - set(known))]
    if kind == "required":
        missing = [name for name in expected if isinstance(error.instance, dict) and name not in error.instance]
        return [Problem(document.line_of(path), dotted((*path, name)), "missing (required)") for name in missing]
    return [Problem(document.line_of(path), dotted(path), _message(kind, expected, error))]


def _message(kind: str, expected: Any, error: jsonschema.ValidationError) -> str:
    if kind == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        return f"must be {' or '.join(JSON_TYPES.get(t, t) for t in wanted)}"
    if kind in ("enum", "const"):
        choices = expected if kind == "enum" else [expected]
        return f"must be one of: {', '.join(str(c) for c in choices)}"
    if kind == "pattern":
        form = error.schema.get("pattern_descriptor") or f"pattern {expected}"  # Airbyte specs describe their patterns
        return f"does not have the expected form: {form}"
    if kind in ("minItems", "minProperties"):
        return f"needs at least {expected} entr{'y' if expected == 1 else 'ies'}"
    if kind == "minLength":
        return "must not be empty"
    if kind == "uniqueItems":
        return "lists an entry twice"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"must be {'at least' if 'inimum' in kind else 'at most'} {expected}"
    if kind == "format":
        return f"must be a valid {expected}"
    return f"does not fit the {kind} rule of the schema"
