"""SourceProtime: the declarative manifest, plus what depends on the catalog and the config at run time.

Three ManifestSource hooks (connector_kit.declarative), each documented where it is:
- `prepare_manifest`: the OAuth scope list becomes the selected streams' scopes;
- `discover` and `read`: with `incremental_mode: delta` (default), the delta-capable streams sync from Protime's
  change feed (delta.py) instead of the manifest's reader.
"""

import copy
import logging
from typing import Any, Iterator, List, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    StreamDescriptor,
    SyncMode,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
# The CDK's closing exception after stream failures (the entry point composes its report from the streams' own).
from connector_kit.cdk_texts import READ_FAILURE_SUMMARY as SUMMARY
from connector_kit.cdk_texts import is_read_failure_summary as _is_summary
from connector_kit.declarative import ManifestSource
from connector_kit.entrypoint import overall_failure_type
from connector_kit.manifest import resolve

from source_protime.delta import CURSOR_FIELD, DeltaReader, DeltaSettings, delta_requester


class SourceProtime(ManifestSource):
    package = "source_protime"

    # ---- the manifest for this run ----------------------------------------------------------------------------
    def prepare_manifest(self, manifest: dict[str, Any], config: Mapping[str, Any],
                         catalog: Optional[ConfiguredAirbyteCatalog]) -> dict[str, Any]:
        """The OAuth scope is the selected streams' scopes (each stream names its own in `$parameters`), so a client
        granted only some collections gets a token; without a catalog (spec, check, discover) it asks for all."""
        manifest = super().prepare_manifest(manifest, config, catalog)
        if catalog is not None and catalog.streams:
            selected = {c.stream.name for c in catalog.streams}
            scopes = [p["scope"] for name, p in self._parameters().items() if name in selected and p.get("scope")]
            if scopes:
                manifest["definitions"]["authenticator"]["request_body"]["scope"] = " ".join(dict.fromkeys(scopes))
        return manifest

    def _parameters(self) -> dict[str, Mapping[str, Any]]:
        return {s["name"]: s.get("$parameters", {}) for s in resolve(self.manifest)["streams"]}

    def _delta_names(self, config: Mapping[str, Any]) -> list[str]:
        """The streams that sync from the change feed when they sync incrementally."""
        if (config.get("incremental_mode") or "delta") != "delta":
            return []
        return [name for name, parameters in self._parameters().items() if parameters.get("delta")]

    # ---- the protocol -------------------------------------------------------------------------------------------
    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        """In delta mode, the delta-capable streams are incremental on `changeVersion` (the change feed's order)."""
        catalog = super().discover(logger, config)
        for stream in catalog.streams:
            if stream.name in self._delta_names(config):
                stream.supported_sync_modes = [SyncMode.full_refresh, SyncMode.incremental]
                stream.source_defined_cursor = True
                stream.default_cursor_field = [CURSOR_FIELD]
                stream.is_resumable = True
        return catalog

    def read(self, logger: logging.Logger, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog,
             state: Optional[List[AirbyteStateMessage]] = None) -> Iterator[AirbyteMessage]:
        """In delta mode, streams marked `delta: true` that sync incrementally are read by delta.py's reader (after
        the CDK engine has read the others); a failing stream does not stop the others."""
        deltas = {c.stream.name for c in catalog.streams
                  if c.stream.name in self._delta_names(config) and c.sync_mode == SyncMode.incremental}
        declarative = ConfiguredAirbyteCatalog(streams=[c for c in catalog.streams if c.stream.name not in deltas])
        engine_error: Optional[Exception] = None
        if declarative.streams:
            try:  # the engine is built for the whole catalog (one token with every selected stream's scope)
                yield from self.engine(config, catalog, state).read(logger, config, declarative, state)
            except Exception as error:  # noqa: BLE001 - the delta streams still run; the error is raised below
                engine_error = error
        failure_types: list[FailureType] = []
        if deltas:
            resolved = resolve(self.prepare_manifest(copy.deepcopy(self.manifest), config, catalog))
            windowed = {s["name"] for s in resolved["streams"] if "incremental_sync" in s}
            for name in sorted(deltas):
                parameters = self._parameters()[name]
                settings = DeltaSettings(stream_name=name, collection=parameters["collection"],
                                         start_date=config.get("start_date") if name in windowed else None)
                reader = DeltaReader(settings, delta_requester(resolved, config, name, parameters), state or [], logger)
                try:
                    yield from reader.read()
                except Exception as error:  # noqa: BLE001 - reported with its stream by the entry point
                    traced = _traced(error, StreamDescriptor(name=name))
                    failure_types.append(traced.failure_type)
                    yield traced.as_sanitized_airbyte_message()
        if failure_types:
            if engine_error is not None and not _is_summary(engine_error):
                traced = _traced(engine_error)
                failure_types.append(traced.failure_type)
                yield traced.as_sanitized_airbyte_message()
            raise AirbyteTracedException(message="Some streams did not sync; see their errors.",
                                         internal_message=SUMMARY, failure_type=overall_failure_type(failure_types))
        if engine_error is not None:
            raise engine_error


def _traced(error: Exception, stream: Optional[StreamDescriptor] = None) -> AirbyteTracedException:
    """The error as a TRACE-able exception that keeps the failure type the kit chose (`from_exception` alone makes
    every failure a system_error: a revoked credential would no longer ask the user to fix the credentials)."""
    kept = {"failure_type": error.failure_type} if isinstance(error, AirbyteTracedException) else {}
    return AirbyteTracedException.from_exception(error, stream_descriptor=stream, **kept)
