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

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        # Built without a config (the standard tests call SourcePlutio() and pass --config to each command):
        # CDK 7 interpolates every component from the constructor's config, so adopt the command's one.
        if not self._config and config:
            self._config = dict(config)
            self._config_for_validation = self._config
        return super().configure(config, temp_dir)

    def _prepare_for_stream_build(self) -> None:
        # The manifest's `api_budget` can only be the stock HTTPAPIBudget, which logs its waits at DEBUG.
        # Swap in the subclass that says at INFO how long a paced call waits (same policies, same state).
        super()._prepare_for_stream_build()
        budget = getattr(getattr(self, "_constructor", None), "_api_budget", None)
        if type(budget) is HttpAPIBudget:
            budget.__class__ = PacedHTTPAPIBudget
