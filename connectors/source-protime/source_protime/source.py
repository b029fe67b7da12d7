"""SourceProtime: the declarative manifest, plus what depends on the catalog and the config at run time.

- The OAuth scope list is derived from the selected streams (each stream names its scope in `$parameters`);
  without a catalog (spec, check, discover) the token asks for the scopes of every stream.
- With `incremental_mode: delta` (default), streams marked `delta: true` in the manifest that sync
  incrementally (or are discovered) are swapped for the delta reader of delta.py.
- `external_references` entries are validated here with a message naming the entry.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from typing import Any, Iterator, List, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
    SyncMode,
)
from airbyte_cdk.sources.declarative.models.declarative_component_schema import HttpRequester as HttpRequesterModel
from airbyte_cdk.sources.declarative.parsers.manifest_component_transformer import ManifestComponentTransformer
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_protime.delta import DeltaSettings, build_delta_stream

logger = logging.getLogger("airbyte")

_COLLECTION = re.compile(r"^[a-z][a-z-]*[a-z]$")
_FORBIDDEN_IN_REFERENCE = set("(),")


def external_reference_errors(config: Mapping[str, Any]) -> List[str]:
    """Problems of the `external_references` config, one sentence per malformed entry (empty when valid)."""
    entries = config.get("external_references") or []
    if not isinstance(entries, list):
        return ["`external_references` must be a list of {collection, reference} objects."]
    errors = []
    for index, entry in enumerate(entries):
        where = f"`external_references[{index}]`"
        if not isinstance(entry, Mapping):
            errors.append(f"{where} must be an object with `collection` and `reference`, got {entry!r}.")
            continue
        collection, reference = entry.get("collection"), entry.get("reference")
        if not isinstance(collection, str) or not _COLLECTION.match(collection):
            errors.append(f"{where}: `collection` must be a Protime collection name such as `people`, got {collection!r}.")
        if not isinstance(reference, str) or not reference.strip() or _FORBIDDEN_IN_REFERENCE & set(reference):
            errors.append(f"{where}: `reference` must be a reference name such as `@badge-number` or `HRMID`, "
                          f"without parentheses or commas, got {reference!r}.")
    return errors


class SourceProtime(YamlDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
        **kwargs: Any,
    ) -> None:
        self._catalog = catalog
        self._built_with_config = bool(config)
        super().__init__(path_to_yaml="manifest.yaml", catalog=catalog, config=config, state=state, **kwargs)
        scopes = self.required_scopes()
        if scopes:
            _set_scope(self._source_config, " ".join(scopes))

    # ---- late configuration ------------------------------------------------------------------------------
    # The declarative engine reads config, catalog and state from the constructor only. run.py passes them
    # there; callers that build `SourceProtime()` bare and hand them to the protocol methods afterwards (the
    # standard tests, PyAirbyte's in-process runners) get the source rebuilt with them before anything runs.
    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        config = super().configure(config, temp_dir)
        if not self._built_with_config and config:
            SourceProtime.__init__(self, catalog=self._catalog, config=config)
        return config

    def read(self, logger: logging.Logger, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog,
             state: Optional[List[AirbyteStateMessage]] = None) -> Iterator[AirbyteMessage]:
        if self._catalog is None and catalog is not None:
            SourceProtime.__init__(self, catalog=catalog, config=config or self._config, state=state)
        yield from super().read(logger, config, catalog, state)

    # ---- catalog-dependent pieces ------------------------------------------------------------------------
    def _stream_parameters(self) -> dict[str, Mapping[str, Any]]:
        return {s.get("name"): s.get("$parameters", {}) for s in self._source_config.get("streams", [])}

    def _sync_modes(self) -> Optional[dict[str, SyncMode]]:
        if self._catalog is None or not self._catalog.streams:
            return None
        return {c.stream.name: c.sync_mode for c in self._catalog.streams}

    def required_scopes(self) -> List[str]:
        """Scopes of the selected streams, in manifest order; empty when the catalog is unknown (keep all)."""
        modes = self._sync_modes()
        if modes is None:
            return []
        scopes: List[str] = []
        for name, parameters in self._stream_parameters().items():
            scope = parameters.get("scope")
            if name in modes and scope and scope not in scopes:
                scopes.append(scope)
        return scopes

    # ---- streams -----------------------------------------------------------------------------------------
    def streams(self, config: Mapping[str, Any]) -> List[AbstractStream]:  # type: ignore[override]
        errors = external_reference_errors(self._config)
        if errors:
            raise AirbyteTracedException(message=" ".join(errors), failure_type=FailureType.config_error)
        streams = super().streams(config)
        if (self._config.get("incremental_mode") or "delta") != "delta":
            return streams
        modes = self._sync_modes()
        parameters = self._stream_parameters()
        result: List[AbstractStream] = []
        for stream in streams:
            params = parameters.get(stream.name, {})
            incremental = modes is None or modes.get(stream.name) == SyncMode.incremental
            result.append(self._delta_stream(stream, params) if params.get("delta") and incremental else stream)
        return result

    def _delta_stream(self, declarative: AbstractStream, params: Mapping[str, Any]) -> AbstractStream:
        definition = deepcopy(self._source_config["definitions"]["delta_requester"])
        definition["$parameters"] = {"name": declarative.name, "path": params["path"], "scope": params["scope"]}
        definition = ManifestComponentTransformer().propagate_types_and_parameters("", definition, {})
        requester = self._constructor.create_component(HttpRequesterModel, definition, self._config,
                                                       name=declarative.name)
        date_filtered = "incremental_sync" in self._stream_config(declarative.name)
        settings = DeltaSettings(
            stream_name=declarative.name,
            collection=params["path"],
            start_date=self._config.get("start_date") if date_filtered else None,
        )
        state = self._connector_state_manager.get_stream_state(declarative.name, None)
        return build_delta_stream(settings, requester, declarative.get_json_schema, state,
                                  self._message_repository, self.logger)

    def _stream_config(self, name: str) -> Mapping[str, Any]:
        return next((s for s in self._source_config.get("streams", []) if s.get("name") == name), {})

    # ---- check -------------------------------------------------------------------------------------------
    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        errors = external_reference_errors(self._config)
        if errors:
            return AirbyteConnectionStatus(status=Status.FAILED, message=" ".join(errors))
        try:
            return super().check(logger, config)
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message or str(error))


def _set_scope(node: Any, scope: str) -> None:
    """Replace the `scope` of every OAuth refresh body in the resolved manifest."""
    if isinstance(node, dict):
        body = node.get("refresh_request_body")
        if isinstance(body, dict) and "scope" in body:
            body["scope"] = scope
        for value in node.values():
            _set_scope(value, scope)
    elif isinstance(node, list):
        for value in node:
            _set_scope(value, scope)
