"""The Plutio source: the declarative manifest, plus the budget's wait logging (see components.py)."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional

from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.streams.call_rate import HttpAPIBudget

from source_plutio.components import PacedHTTPAPIBudget


class SourcePlutio(YamlDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> None:
        super().__init__(path_to_yaml="manifest.yaml", catalog=catalog, config=config, state=state)

    def _prepare_for_stream_build(self) -> None:
        # The manifest's `api_budget` can only be the stock HTTPAPIBudget, which logs its waits at DEBUG.
        # Swap in the subclass that says at INFO how long a paced call waits (same policies, same state).
        super()._prepare_for_stream_build()
        budget = getattr(getattr(self, "_constructor", None), "_api_budget", None)
        if type(budget) is HttpAPIBudget:
            budget.__class__ = PacedHTTPAPIBudget
