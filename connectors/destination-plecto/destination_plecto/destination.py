"""DestinationPlecto: `spec` (spec.json), `check` and `write` wiring config, client and writer."""

from __future__ import annotations

import io
import logging
from typing import Any, Iterable, List, Mapping

from airbyte_cdk.destinations import Destination
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    ConnectorSpecificationSerializer,
    Status,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from connector_kit.entrypoint import run_destination
from connector_kit.spec import packaged_spec_document

from destination_plecto.client import PlectoClient, PlectoError
from destination_plecto.config import PlectoConfig, resolve_streams
from destination_plecto.protocol import dump, parse_lines
from destination_plecto.writer import PlectoWriter

logger = logging.getLogger("airbyte")


class DestinationPlecto(Destination):
    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Authenticate (Basic auth) and confirm that every mapped data source exists for this employee."""
        try:
            parsed = PlectoConfig.parse(config)
            # check answers quickly: at most one retry, at most 30 s per call
            client = PlectoClient(parsed, logger, max_retries=min(parsed.http.max_retries, 1),
                                  read_timeout_seconds=min(parsed.http.read_timeout_seconds, 30.0))
            try:
                listed = {str(ds.get("uuid") or ds.get("id") or "").replace("-", "").lower()
                          for ds in client.list_data_sources()}
            except PlectoError as error:
                if error.status is not None:
                    raise
                raise PlectoError(f"Cannot reach Plecto at config field 'base_url' ({parsed.base_url}): "
                                  f"{error.message} Check the URL and the network.") from error
            missing = []
            for index, mapping in enumerate(parsed.streams):
                if mapping.data_source in listed or client.get_data_source(mapping.data_source) is not None:
                    continue
                missing.append(f"'streams[{index}].data_source' {mapping.data_source} (stream '{mapping.stream}')")
            if missing:
                return AirbyteConnectionStatus(
                    status=Status.FAILED,
                    message=f"Data source(s) not found: {', '.join(missing)}. Copy the UUID from the data source's URL "
                            "in Plecto (Data management > Data sources) and make sure this employee can access it.")
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        """Upsert every record as a registration; yield each STATE only once every record before it is stored
        in Plecto (or deleted, or skipped under `on_invalid_record: skip`). See writer.PlectoWriter."""
        parsed = PlectoConfig.parse(config)
        streams = resolve_streams(parsed, configured_catalog)  # unmapped streams fail here, before any write
        client = PlectoClient(parsed, logger)
        yield from PlectoWriter(parsed, streams, client, logger).write(input_messages)

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        """spec.json, plus the HTTP settings every connector of the repo shares (connector_kit.settings)."""
        return ConnectorSpecificationSerializer.load(packaged_spec_document("destination_plecto"))

    # Keep the platform's state `id` on the way in and out (protocol.py explains why).
    def _parse_input_stream(self, input_stream: io.TextIOWrapper) -> Iterable[AirbyteMessage]:
        return parse_lines(input_stream, logger)

    def run(self, args: List[str]) -> None:
        run_destination(self, args, dump)
