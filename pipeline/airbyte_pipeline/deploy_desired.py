"""What a pipeline file asks of an Airbyte workspace, before anything is called: a definition per connector, a
source per pipeline source, and (self-managed only) a destination and a connection per push to Plecto.

    pipeline file                       Airbyte
    sources.<key>.connector             a source definition (Cloud edition, manifest-only edition or image)
    sources.<key>.config                a source '<pipeline>.<key>' with that configuration
    plecto.config + plecto.streams[i]   a destination-plecto destination per push, with that push's mapping
    plecto.streams[i] (source, stream)  a connection per push: that stream, its sync mode, cursor and primary key
    schedule                            each connection's cron schedule (UTC); manual without one

Sync modes come from the installed connector's own `discover` (the catalog the local runner reads with), by the
rule the local runner follows: incremental on the default cursor where the stream supports it, deduplicated on
the primary key when it has one; else a full refresh that overwrites.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional

from airbyte_pipeline.connector_specs import SpecUnavailable, connector_spec, secret_paths
from airbyte_pipeline.connector_streams import StreamsUnavailable, discovered_catalog
from airbyte_pipeline.deploy_editions import CLOUD, MANIFEST_ONLY, Edition, EditionError, read_edition
from airbyte_pipeline.deploy_target import DESTINATION, DeployTarget, Image
from airbyte_pipeline.pipeline_file import Pipeline, Push, Source

# The CDK's config keys for a declarative source's custom code (airbyte_cdk ... custom_code_compiler): Airbyte's
# public API has no field for components.py, so a manifest-only edition's code travels in each source's config.
INJECTED_COMPONENTS = "__injected_components_py"
INJECTED_CHECKSUMS = "__injected_components_py_checksums"
FieldPath = tuple[Any, ...]


class DesiredStateError(Exception):
    """The file cannot be deployed as it is; the message names the cause."""


@dataclass(frozen=True)
class DesiredDefinition:
    key: str  # the connector's name: source-pluggy, destination-plecto
    role: str  # source | destination
    type: str  # declarative | docker
    name: str
    manifest: Optional[dict[str, Any]] = None
    image: Optional[Image] = None
    edition: Optional[Edition] = None

    def describe(self) -> str:
        if self.type == "docker":
            return f"Docker image {self.image}"
        size = len(json.dumps(self.manifest)) / 1000
        return f"{self.edition.kind if self.edition else ''} manifest ({size:.0f} kB)"


@dataclass(frozen=True)
class DesiredActor:
    role: str  # source | destination
    key: str  # the pipeline source's key, or the push's label (source.stream)
    name: str
    definition: str  # DesiredDefinition.key
    config: dict[str, Any] = field(repr=False)
    secret_paths: tuple[FieldPath, ...] = ()


@dataclass(frozen=True)
class DesiredStream:
    name: str
    sync_mode: str
    cursor_field: tuple[str, ...] = ()
    primary_key: tuple[tuple[str, ...], ...] = ()

    def as_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "syncMode": self.sync_mode}
        if self.cursor_field:
            body["cursorField"] = list(self.cursor_field)
        if self.primary_key:
            body["primaryKey"] = [list(key) for key in self.primary_key]
        return body

    def describe(self) -> str:
        text = f"{self.name} {self.sync_mode}"
        if self.cursor_field:
            text += f", cursor {'.'.join(self.cursor_field)}"
        if self.primary_key:
            text += f", key {', '.join('.'.join(key) for key in self.primary_key)}"
        return text


@dataclass(frozen=True)
class DesiredConnection:
    key: str  # the push's label
    name: str
    source: str  # DesiredActor.key of the source
    destination: str  # DesiredActor.key of the destination
    streams: tuple[DesiredStream, ...]
    schedule: Optional[str]  # Quartz cron, UTC; None: manual

    def schedule_api(self) -> dict[str, Any]:
        return {"scheduleType": "cron", "cronExpression": self.schedule} if self.schedule else {"scheduleType": "manual"}


@dataclass
class Desired:
    definitions: list[DesiredDefinition]
    sources: list[DesiredActor]
    destinations: list[DesiredActor]
    connections: list[DesiredConnection]
    notes: list[str]


def desired_state(pipeline: Pipeline, target: DeployTarget, schedule: Optional[str]) -> Desired:
    """Everything the file asks of the workspace; DesiredStateError when an edition, an image or a stream is
    missing."""
    definitions: dict[str, DesiredDefinition] = {}
    sources, destinations, connections, notes = [], [], [], []
    for source in pipeline.sources.values():
        definition = definitions.get(source.connector_name) or _source_definition(source, target)
        definitions[definition.key] = definition
        spec = _spec(source.connector)  # asked once per connector (connector_spec is cached)
        sources.append(DesiredActor("source", source.key, f"{pipeline.name}.{source.key}", definition.key,
                                    _source_config(source, definition), tuple(secret_paths(spec, source.config))))
    if pipeline.pushes and target.is_cloud:
        notes += [f"{push.label} -> Plecto '{push.mapping['data_source']}' is not deployed: Airbyte Cloud runs no "
                  "custom destination. Keep this push on the local runner: cron `airbyte-pipeline run` on a pipeline "
                  f"file that holds only source '{push.source}' and this push (README: From one machine to Airbyte)."
                  for push in pipeline.pushes]
    elif pipeline.pushes:
        image = target.images[DESTINATION]
        definitions[DESTINATION] = DesiredDefinition(DESTINATION, "destination", "docker", DESTINATION, image=image)
        keys = sorted({push.source for push in pipeline.pushes})
        with ThreadPoolExecutor(max_workers=len(keys)) as pool:  # each discover is a process of its own
            catalogs = dict(zip(keys, pool.map(lambda key: _discover(pipeline.sources[key]), keys)))
        plecto_spec = _spec(pipeline.plecto_connector) if pipeline.plecto_connector else {}
        for push in pipeline.pushes:
            config = pipeline.destination_config(push)
            name = f"{pipeline.name}: Plecto '{push.mapping['data_source']}'"
            destinations.append(DesiredActor("destination", push.label, name, DESTINATION, config,
                                             tuple(secret_paths(plecto_spec, config))))
            stream = _stream(push, catalogs[push.source])
            connections.append(DesiredConnection(
                push.label, f"{pipeline.name}: {push.label} -> Plecto '{push.mapping['data_source']}'",
                push.source, push.label, (stream,), schedule))
    pushed = {push.label for push in pipeline.pushes}
    read_only = [f"{s.key}.{stream}" for s in pipeline.sources.values() for stream in s.streams
                 if f"{s.key}.{stream}" not in pushed]
    if read_only and not target.is_cloud:
        notes.append(f"{', '.join(read_only)}: read into the local cache only (no push maps them), so no connection "
                     "moves them")
    return Desired(list(definitions.values()), sources, destinations, connections, notes)


def _source_definition(source: Source, target: DeployTarget) -> DesiredDefinition:
    name = source.connector_name
    if target.sources_as == "image":
        if name not in target.images:
            raise DesiredStateError(f"{target.file}: images.{name}: missing (sources_as: image names each source's "
                                    "image as pushed to the instance's registry)")
        return DesiredDefinition(name, "source", "docker", name, image=target.images[name])
    kind = CLOUD if target.is_cloud else MANIFEST_ONLY
    try:
        edition = read_edition(target.editions_dir, kind, name)
    except EditionError as error:
        raise DesiredStateError(str(error)) from None
    unknown = [stream for stream in source.streams if stream not in edition.stream_names]
    if unknown:
        raise DesiredStateError(f"{edition.folder / 'manifest.yaml'}: no stream {', '.join(unknown)} (sources."
                                f"{source.key}.streams reads it)")
    return DesiredDefinition(name, "source", "declarative", name, manifest=edition.manifest, edition=edition)


def _source_config(source: Source, definition: DesiredDefinition) -> dict[str, Any]:
    edition = definition.edition
    if edition is None or not edition.components:
        return dict(source.config)
    return {**source.config, INJECTED_COMPONENTS: edition.components,
            INJECTED_CHECKSUMS: {"sha256": edition.components_checksum}}


def _spec(executable: str) -> dict:
    try:
        return connector_spec(executable)
    except SpecUnavailable as error:
        raise DesiredStateError(str(error)) from None


def _discover(source: Source) -> dict[str, dict[str, Any]]:
    """The installed connector's catalog for this config, by stream name (our sources discover without a call)."""
    try:
        return discovered_catalog(source)
    except StreamsUnavailable as error:
        raise DesiredStateError(f"{error} for source '{source.key}'") from None


def _stream(push: Push, catalog: dict[str, dict[str, Any]]) -> DesiredStream:
    stream = catalog.get(push.stream)
    if stream is None:
        raise DesiredStateError(f"source '{push.source}' has no stream '{push.stream}' in its catalog")
    primary_key = tuple(tuple(key) for key in stream.get("source_defined_primary_key") or [])
    cursor = tuple(stream.get("default_cursor_field") or [])
    if "incremental" in stream.get("supported_sync_modes", []) and cursor:
        mode = "incremental_deduped_history" if primary_key else "incremental_append"
        return DesiredStream(push.stream, mode, cursor, primary_key)
    return DesiredStream(push.stream, "full_refresh_overwrite", (), primary_key)
