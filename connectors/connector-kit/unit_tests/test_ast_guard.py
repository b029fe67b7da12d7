"""`ast.parse` one thread at a time on Python 3.11 (connector_kit.ast_guard; test_entrypoint.py checks that
source_main installs it).

The race, made deterministic: a collection that starts inside thread A's AST construction runs a finalizer, which
lets thread B parse; B resets the depth counter the threads share, and A fails with `SystemError: AST constructor
recursion depth mismatch`. CI saw that error in a Plutio read (the CDK's interpolation parses from the read's
worker threads).
"""

from __future__ import annotations

import ast
import gc
import threading
from typing import Any

import pytest
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString

from connector_kit.ast_guard import affected, serialize_ast_parse

shared_depth_only = pytest.mark.skipif(not affected(), reason="this Python keeps the AST depth per call")

# Some 500 AST nodes: a collection set to start after 40 new objects starts while they are being built.
LARGE = repr([[[i, [i, (i, {"k": [i]})]]] for i in range(40)])


def _parse_while_another_thread_parses() -> tuple[Any, threading.Thread]:
    """Parse LARGE in this thread; a finalizer run by a collection inside that parse starts a second parse in
    another thread and gives it half a second. Returns this thread's result (or its SystemError) and the other."""
    others: list[threading.Thread] = []

    class Finalized:
        def __del__(self) -> None:
            other = threading.Thread(target=ast.literal_eval, args=("[1, [2]]",))
            other.start()
            other.join(timeout=0.5)  # with the guard it waits for this thread's parse, so do not wait forever
            others.append(other)

    threshold = gc.get_threshold()
    gc.collect()
    gc.disable()
    garbage = Finalized()
    garbage.me = garbage  # a cycle: only a collection frees it, running __del__
    del garbage
    gc.set_threshold(40)
    gc.enable()
    try:
        result: Any = ast.literal_eval(LARGE)
    except SystemError as error:
        result = error
    finally:
        gc.set_threshold(*threshold)
    [other] = others
    other.join(timeout=5)
    return result, other


@shared_depth_only
def test_given_python_3_11_without_the_guard_then_a_parse_in_another_thread_breaks_this_one(monkeypatch):
    # The interpreter bug the guard exists for (python/cpython#106905): if this fails, the guard can go.
    monkeypatch.setattr(ast, "parse", getattr(ast.parse, "__wrapped__", ast.parse))
    result, _ = _parse_while_another_thread_parses()
    assert isinstance(result, SystemError) and "AST constructor recursion depth mismatch" in str(result)


@shared_depth_only
def test_given_the_guard_then_the_other_thread_waits_and_both_parses_succeed():
    serialize_ast_parse()
    result, other = _parse_while_another_thread_parses()
    assert result == [[[i, [i, (i, {"k": [i]})]]] for i in range(40)]
    assert not other.is_alive()


def test_given_an_interpolated_value_then_the_cdk_parses_it_through_ast_parse(monkeypatch):
    # CDK pin: interpolation evaluates its result with ast.literal_eval, which calls ast.parse (what the guard holds).
    parsed: list[str] = []
    real = ast.parse
    monkeypatch.setattr(ast, "parse", lambda source, *a, **k: parsed.append(source) or real(source, *a, **k))
    assert InterpolatedString.create("{{ 40 + 2 }}", parameters={}).eval({}) == 42
    assert parsed == ["42"]


@pytest.mark.parametrize(("version", "shared_depth"), [
    ((3, 10, 14), True), ((3, 11, 7), True), ((3, 11, 8), False), ((3, 12, 1), True), ((3, 12, 2), False), ((3, 13, 0), False)])
def test_given_a_python_version_then_the_guard_applies_only_where_the_depth_is_shared(version, shared_depth):
    assert affected(version) is shared_depth
