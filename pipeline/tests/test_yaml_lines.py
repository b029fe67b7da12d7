"""A pipeline file with YAML anchors or aliases is refused with the line of each, before anything is expanded:
the "billion laughs" file ends at once with a problem instead of growing for minutes."""

from __future__ import annotations

import pytest
from airbyte_pipeline.problems import PipelineFileError
from airbyte_pipeline.yaml_lines import load_yaml

BILLION_LAUGHS = """\
name: laughs
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
sources: *i
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PipelineFileError) as raised:
        load_yaml(text)
    return [problem.describe("pipeline.yaml") for problem in raised.value.problems]


@pytest.mark.timeout(30)  # a bound on a hang (the expansion took minutes and gigabytes), not a timing assertion
def test_given_nested_aliases_when_loaded_then_the_file_is_refused_naming_each_line():
    found = problems(BILLION_LAUGHS)
    assert found[0] == ("pipeline.yaml:2: YAML anchor &a is not allowed in a pipeline file (no aliases either): "
                        "write each value out")
    assert "pipeline.yaml:3: YAML anchor &b is not allowed" in found[1]
    assert "pipeline.yaml:11: YAML alias *i is not allowed in a pipeline file: write the value out" in found
    assert {problem.split(":")[1] for problem in found} == {str(line) for line in range(2, 12)}


def test_given_a_merge_key_when_loaded_then_its_alias_is_refused():
    text = "base: &base {type: duckdb}\ncache:\n  <<: *base\n"
    assert problems(text)[-1] == "pipeline.yaml:3: YAML alias *base is not allowed in a pipeline file: write the value out"


def test_given_plain_yaml_then_lines_are_still_known():
    document = load_yaml("name: x\nsources:\n  pluggy:\n    streams: [a, b]\n")
    assert document.line_of(("sources", "pluggy", "streams", 1)) == 4
