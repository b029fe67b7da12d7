"""SourcePluggy: the declarative manifest (manifest.yaml) run by the CDK, through connector_kit.

Two additions (ManifestSource hooks):
- each command starts with what a sync learns about its items forgotten (`components.SyncItems`);
- `check` with `item_ids`: after the manifest's check, the item listing is read through and every configured item
  must be in it (the check stream's first record alone cannot tell), so an unknown id fails `check` by name.
"""

import logging
from typing import Any, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteStream,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    FailureType,
    Status,
    SyncMode,
    TraceType,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from connector_kit.declarative import ManifestSource

from source_pluggy.components import SyncItems


class SourcePluggy(ManifestSource):
    package = "source_pluggy"
    sync_memories = (SyncItems,)

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        status = super().check(logger, config)
        if status.status != Status.SUCCEEDED or not config.get("item_ids"):
            return status
        problem = self._unlisted_items(logger, config)
        return AirbyteConnectionStatus(status=Status.FAILED, message=problem) if problem else status

    def _unlisted_items(self, logger: logging.Logger, config: Mapping[str, Any]) -> Optional[str]:
        """The config error of a read of the item listing (the `items` stream, whose paginator checks `item_ids`)."""
        items = ConfiguredAirbyteStream(
            stream=AirbyteStream(name="items", json_schema={}, supported_sync_modes=[SyncMode.full_refresh]),
            sync_mode=SyncMode.full_refresh, destination_sync_mode=DestinationSyncMode.overwrite)
        catalog = ConfiguredAirbyteCatalog(streams=[items])
        try:
            for message in self.engine(config, catalog).read(logger, config, catalog, None):
                error = message.trace.error if message.trace and message.trace.type == TraceType.ERROR else None
                if error is not None and error.failure_type == FailureType.config_error:
                    return error.message
        except AirbyteTracedException as error:
            if error.failure_type == FailureType.config_error and error.message:
                return error.message
        return None
