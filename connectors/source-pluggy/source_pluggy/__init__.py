"""Airbyte source for the Pluggy open-finance API. `SourcePluggy` is imported on first use, so that `spec` starts without the CDK (see run.py)."""

from typing import Any

__all__ = ["SourcePluggy"]


def __getattr__(name: str) -> Any:
    if name == "SourcePluggy":
        from source_pluggy.source import SourcePluggy

        return SourcePluggy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
