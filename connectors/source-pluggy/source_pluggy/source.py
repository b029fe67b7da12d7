"""SourcePluggy: the declarative manifest (manifest.yaml) packaged as a Python source."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from airbyte_cdk.models import ConfiguredAirbyteCatalog
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.source import TState


class SourcePluggy(YamlDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[TState] = None,
    ) -> None:
        # CDK 7: state is only honoured when given to the constructor, never to read() alone.
        super().__init__(path_to_yaml="manifest.yaml", catalog=catalog, config=config, state=state)

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        # Built bare (the standard tests call SourcePluggy() and pass --config to each command): CDK 7
        # interpolates every component from the constructor's config, so adopt the command's one.
        if not self._config and config:
            self._config = dict(config)
            self._config_for_validation = self._config
        return super().configure(config, temp_dir)
