"""The four specs (as each CLI prints them, the kit's shared settings included) and every stream schema follow one
policy: a user who fills a form sees an example in each field they must type, every field and list item says what
it holds, and extra properties are allowed at the root (a config or record with more than declared is accepted)."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest

from conftest import CONNECTORS, REPO, printed_spec

SCHEMAS = sorted(p for p in REPO.glob("schemas/*/*.json"))  # stream schemas; shared fragments sit in subfolders


def fields(properties: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field of a spec, nested ones included (object properties and the properties of list items)."""
    for name, schema in properties.items():
        where = f"{path}{name}"
        yield where, schema
        yield from fields(schema.get("properties") or {}, f"{where}.")
        yield from fields((schema.get("items") or {}).get("properties") or {}, f"{where}[].")


def levels(properties: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Each group of sibling fields (the root's, and each nested object's), by where it is."""
    yield path or "<root>", properties
    for name, schema in properties.items():
        for nested, prefix in ((schema.get("properties"), f"{path}{name}."),
                               ((schema.get("items") or {}).get("properties"), f"{path}{name}[].")):
            if nested:
                yield from levels(nested, prefix)


def wants_example(schema: dict[str, Any]) -> bool:
    """A field whose value the user types, default or not (an example shows the form a value takes): not a list to
    pick from, not a switch, not a secret (a secret gets no example), not an object (its fields have their own)."""
    if any(key in schema for key in ("enum", "const")) or schema.get("airbyte_secret"):
        return False
    return schema.get("type") not in ("boolean", "object")


# Words a title keeps in lower case inside it (Airbyte's specs: "Requests per Minute per Endpoint").
SMALL_WORDS = {"a", "an", "and", "or", "of", "per", "in", "on", "to", "the", "for", "by", "at", "with"}


def title_case_problems(title: str) -> list[str]:
    """The words of `title` out of Title Case; what is in parentheses (a unit, a hint) is left as it is."""
    words = re.sub(r"\([^)]*\)", "", title).split()
    return [word for index, word in enumerate(words) if word[:1].isalpha() and (
        word[0].islower() if index == 0 or word.lower() not in SMALL_WORDS else word != word.lower())]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


@pytest.fixture(scope="module", params=CONNECTORS)
def specification(request) -> tuple[str, dict[str, Any]]:
    return request.param, printed_spec(request.param)["connectionSpecification"]


def test_given_each_spec_when_printed_then_every_field_the_user_types_has_examples(specification):
    connector, spec = specification
    missing = [where for where, schema in fields(spec["properties"]) if wants_example(schema) and not schema.get("examples")]
    assert not missing, f"{connector}: no examples for {missing}"


def test_given_each_spec_when_printed_then_every_title_is_in_one_style_title_case(specification):
    connector, spec = specification
    titles = [schema.get("title") or "" for _, schema in fields(spec["properties"])]
    titles += [(schema.get("items") or {}).get("title") or "" for _, schema in fields(spec["properties"])]
    assert {title: title_case_problems(title) for title in titles if title_case_problems(title)} == {}, connector


def test_given_titles_then_the_style_check_names_the_words_out_of_title_case():
    assert title_case_problems("Requests per Minute per Endpoint (minutes)") == []
    assert title_case_problems("Client secret") == ["secret"]
    assert title_case_problems("start Date Per run") == ["start", "Per", "run"]


def test_given_each_spec_when_printed_then_every_field_and_list_item_is_titled_and_described(specification):
    connector, spec = specification
    undescribed = [where for where, schema in fields(spec["properties"])
                   if not schema.get("title") or not schema.get("description")]
    items = [where for where, schema in fields(spec["properties"])
             if "items" in schema and not schema["items"].get("description")]
    assert not undescribed and not items, f"{connector}: fields {undescribed}, list items {items}"


def test_given_each_spec_when_printed_then_each_level_orders_its_fields_once(specification):
    connector, spec = specification
    for where, siblings in levels(spec["properties"]):
        orders = [schema.get("order") for schema in siblings.values()]
        assert None not in orders and len(set(orders)) == len(orders), f"{connector} {where}: orders {orders}"


def test_given_each_spec_when_printed_then_its_root_allows_extra_properties_and_nothing_forbids_them(specification):
    connector, spec = specification
    assert spec.get("additionalProperties") is True, connector
    assert not [node for node in walk(spec) if node.get("additionalProperties") is False], connector


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_given_each_stream_schema_then_its_root_allows_extra_properties_and_nothing_forbids_them(path):
    schema = json.loads(path.read_text())
    assert schema.get("additionalProperties") is True
    assert not [node for node in walk(schema) if node.get("additionalProperties") is False]
