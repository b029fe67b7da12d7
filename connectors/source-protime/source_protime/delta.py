"""Delta streams: Protime's change-data-capture mechanism as an Airbyte incremental stream.

Why Python: the state of a delta stream is a `deltaLink` (an opaque URL), not a cursor value, and CDK 7 removed
custom incremental syncs and retriever-held state from the declarative framework. So this module gives the
concurrent engine what it needs directly: a `DefaultStream` with one partition per sync and a small cursor
that stores `{"deltaLink", "deltaLinkUsedAt"}`. HTTP goes through the manifest's `delta_requester` (same host,
shared token, User-Agent, external references, retries and error messages as every other stream).

One sync of a delta stream:
- state holds a deltaLink used less than 72 h ago: GET it (following `nextLink`s) and emit the changes:
  `InsertOrUpdate` as the record, `Delete` as `{id, changeVersion, _ab_cdc_deleted_at: <sync time>}`. When an
  id changes several times, only the change with the larger `changeVersion` (string comparison) is emitted.
- no state, a link older than 72 h, or 410 Gone: the initial load (`&delta`, with `date ge '<start_date>'` on
  date-filtered collections), every record emitted, and the `deltaLink` of its last page stored.
- 409 on a continuation token: the read restarts from its first request (at most 3 times).
The new state is emitted only after every record of the sync, so a failed sync re-uses the old link.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Iterator, List, Mapping, MutableMapping, Optional

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record, StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

DELETED_AT = "_ab_cdc_deleted_at"  # Airbyte's CDC deletion marker; destinations with CDC support honour it
CURSOR_FIELD = "changeVersion"
MAX_LINK_AGE = timedelta(hours=72)  # Protime: a delta expires 72 h after its last use
MAX_RESTARTS = 3


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class DeltaSettings:
    stream_name: str
    collection: str  # path segment, e.g. "absence-definitions"
    start_date: Optional[str]  # `date ge` of the initial load on date-filtered collections, else None


class _Restart(Exception):
    """409: the continuation token is stale; read again from the first request."""


class _Gone(Exception):
    """410: the delta link expired."""


class DeltaPartition(Partition):
    def __init__(self, settings: DeltaSettings, requester: HttpRequester, state: Mapping[str, Any],
                 logger: logging.Logger) -> None:
        self._settings = settings
        self._requester = requester
        self._state = dict(state or {})
        self._logger = logger
        self._slice = StreamSlice(partition={}, cursor_slice={})
        self.new_state: Optional[dict[str, Any]] = None

    # ---- Partition interface -----------------------------------------------------------------------------
    def stream_name(self) -> str:
        return self._settings.stream_name

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return self._slice

    def __hash__(self) -> int:
        return hash(self._settings.stream_name)

    def read(self) -> Iterable[Record]:
        link, used_at = self._state.get("deltaLink"), self._state.get("deltaLinkUsedAt")
        if link and self._is_fresh(used_at):
            try:
                changes = self._with_restarts(lambda: self._read_changes(link))
            except _Gone:
                self._logger.warning(f"{self.stream_name()}: the delta link expired (410 Gone); re-reading the collection.")
            else:
                yield from changes
                return
        elif link:
            self._logger.warning(f"{self.stream_name()}: the delta link was last used more than 72 h ago "
                                 f"({used_at}); re-reading the collection.")
        yield from self._initial_load()

    # ---- reading -----------------------------------------------------------------------------------------
    @staticmethod
    def _is_fresh(used_at: Any) -> bool:
        try:
            moment = datetime.fromisoformat(str(used_at).replace("Z", "+00:00"))
        except ValueError:
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return _now() - moment < MAX_LINK_AGE

    def _with_restarts(self, read: Any) -> List[Record]:
        for attempt in range(MAX_RESTARTS + 1):
            try:
                return read()
            except _Restart:
                self._logger.warning(f"{self.stream_name()}: continuation token rejected (409); restarting the read "
                                     f"(attempt {attempt + 1} of {MAX_RESTARTS}).")
        raise self._too_many_restarts()

    def _too_many_restarts(self) -> AirbyteTracedException:
        return AirbyteTracedException(
            message=f"Protime kept rejecting the continuation tokens of {self._settings.collection} (409); retry the sync later.",
            failure_type=FailureType.transient_error,
        )

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Yield each page body, following relative nextLinks until absent (empty pages included)."""
        while True:
            response = self._requester.send_request(path=path, request_params=params, stream_slice=self._slice)
            body = self._body(response)
            yield body
            next_link = body.get("nextLink")
            if not next_link:
                return
            path, params = next_link, {}

    def _body(self, response: Optional[requests.Response]) -> Mapping[str, Any]:
        if response is None:
            raise AirbyteTracedException(message=f"Protime gave no answer for {self._settings.collection}.",
                                         failure_type=FailureType.transient_error)
        if response.status_code == 409:
            raise _Restart()
        if response.status_code == 410:
            raise _Gone()
        try:
            body = response.json()
        except ValueError as error:
            raise AirbyteTracedException(
                message=f"Protime answered {self._settings.collection} with a body that is not JSON.",
                internal_message=str(error), failure_type=FailureType.system_error) from error
        if not isinstance(body, Mapping) or not isinstance(body.get("value", []), list):
            raise AirbyteTracedException(
                message=f"Protime answered {self._settings.collection} without a `value` list.",
                failure_type=FailureType.system_error)
        return body

    def _record(self, data: Mapping[str, Any]) -> Record:
        return Record(data=dict(data), stream_name=self.stream_name(), associated_slice=self._slice)

    def _finish(self, body: Mapping[str, Any]) -> None:
        link = body.get("deltaLink")
        if not link:
            raise AirbyteTracedException(
                message=f"Protime's last page of {self._settings.collection} carried no deltaLink; the delta cannot continue.",
                failure_type=FailureType.system_error)
        self.new_state = {"deltaLink": link, "deltaLinkUsedAt": _iso(_now())}

    def _initial_load(self) -> Iterator[Record]:
        """Streamed page by page (it can be large); a 409 restarts it, re-emitting the pages already read."""
        params: dict[str, Any] = {"delta": ""}
        if self._settings.start_date:
            params["filter"] = f"date ge '{self._settings.start_date}'"
        for attempt in range(MAX_RESTARTS + 1):
            body: Mapping[str, Any] = {}
            try:
                for body in self._pages(self._settings.collection, params):
                    yield from (self._record(item) for item in body.get("value", []))
            except _Restart:
                self._logger.warning(f"{self.stream_name()}: continuation token rejected (409); restarting the "
                                     f"initial load (attempt {attempt + 1} of {MAX_RESTARTS}).")
                continue
            self._finish(body)
            return
        raise self._too_many_restarts()

    def _read_changes(self, link: str) -> List[Record]:
        deleted_at = _iso(_now())
        latest: dict[Any, dict[str, Any]] = {}
        body: Mapping[str, Any] = {}
        for body in self._pages(link, {}):
            for change in body.get("value", []):
                data = dict(change.get("data") or {})
                if change.get("changeType") == "Delete":
                    data = {"id": data.get("id"), CURSOR_FIELD: data.get(CURSOR_FIELD), DELETED_AT: deleted_at}
                known = latest.get(data.get("id"))
                if known is None or str(data.get(CURSOR_FIELD) or "") >= str(known.get(CURSOR_FIELD) or ""):
                    latest[data.get("id")] = data
        self._finish(body)
        return [self._record(data) for data in latest.values()]


