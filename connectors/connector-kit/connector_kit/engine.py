"""The CDK's declarative engine as the kit runs it: each stream's cursor told of records per partition
(observe.py), the records waiting for the main thread bounded (flow.py), and the streams read in the manifest's order.

All through public API: `streams()` returns the engine's streams with their cursor wrapped (every stream the engine
reads comes from it); `read()` counts each record message the main thread hands on, and hands the engine the
catalog in the order of the manifest's `streams`. Why the order: the CDK starts streams in the catalog's order, at
most `num_workers // 2` at once, and runs their partitions in the order they were made; a manifest knows which of
its streams must start first for its vendor's limits (source-pluggy: the longest chain of calls, bench/SCALE.md),
a catalog's order is whatever the platform sent.
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
            for message in super().read(logger, config, self.in_manifest_order(catalog), state):
                yield message
                if message.type == Type.RECORD:
                    flow.handed_on_one()  # once the caller asks for the next message: this one is written
        finally:
            flow.close()

    def in_manifest_order(self, catalog: ConfiguredAirbyteCatalog) -> ConfiguredAirbyteCatalog:
        """The catalog's streams in the order the manifest declares them (others after them, as they came)."""
        names = [stream.get("name") for stream in self.resolved_manifest.get("streams", [])
                 if isinstance(stream, Mapping)]
        rank = {name: index for index, name in enumerate(names) if isinstance(name, str)}
        ordered = sorted(catalog.streams, key=lambda configured: rank.get(configured.stream.name, len(rank)))
        return ConfiguredAirbyteCatalog(streams=ordered)
