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
