"""A YAML document with the line of every field, so that each problem found in a pipeline file names its line.

PyYAML's node tree keeps where each key and value starts; the plain data comes from the same text with the
safe loader. A key given twice in one mapping is a problem here (PyYAML would silently keep the last one).

Anchors and aliases (`&name`, `*name`, `<<: *name`) are refused, from the parser's events, before any node is
built: nested aliases make a few hundred bytes expand into billions of nodes ("billion laughs"), which would take
every later step (line numbers, schema check, ${VARIABLE}s) hours and gigabytes. A pipeline file is short enough
to write each value out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

import yaml

from airbyte_pipeline.problems import Problem, PipelineFileError

FieldPath = tuple[Union[str, int], ...]


def dotted(path: FieldPath) -> str:
    """`('plecto', 'streams', 0, 'date_field')` -> `plecto.streams[0].date_field`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


@dataclass
class YamlDocument:
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)  # path -> 1-based line of its key (or list item)

    def line_of(self, path: FieldPath) -> int:
        """The line of the field, or of its nearest ancestor present in the file (a missing field's parent)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def load_yaml(text: str) -> YamlDocument:
    """Parse `text`; raise PipelineFileError (with the line) for a syntax error, a duplicate key or an empty file."""
    try:
        aliases = _anchors_and_aliases(text)
        if aliases:
            raise PipelineFileError(aliases)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise PipelineFileError([Problem(line, "", f"not valid YAML: {error.problem or error}")]) from None
    if root is None:
        raise PipelineFileError([Problem(1, "", "the file is empty")])
    document = YamlDocument(data, {(): 1})
    problems: list[Problem] = []
    _walk(root, (), document.lines, problems)
    if problems:
        raise PipelineFileError(problems)
    return document


def _anchors_and_aliases(text: str) -> list[Problem]:
    """A problem for the first anchor or alias of each line, from the parser's events (nothing is expanded or
    built)."""
    problems: dict[int, Problem] = {}
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if line in problems:
            continue
        if isinstance(event, yaml.AliasEvent):
            problems[line] = Problem(line, "", f"YAML alias *{event.anchor} is not allowed in a pipeline file: write "
                                               "the value out")
        elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            problems[line] = Problem(line, "", f"YAML anchor &{event.anchor} is not allowed in a pipeline file "
                                               "(no aliases either): write each value out")
    return list(problems.values())


def _walk(node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], problems: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if child in lines:
                problems.append(Problem(key_node.start_mark.line + 1, dotted(child),
                                        f"given twice (first on line {lines[child]}); keep one"))
                continue
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, problems)
