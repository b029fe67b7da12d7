"""A declarative source packaged as Python: the package's manifest.yaml, run by the CDK's engine.

`ManifestSource` is the `Source` each of the three source packages subclasses. It builds the CDK's
`ConcurrentDeclarativeSource` only once the command's config, catalog and state are known, because CDK 7
reads them at construction only (state given to `read()` alone is ignored). That covers every caller through
public API: the CLI (which passes them to the constructor), and the standard tests and other in-process
runners that build `SourceX()` bare and hand config, catalog and state to each protocol method.

Before the engine sees the manifest, `prepare_manifest` may adapt it to the run (a documented, pure step on
the YAML, not on CDK internals): the kit replaces the manifest's timeouts with the config's, and a source may
add its own (Protime narrows the OAuth scope to the selected streams).
"""

from __future__ import annotations

import ast
import copy
import logging
from functools import cached_property
from typing import Any, ClassVar, Iterator, List, Mapping, MutableMapping, Optional

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    ConnectorSpecificationSerializer,
)
from airbyte_cdk.sources import Source

from connector_kit.manifest import load_manifest, resolve, stream_name, streams
from connector_kit.settings import HttpSettings
from connector_kit.spec import manifest_spec_document


def _replace_keys(node: Any, values: Mapping[str, Any]) -> None:
    if isinstance(node, MutableMapping):
        for key in list(node):
            if key in values:
                node[key] = values[key]
            else:
                _replace_keys(node[key], values)
    elif isinstance(node, list):
        for item in node:
            _replace_keys(item, values)


def unquoted(message: str) -> str:
    """The text of a failed check's reason. The CDK's declarative `check` reports its CheckStream's reason as
    `repr(reason)` ('...' with escapes; pinned in test_cdk_pins.py): the text itself, where `message` is exactly the
    repr of a string; any other message as it is. The CheckStream's reason is reachable only through `check`, so
    this undoes the repr rather than run the checker outside the CDK's own `check`."""
    try:
        text = ast.literal_eval(message)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return message
    return text if isinstance(text, str) and repr(text) == message else message


class ManifestSource(Source):
    package: ClassVar[str]  # the Python package that ships manifest.yaml, e.g. "source_pluggy"
    # What the package's components learn during one sync and keep at class level (the CDK builds them per stream):
    # each has a `forget()`, called as each command builds its engine, so a sync starts knowing nothing.
    sync_memories: ClassVar[tuple[Any, ...]] = ()

    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> None:
        self.catalog = catalog
        self.config = dict(config) if config else None
        self.state = state
        self._engine: Any = None

    # ---- the manifest -----------------------------------------------------------------------------------
    @cached_property
    def manifest(self) -> dict[str, Any]:
        return load_manifest(self.package)

    def prepare_manifest(self, manifest: dict[str, Any], config: Mapping[str, Any],
                         catalog: Optional[ConfiguredAirbyteCatalog]) -> dict[str, Any]:
        """The manifest for this run. Subclasses extend it (and call super)."""
        settings = HttpSettings.from_config(config)
        _replace_keys(manifest, {"read_timeout_in_seconds": settings.read_timeout_seconds,
                                 "connect_timeout_in_seconds": settings.connect_timeout_seconds})
        return manifest

    # ---- the CDK engine, built for the command --------------------------------------------------------------
    def engine(self, config: Optional[Mapping[str, Any]] = None, catalog: Optional[ConfiguredAirbyteCatalog] = None,
               state: Optional[List[AirbyteStateMessage]] = None) -> Any:
        """The ConcurrentDeclarativeSource for these inputs (what the constructor got, unless given here)."""
        from connector_kit.engine import KitEngine  # the CDK's engine, its cursors observed per partition

        for memory in self.sync_memories:
            memory.forget()
        config = dict(config) if config is not None else dict(self.config or {})
        catalog = catalog if catalog is not None else self.catalog
        state = state if state is not None else self.state
        manifest = self.prepare_manifest(copy.deepcopy(self.manifest), config, catalog)
        self._engine = self.build_engine(KitEngine, manifest, config, catalog, state)
        return self._engine

    def build_engine(self, engine_class: Any, manifest: dict[str, Any], config: Mapping[str, Any],
                     catalog: Optional[ConfiguredAirbyteCatalog], state: Optional[List[AirbyteStateMessage]]) -> Any:
        """Subclasses that extend the engine (Protime's delta streams) pass their own engine class."""
        return engine_class(catalog=catalog, config=config, state=state, source_config=manifest)

    @property
    def message_repository(self) -> Any:
        """The engine's queue of messages (logs, states) that the entry point flushes after each command."""
        return self._engine.message_repository if self._engine is not None else None

    # ---- the protocol ---------------------------------------------------------------------------------------
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        # Read from the manifest directly: `spec` needs no engine (see connector_kit.spec).
        return ConnectorSpecificationSerializer.load(manifest_spec_document(self.manifest["spec"]))

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        return config

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        status = self.engine(config).check(logger, config)
        if status.message:
            status.message = unquoted(status.message)
        return status

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        return self.engine(config).discover(logger, config)

    def read(self, logger: logging.Logger, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog,
             state: Optional[List[AirbyteStateMessage]] = None) -> Iterator[AirbyteMessage]:
        yield from self.engine(config, catalog, state).read(logger, config, catalog, state)

    def stream_names(self) -> list[str]:
        """The streams the manifest declares, as the CDK resolves them (no engine needed)."""
        return [stream_name(stream) for stream in streams(resolve(self.manifest))]
