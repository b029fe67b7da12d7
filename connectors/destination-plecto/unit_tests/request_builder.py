"""Builders for the Plecto API calls the destination makes, and the configs and messages of the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    StreamDescriptor,
    SyncMode,
    Type,
)
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message
from airbyte_cdk.models.airbyte_protocol import AirbyteStateBlob

BASE_URL = "https://app.plecto.com/api/v2"
DATA_SOURCE = "115d308590b84eac9325cee21a1f90b7"
OTHER_DATA_SOURCE = "10fe50d9ba574332ad4c5d0958493631"
RESPONSES = Path(__file__).parent / "resource" / "http" / "response"


def response(name: str) -> Any:
    return json.loads((RESPONSES / f"{name}.json").read_text())


class PlectoRequests:
    """URLs of the endpoints, one method each."""

    @staticmethod
    def registrations() -> str:
        return f"{BASE_URL}/registrations/"

    @staticmethod
    def registration(data_source: str, registration_id: str) -> str:
        return f"{BASE_URL}/registrations/{data_source}/{registration_id}/"

    @staticmethod
    def data_sources() -> str:
        return f"{BASE_URL}/datasources/"

    @staticmethod
    def data_source(uuid: str) -> str:
        return f"{BASE_URL}/datasources/{uuid}/"


class ConfigBuilder:
    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "username": "integration@example.com",
            "password": "unit-test-password",
            "base_url": BASE_URL,
            "streams": [{"stream": "transactions", "data_source": DATA_SOURCE}],
        }

    def with_stream(self, **mapping: Any) -> "ConfigBuilder":
        self._config["streams"] = [{"stream": "transactions", "data_source": DATA_SOURCE, **mapping}]
        return self

    def with_streams(self, *mappings: dict[str, Any]) -> "ConfigBuilder":
        self._config["streams"] = list(mappings)
        return self

    def with_(self, **values: Any) -> "ConfigBuilder":
        self._config.update(values)
        return self

    def build(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._config))


def data_source(uuid: str, title: str, **fields: str) -> dict[str, Any]:
    """A data-source answer; fields as name=input (the field shape Bullhorn2Plecto sends)."""
    return {"uuid": uuid, "title": title,
            "fields": [{"name": name, "input": kind, "default_value": ""} for name, kind in fields.items()]}


def catalog(*streams: tuple[str, DestinationSyncMode] | str, primary_key: list[list[str]] | None = None,
            properties: dict[str, Any] | None = None) -> ConfiguredAirbyteCatalog:
    """`properties`: the JSON-schema properties of every stream (default: a schema that lists none)."""
    configured = []
    json_schema = {"type": "object", "properties": properties} if properties is not None else {}
    for item in streams or ("transactions",):
        name, mode = (item, DestinationSyncMode.append) if isinstance(item, str) else item
        configured.append(ConfiguredAirbyteStream(
            stream=AirbyteStream(name=name, json_schema=json_schema, supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
                                 source_defined_primary_key=[["id"]] if primary_key is None else primary_key),
            sync_mode=SyncMode.incremental, destination_sync_mode=mode,
        ))
    return ConfiguredAirbyteCatalog(streams=configured)


def record(data: dict[str, Any], stream: str = "transactions") -> AirbyteMessage:
    return AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data=data, emitted_at=0))


def state(value: Any, stream: str = "transactions") -> AirbyteMessage:
    return AirbyteMessage(type=Type.STATE, state=AirbyteStateMessage(
        type=AirbyteStateType.STREAM,
        stream=AirbyteStreamState(stream_descriptor=StreamDescriptor(name=stream), stream_state=AirbyteStateBlob(cursor=value)),
    ))


def stream_status(status: AirbyteStreamStatus, stream: str = "transactions", namespace: str | None = None) -> AirbyteMessage:
    """The TRACE a CDK source (and the platform, to the destination) sends when a stream starts or ends."""
    return as_airbyte_message(StreamDescriptor(name=stream, namespace=namespace), status)


def complete(stream: str = "transactions") -> AirbyteMessage:
    return stream_status(AirbyteStreamStatus.COMPLETE, stream)


def incomplete(stream: str = "transactions") -> AirbyteMessage:
    return stream_status(AirbyteStreamStatus.INCOMPLETE, stream)


OUR_PROVIDER = "Airbyte"  # ConfigBuilder's member_api_provider (the default)


def stored_registration(external_id: str, registration_id: str, provider: str | None = OUR_PROVIDER,
                        data_source: str = DATA_SOURCE) -> dict[str, Any]:
    """A registration as Plecto lists it; `provider`: its member's api provider (None: the answer names none)."""
    member: dict[str, Any] = {"uuid": "c675059d44b74f2e8dabf0354ca9c526", "name": provider or "Someone"}
    if provider is not None:
        member.update(api_provider=provider, api_id=provider)
    return {"id": registration_id, "data_source": data_source, "external_id": external_id, "member": member,
            "date": "2024-01-01T00:00:00+00:00", "created": "2024-01-01T00:00:00+00:00",
            "modified": "2024-01-01T00:00:00+00:00"}


def registrations_page(*registrations: dict[str, Any]) -> dict[str, Any]:
    return {"count": len(registrations), "next": None, "previous": None, "results": list(registrations)}


# ---- running a write against the mocked API -----------------------------------------------------------------
def write(config: dict, messages: list[AirbyteMessage], cat: ConfiguredAirbyteCatalog | None = None) -> list[AirbyteMessage]:
    from destination_plecto import DestinationPlecto

    return list(DestinationPlecto().write(config, cat or catalog(), iter(messages)))


def accept_all(request, context):
    """Plecto's answer to a registration POST that stores every registration."""
    context.status_code = 201
    return [{"id": f"{i:032x}", "external_id": r["external_id"], "created": True} for i, r in enumerate(request.json())]


def posted(requests_mock) -> list[list[dict[str, Any]]]:
    """The bodies of the registration POSTs."""
    return [r.json() for r in requests_mock.request_history if r.method == "POST" and r.url == PlectoRequests.registrations()]
