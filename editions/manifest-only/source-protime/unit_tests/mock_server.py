"""Running the edition's manifest against HttpMocker, in process (shared by every edition's unit tests)."""

import json
import logging
from typing import Any, Iterable, Mapping, Optional

from airbyte_cdk.models import AirbyteConnectionStatus, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder, ConfiguredAirbyteStreamBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.mock_http import HttpResponse
from conftest import get_source

LOGGER = logging.getLogger("airbyte")


def ok(body: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
    return HttpResponse(json.dumps(body) if not isinstance(body, str) else body, status, dict(headers or {}))


def catalog(*streams: str, incremental: Iterable[str] = ()):
    builder = CatalogBuilder()
    for name in streams:
        mode = SyncMode.incremental if name in incremental else SyncMode.full_refresh
        builder.with_stream(ConfiguredAirbyteStreamBuilder().with_name(name).with_sync_mode(mode))
    return builder.build()


def read_streams(config: Mapping[str, Any], *streams: str, incremental: Iterable[str] = (), state: Optional[list] = None,
                 expecting_exception: bool = False) -> EntrypointOutput:
    configured = catalog(*streams, incremental=incremental)
    return read(get_source(config, configured, state), dict(config), configured, state,
                expecting_exception=expecting_exception)


def check(config: Mapping[str, Any]) -> AirbyteConnectionStatus:
    return get_source(config).check(LOGGER, dict(config))


def records(output: EntrypointOutput, stream: str) -> list[dict[str, Any]]:
    return [message.record.data for message in output.records if message.record.stream == stream]


def failures(output: EntrypointOutput) -> list[tuple[str, str]]:
    """(failure type, message) of each error TRACE."""
    return [(str(m.trace.error.failure_type.value), m.trace.error.message) for m in output.errors]
