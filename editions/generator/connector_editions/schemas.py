"""A stream's JSON schema file with every `$ref` replaced by what it points to, the way the CDK loads it.

Same rules as the CDK's JsonFileSchemaLoader: a file ref (`reference.json`) names a file in `schemas/shared/`, a
pointer (`#/definitions/x`) points into the file that holds it; the referenced object replaces the `$ref` object
whole, without its `definitions`. (The repo test holds the result equal to the CDK's own loader's.)
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any


class BuildError(Exception):
    """An edition cannot be generated; the message says why (the file, the stream, what to change)."""


def inline_schema(path: Path, shared_dir: Path, display: str) -> dict[str, Any]:
    """The JSON schema at `path`, self-contained."""
    if not path.is_file():
        raise BuildError(f"schema file {display} is missing")
    document = _load_json(path, display)
    return _inline(document, path, document, shared_dir, display, ())


def _load_json(path: Path, display: str) -> Any:
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise BuildError(f"schema file {display} is not valid JSON: {error}") from error


def _inline(node: Any, path: Path, document: Any, shared_dir: Path, display: str, stack: tuple) -> Any:
    if isinstance(node, list):
        return [_inline(item, path, document, shared_dir, display, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {key: _inline(value, path, document, shared_dir, display, stack) for key, value in node.items()}
    file_part, _, pointer = ref.partition("#")
    target_path, target_document = path, document
    if file_part:
        target_path = shared_dir / file_part
        if not target_path.is_file():
            raise BuildError(f"{display}: $ref {ref!r} names {shown(target_path)}, which is missing "
                             f"(file $refs are resolved against the schemas' shared/ folder, as the CDK does)")
        target_document = _load_json(target_path, shown(target_path))
    key = (str(target_path.resolve()), pointer)
    if key in stack:
        raise BuildError(f"{display}: $ref {ref!r} is recursive and cannot be inlined")
    target = _json_pointer(target_document, pointer, ref, display)
    resolved = _inline(target, target_path, target_document, shared_dir, display, stack + (key,))
    if isinstance(resolved, dict):
        resolved.pop("definitions", None)
    return resolved


def _json_pointer(document: Any, pointer: str, ref: str, display: str) -> Any:
    node = document
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise BuildError(f"{display}: $ref {ref!r} points to nothing") from None
    return copy.deepcopy(node)


def shown(path: Path, base: Path | None = None) -> str:
    """`path` relative to `base` (default: the working directory) when inside it, else absolute."""
    try:
        return str(path.resolve().relative_to((base or Path.cwd()).resolve()))
    except ValueError:
        return str(path)