class DeltaCursor(Cursor):
    """Holds `{"deltaLink", "deltaLinkUsedAt"}`; emits it once the sync's single partition is done."""

    def __init__(self, stream_name: str, state: Mapping[str, Any], message_repository: MessageRepository) -> None:
        self._stream_name = stream_name
        self._state: MutableMapping[str, Any] = dict(state or {})
        self._message_repository = message_repository
        self._state_manager = ConnectorStateManager()

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self._state

    def observe(self, record: Record) -> None:
        pass

    def close_partition(self, partition: Partition) -> None:
        new_state = getattr(partition, "new_state", None)
        if new_state:
            self._state = dict(new_state)
        self._emit()

    def ensure_at_least_one_state_emitted(self) -> None:
        self._emit()

    def should_be_synced(self, record: Record) -> bool:
        return True

    def _emit(self) -> None:
        self._state_manager.update_state_for_stream(self._stream_name, None, self._state)
        self._message_repository.emit_message(self._state_manager.create_state_message(self._stream_name, None))


class DeltaPartitionGenerator(PartitionGenerator):
    def __init__(self, settings: DeltaSettings, requester: HttpRequester, cursor: DeltaCursor,
                 logger: logging.Logger) -> None:
        self._settings, self._requester, self._cursor, self._logger = settings, requester, cursor, logger

    def generate(self) -> Iterable[Partition]:
        yield DeltaPartition(self._settings, self._requester, self._cursor.state, self._logger)


def build_delta_stream(settings: DeltaSettings, requester: HttpRequester, json_schema: Any,
                       state: Mapping[str, Any], message_repository: MessageRepository,
                       logger: logging.Logger) -> DefaultStream:
    cursor = DeltaCursor(settings.stream_name, state, message_repository)
    return DefaultStream(
        partition_generator=DeltaPartitionGenerator(settings, requester, cursor, logger),
        name=settings.stream_name,
        json_schema=json_schema,
        primary_key=["id"],
        cursor_field=CursorField(CURSOR_FIELD),
        logger=logger,
        cursor=cursor,
    )
