"""`${VARIABLE}` in a pipeline file: found with their lines, replaced at run time from the environment (or the
file's env_file), and remembered as secrets so that no output shows them.

`$${` stands for a literal `${`. A variable that is not set is a problem of the file, named by its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from airbyte_pipeline.problems import Problem, PipelineFileError
from airbyte_pipeline.yaml_lines import FieldPath, YamlDocument, dotted

PLACEHOLDER = re.compile(r"\$(\$?)\{([^}]*)\}")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (`export ` allowed, `#` comments, values optionally in quotes)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PipelineFileError([Problem(None, "env_file", f"cannot read {path}: {error.strerror}")]) from None
    problems = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = ENV_LINE.match(line)
        if not match:
            problems.append(Problem(None, "env_file", f"{path} line {number} is not KEY=VALUE"))
            continue
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[match.group(1)] = value
    if problems:
        raise PipelineFileError(problems)
    return values


def placeholders(data: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """(path, variable name) of every ${...} in the strings of `data` (`$${` excluded)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from placeholders(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from placeholders(value, (*path, index))
    elif isinstance(data, str):
        for escaped, name in PLACEHOLDER.findall(data):
            if not escaped:
                yield path, name


def check_placeholders(document: YamlDocument, env: Mapping[str, str]) -> list[Problem]:
    """A ${...} whose name is not a variable name, or whose variable is not set."""
    problems = []
    for path, name in placeholders(document.data):
        if not VARIABLE_NAME.match(name):
            problems.append(Problem(document.line_of(path), dotted(path),
                                    f"'${{{name}}}' is not a variable name (letters, digits and _); "
                                    "write $${ for a literal ${"))
        elif name not in env:
            problems.append(Problem(document.line_of(path), dotted(path),
                                    f"environment variable {name} is not set (nor in env_file)"))
    return problems


def substitute(data: Any, env: Mapping[str, str], secrets: set[str]) -> Any:
    """A copy of `data` with every ${VAR} replaced; each value used is added to `secrets`."""
    if isinstance(data, dict):
        return {key: substitute(value, env, secrets) for key, value in data.items()}
    if isinstance(data, list):
        return [substitute(value, env, secrets) for value in data]
    if isinstance(data, str):
        def replace(match: re.Match) -> str:
            if match.group(1):
                return "${" + match.group(2) + "}"
            secrets.add(env[match.group(2)])
            return env[match.group(2)]

        return PLACEHOLDER.sub(replace, data)
    return data
