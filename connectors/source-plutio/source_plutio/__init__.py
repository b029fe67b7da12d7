"""Airbyte source for the Plutio API. `SourcePlutio` is imported on first use, so that `spec` starts without the CDK (see run.py)."""

from typing import Any

__all__ = ["SourcePlutio"]


def __getattr__(name: str) -> Any:
    if name == "SourcePlutio":
        from source_plutio.source import SourcePlutio

        return SourcePlutio
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
