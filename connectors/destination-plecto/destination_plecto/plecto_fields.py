"""Plecto's data-source fields: reading them from an answer, their types, and which values fit a type.

What is known (shared/research/vendor-apis.md §4.4, §4.5): `POST /datasources/` takes a `title` and `fields`;
fields cannot be added or changed through the API afterwards; the UI offers text, decimal, Yes/No, list and date
fields. The one field shape seen in code is Bullhorn2Plecto's `{"name": ..., "input": "TextInput",
"default_value": ""}`. The names of the other input types are not documented anywhere we found: `DecimalInput`
and `CheckboxInput` (Yes/No, after the Django widget name that `TextInput` matches) are our choices, and the
reader below accepts several spellings and treats any other type as unknown (no type check then).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping


class FieldKind(str, Enum):
    TEXT = "text"
    DECIMAL = "decimal"
    YES_NO = "Yes/No"
    UNKNOWN = "unknown"


# The input a data source created by the connector gets for each kind.
INPUT_OF_KIND = {FieldKind.TEXT: "TextInput", FieldKind.DECIMAL: "DecimalInput", FieldKind.YES_NO: "CheckboxInput"}
# Type names a field list may use, lower-cased; anything else is UNKNOWN.
KIND_OF_TYPE_NAME = {
    **{name: FieldKind.TEXT for name in ("textinput", "text", "textarea", "string", "char")},
    **{name: FieldKind.DECIMAL for name in ("decimalinput", "numberinput", "decimal", "number", "numeric", "float",
                                            "integer")},
    **{name: FieldKind.YES_NO for name in ("checkboxinput", "booleaninput", "boolean", "bool", "yesno", "yes/no",
                                           "checkbox")},
}
NAME_KEYS = ("name", "title", "label")
TYPE_KEYS = ("input", "type", "field_type")


@dataclass(frozen=True)
class DataSourceFields:
    """The fields a data source has, by name, with their kind."""

    kinds: Mapping[str, FieldKind] = field(default_factory=dict, hash=False)

    def __contains__(self, name: object) -> bool:
        return name in self.kinds

    def kind(self, name: str) -> FieldKind:
        return self.kinds.get(name, FieldKind.UNKNOWN)


def read_fields(data_source: Any) -> DataSourceFields | None:
    """The `fields` of a data-source answer: a list of objects named by `name` (or `title`, `label`) and typed by
    `input` (or `type`, `field_type`), or a list of names. None when there is no such list: then nothing is compared.
    """
    listed = data_source.get("fields") if isinstance(data_source, Mapping) else None
    if not isinstance(listed, list):
        return None
    kinds: dict[str, FieldKind] = {}
    for item in listed:
        name, type_name = (item, None) if isinstance(item, str) else _name_and_type(item)
        if not name:
            return None  # a field we cannot name: comparing against the rest would report false gaps
        kinds[name] = KIND_OF_TYPE_NAME.get(str(type_name).strip().lower(), FieldKind.UNKNOWN)
    return DataSourceFields(kinds)


def _name_and_type(item: Any) -> tuple[str | None, Any]:
    if not isinstance(item, Mapping):
        return None, None
    name = next((item[k] for k in NAME_KEYS if isinstance(item.get(k), str) and item[k]), None)
    return name, next((item[k] for k in TYPE_KEYS if item.get(k)), None)


def kind_of_schema(property_schema: Any) -> FieldKind:
    """The Plecto field a JSON-schema property becomes: string -> text, number/integer -> decimal,
    boolean -> Yes/No, anything else (objects and arrays go as JSON text) -> text."""
    declared = property_schema.get("type") if isinstance(property_schema, Mapping) else None
    types = {declared} if isinstance(declared, str) else set(declared or []) if isinstance(declared, list) else set()
    types.discard("null")
    if types and types <= {"number", "integer"}:
        return FieldKind.DECIMAL
    if types == {"boolean"}:
        return FieldKind.YES_NO
    return FieldKind.TEXT


def field_spec(name: str, kind: FieldKind) -> dict[str, str]:
    """One field of a `POST /datasources/` body."""
    return {"name": name, "input": INPUT_OF_KIND.get(kind, INPUT_OF_KIND[FieldKind.TEXT]), "default_value": ""}


def fits(kind: FieldKind, value: Any) -> bool:
    """Whether a record value can go into a field of this kind; kinds not checked take anything, and empty values
    always fit (the field stays empty)."""
    if value is None or value == "":
        return True
    if kind is FieldKind.DECIMAL:
        return _is_decimal(value)
    if kind is FieldKind.YES_NO:
        return isinstance(value, bool)
    return True


def _is_decimal(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            return math.isfinite(float(value.strip()))
        except ValueError:
            return False
    return False


def describe_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
