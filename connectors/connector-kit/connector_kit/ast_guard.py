"""One thread at a time in `ast.parse` on the Pythons whose AST constructor shares its depth count between threads.

CPython 3.11.0-3.11.7 and 3.12.0-3.12.1 keep the AST constructor's recursion depth in state that all threads share (python/cpython#106905).
When a garbage collection run inside `ast.parse` lets another thread parse too, the constructor fails with
`SystemError: AST constructor recursion depth mismatch`. The CDK's interpolation calls `ast.literal_eval` (which
parses) for every templated value, from the concurrent read's worker threads, so a sync could fail at random.
`ast.literal_eval` looks `parse` up in the `ast` module at each call, so one lock around `ast.parse` serialises
both; the strings it parses are short. 3.11.8 and 3.12.2 keep the depth per call (python/cpython#113035) and are
left alone: Airbyte's connector base images are past them; a virtualenv on an older patch release is not.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
from typing import Any

_LOCK = threading.Lock()


def affected(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> bool:
    return version < (3, 11, 8) or (3, 12) <= version < (3, 12, 2)


def serialize_ast_parse() -> None:
    """Install the lock once per process (idempotent); a no-op where the interpreter is not affected."""
    if not affected() or getattr(ast.parse, "serialized", False):
        return
    unguarded = ast.parse

    @functools.wraps(unguarded)  # keeps the docs, and the unguarded parse as __wrapped__
    def parse(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return unguarded(*args, **kwargs)

    parse.serialized = True  # type: ignore[attr-defined]
    ast.parse = parse
