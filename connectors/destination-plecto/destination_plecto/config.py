"""The connector config as typed objects, and the stream mappings resolved against a configured catalog.

Every error here is a config error that names the field (or stream) and says what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from airbyte_cdk.models import ConfiguredAirbyteCatalog, DestinationSyncMode, FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from connector_kit.settings import HttpSettings

from destination_plecto.plecto_fields import DataSourceFields

DEFAULT_BASE_URL = "https://app.plecto.com/api/v2"
DEFAULT_OVERWRITE_MAX_DELETIONS = 1000
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def config_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


@dataclass(frozen=True)
class StreamMapping:
    stream: str
    data_source: str  # UUID, 32 hex digits; "" while only its title is known
    external_id: tuple[tuple[str, ...], ...] = ()  # field paths; empty = take the catalog's primary key
    member: str | None = None
    member_api_id_field: str | None = None
    member_name_field: str | None = None
    date_field: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # (plecto field, record field); empty = every top-level field
    data_source_title: str | None = None  # given instead of a UUID (create_missing_data_sources): found or created
    index: int = 0  # position in config field 'streams', for messages

    @property
    def where(self) -> str:
        return f"streams[{self.index}]"


@dataclass(frozen=True)
class PlectoConfig:
    username: str
    password: str
    base_url: str = DEFAULT_BASE_URL
    member_api_provider: str = "Airbyte"
    batch_size: int = 100
    requests_per_hour: int = 3600
    on_invalid_record: str = "fail"
    trust_any_2xx: bool = False
    create_missing_data_sources: bool = False
    on_missing_field: str = "warn"  # a field sent that the data source lacks: 'warn' or 'fail' (config error)
    overwrite_max_deletions: int = DEFAULT_OVERWRITE_MAX_DELETIONS  # more: the clean-up fails before deleting
    deletion_dry_run: bool = False  # log what would be deleted, delete nothing
    http: HttpSettings = field(default_factory=HttpSettings)  # timeouts, retries, backoff (shared with the sources)
    streams: tuple[StreamMapping, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> "PlectoConfig":
        for key in ("username", "password"):
            if not config.get(key):
                raise config_error(f"Config field '{key}' is empty: set the Plecto integration employee's {key}.")
        batch_size = int(config.get("batch_size", 100))
        if not 1 <= batch_size <= 100:
            raise config_error(f"Config field 'batch_size' is {batch_size}: use a value from 1 to 100 (Plecto's bulk limit).")
        requests_per_hour = int(config.get("requests_per_hour", 3600))
        if requests_per_hour < 1:
            raise config_error("Config field 'requests_per_hour' must be at least 1.")
        policy = config.get("on_invalid_record", "fail")
        if policy not in ("fail", "skip"):
            raise config_error(f"Config field 'on_invalid_record' is {policy!r}: use 'fail' or 'skip'.")
        on_missing_field = config.get("on_missing_field", "warn")
        if on_missing_field not in ("warn", "fail"):
            raise config_error(f"Config field 'on_missing_field' is {on_missing_field!r}: use 'warn' or 'fail'.")
        create_missing = bool(config.get("create_missing_data_sources", False))
        max_deletions = config.get("overwrite_max_deletions", DEFAULT_OVERWRITE_MAX_DELETIONS)
        if isinstance(max_deletions, float) and max_deletions.is_integer():
            max_deletions = int(max_deletions)  # JSON Schema's `integer` admits 1000.0
        if isinstance(max_deletions, bool) or not isinstance(max_deletions, int) or max_deletions < 0:
            raise config_error(f"Config field 'overwrite_max_deletions' is {max_deletions!r}: use a whole number, 0 or "
                               "more (the most registrations an Overwrite clean-up may delete in one sync).")
        streams = tuple(_parse_mapping(i, m, create_missing) for i, m in enumerate(config.get("streams") or []))
        names = [m.stream for m in streams]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise config_error(f"Config field 'streams' maps stream(s) {', '.join(duplicated)} more than once: keep one mapping per stream.")
        return cls(
            username=config["username"],
            password=config["password"],
            base_url=(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/"),
            member_api_provider=config.get("member_api_provider") or "Airbyte",
            batch_size=batch_size,
            requests_per_hour=requests_per_hour,
            on_invalid_record=policy,
            trust_any_2xx=bool(config.get("trust_any_2xx", False)),
            create_missing_data_sources=create_missing,
            on_missing_field=on_missing_field,
            overwrite_max_deletions=max_deletions,
            deletion_dry_run=bool(config.get("deletion_dry_run", False)),
            http=HttpSettings.from_config(config),
            streams=streams,
        )


def _parse_mapping(index: int, raw: Mapping[str, Any], create_missing: bool) -> StreamMapping:
    where = f"streams[{index}]"
    stream = raw.get("stream")
    if not stream:
        raise config_error(f"Config field '{where}.stream' is empty: set the name of the Airbyte stream.")
    data_source = str(raw.get("data_source") or "").strip()
    if not data_source:
        raise config_error(f"Config field '{where}.data_source' of stream '{stream}' is empty: set the UUID of its Plecto "
                           "data source" + (" or its title." if create_missing else "."))
    title = None if UUID_RE.match(data_source) else data_source
    if title is not None and not create_missing:
        raise config_error(
            f"Config field '{where}.data_source' of stream '{stream}' is not a data source UUID: copy the 32-digit id "
            "from the data source's URL in Plecto (Data management > Data sources). To give the title of a data "
            "source instead, which the connector finds or creates, set 'create_missing_data_sources' to true."
        )
    member = raw.get("member") or None
    if member and not UUID_RE.match(member):
        raise config_error(f"Config field '{where}.member' of stream '{stream}' is not a member UUID: copy it from the employee page's URL.")
    if member and raw.get("member_api_id_field"):
        raise config_error(
            f"Stream '{stream}' sets both '{where}.member' and '{where}.member_api_id_field': choose a fixed member or a record field."
        )
    if raw.get("member_name_field") and not raw.get("member_api_id_field"):
        raise config_error(f"Stream '{stream}' sets '{where}.member_name_field' without '{where}.member_api_id_field': set both.")
    fields = []
    for j, pair in enumerate(raw.get("fields") or []):
        if not pair.get("plecto_field") or not pair.get("record_field"):
            raise config_error(f"Config field '{where}.fields[{j}]' of stream '{stream}' needs both plecto_field and record_field.")
        fields.append((pair["plecto_field"], pair["record_field"]))
    return StreamMapping(
        stream=stream,
        data_source="" if title else data_source.replace("-", "").lower(),
        data_source_title=title,
        index=index,
        external_id=tuple((f,) for f in raw.get("external_id") or []),
        member=member.replace("-", "").lower() if member else None,
        member_api_id_field=raw.get("member_api_id_field") or None,
        member_name_field=raw.get("member_name_field") or None,
        date_field=raw.get("date_field") or None,
        fields=tuple(fields),
    )


@dataclass(frozen=True)
class ResolvedStream:
    """A catalog stream with its mapping and the external id paths settled."""

    name: str
    namespace: str | None
    mapping: StreamMapping
    external_id: tuple[tuple[str, ...], ...]
    sync_mode: DestinationSyncMode
    schema_properties: Mapping[str, Any] = field(default_factory=dict, hash=False)  # the catalog's JSON schema
    data_source_fields: DataSourceFields | None = field(default=None, hash=False)  # None: Plecto did not say


def resolve_streams(config: PlectoConfig, catalog: ConfiguredAirbyteCatalog) -> dict[str, ResolvedStream]:
    """Every catalog stream must have a mapping and an external id; fail before anything is written."""
    by_name = {m.stream: m for m in config.streams}
    unmapped = [s.stream.name for s in catalog.streams if s.stream.name not in by_name]
    if unmapped:
        raise config_error(
            f"Stream(s) {', '.join(sorted(unmapped))} of the connection have no mapping in config field 'streams': "
            "add one (stream name and data source UUID) per stream, or remove the stream from the connection."
        )
    resolved: dict[str, ResolvedStream] = {}
    for configured in catalog.streams:
        name = configured.stream.name
        mapping = by_name[name]
        key = mapping.external_id or tuple(
            tuple(path) for path in (configured.primary_key or configured.stream.source_defined_primary_key or [])
        )
        if not key:
            raise config_error(
                f"Stream '{name}' has no primary key: set 'external_id' in its mapping to the field(s) that identify a record."
            )
        properties = (configured.stream.json_schema or {}).get("properties")
        resolved[name] = ResolvedStream(name, configured.stream.namespace, mapping, key, configured.destination_sync_mode,
                                        properties if isinstance(properties, dict) else {})
    return resolved
