"""Airbyte destination writing Plecto registrations. `DestinationPlecto` is imported on first use, so that `spec` starts without the CDK (see run.py)."""

from typing import Any

__all__ = ["DestinationPlecto"]


def __getattr__(name: str) -> Any:
    if name == "DestinationPlecto":
        from destination_plecto.destination import DestinationPlecto

        return DestinationPlecto
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
