"""The CDK's declarative engine as the kit runs it: each stream's cursor told of records per partition
(observe.py), and the records waiting for the main thread bounded (flow.py).

Both go through public API: `streams()` returns the engine's streams with their cursor wrapped (every stream the
engine reads comes from it), and `read()` counts each record message the main thread hands on.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Mapping, Optional

from airbyte_cdk.models import AirbyteMessage, AirbyteStateMessage, ConfiguredAirbyteCatalog, Type
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream

from connector_kit.flow import RecordFlow
from connector_kit.observe import ObservedStream


class KitEngine(ConcurrentDeclarativeSource):
    record_flow: Optional[RecordFlow] = None  # the current read's

    def streams(self, config: Mapping[str, Any]) -> List[Any]:  # type: ignore[override]
        return [ObservedStream(stream, self.record_flow) if isinstance(stream, DefaultStream) else stream
                for stream in super().streams(config)]

    def read(self, logger: Any, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog,
             state: Optional[List[AirbyteStateMessage]] = None) -> Iterator[AirbyteMessage]:
        flow = self.record_flow = RecordFlow()
        try:
            for message in super().read(logger, config, catalog, state):
                yield message
                if message.type == Type.RECORD:
                    flow.handed_on_one()  # once the caller asks for the next message: this one is written
        finally:
            flow.close()
