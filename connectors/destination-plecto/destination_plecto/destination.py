"""DestinationPlecto: `spec` (spec.json), `check` and `write` wiring config, client and writer."""

from __future__ import annotations

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
from destination_plecto.data_sources import check_data_sources, prepare_streams
from destination_plecto.protocol import dump, parse_lines
from destination_plecto.writer import PlectoWriter

logger = logging.getLogger("airbyte")


class DestinationPlecto(Destination):
    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Authenticate (Basic auth), confirm that every mapped data source exists for this employee, and compare
        the fields of explicit `fields` mappings with the data source's (data_sources.check_data_sources)."""
        try:
            parsed = PlectoConfig.parse(config)
            # check answers quickly: at most one retry, at most 30 s per call
            client = PlectoClient(parsed, logger, max_retries=min(parsed.http.max_retries, 1),
                                  read_timeout_seconds=min(parsed.http.read_timeout_seconds, 30.0))
            try:
                findings = check_data_sources(parsed, client, logger)
            except PlectoError as error:
                if error.status is not None:
                    raise
                raise PlectoError(f"Cannot reach Plecto at config field 'base_url' ({parsed.base_url}): "
                                  f"{error.message} Check the URL and the network.") from error
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        for warning in findings.warnings:
            logger.warning(warning)
        for note in findings.notes:
            logger.info(note)
        if findings.failures:
            return AirbyteConnectionStatus(status=Status.FAILED, message=" ".join(findings.failures))
        return AirbyteConnectionStatus(status=Status.SUCCEEDED,
                                       message=" ".join(findings.warnings + findings.notes) or None)

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        """Upsert every record as a registration; yield each STATE only once every record before it is stored
        in Plecto (or deleted, or skipped under `on_invalid_record: skip`). See writer.PlectoWriter.
        First each data source is found or created (by title) and its fields compared with the mapping's."""
        parsed = PlectoConfig.parse(config)
        streams = resolve_streams(parsed, configured_catalog)  # unmapped streams fail here, before any call
        client = PlectoClient(parsed, logger)
        streams = prepare_streams(parsed, streams, client, logger)
        yield from PlectoWriter(parsed, streams, client, logger).write(input_messages)

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        """spec.json, plus the HTTP settings every connector of the repo shares (connector_kit.settings)."""
        return ConnectorSpecificationSerializer.load(packaged_spec_document("destination_plecto"))

    def run(self, args: List[str]) -> None:
        # The kit's loop reads stdin for `write`: parse_lines and dump keep the platform's state `id` on the way in
        # and out (protocol.py explains why).
        run_destination(self, args, dump, parse=parse_lines)
