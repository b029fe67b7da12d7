"""Airbyte source for the myProtime connector API. `SourceProtime` is imported on first use, so that `spec` starts without the CDK (see run.py)."""

from typing import Any

__all__ = ["SourceProtime"]


def __getattr__(name: str) -> Any:
    if name == "SourceProtime":
        from source_protime.source import SourceProtime

        return SourceProtime
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
