"""Delta streams: Protime's change-data-capture mechanism as an Airbyte incremental stream.

Why Python: the state of a delta stream is a `deltaLink` (an opaque URL), not a cursor value, and CDK 7 has no
declarative cursor for it (custom incremental syncs and retriever-held state were removed). So `DeltaReader`
reads a delta stream itself and yields its protocol messages (status, records, states) in order, beside the CDK
engine that reads the other streams (see source.py). HTTP still goes through the manifest's `delta_requester`,
built by connector_kit.manifest.requester with the CDK's component factory (what the reader uses of it is pinned
in the kit's test_cdk_pins.py): same host, shared token, User-Agent, external references, response contract,
timeouts, retries and error messages as every other stream.

One sync of a delta stream:
- state holds a deltaLink used less than 72 h ago: GET it (following `nextLink`s) and emit the changes:
  `InsertOrUpdate` as the record, `Delete` as `{id, changeVersion, _ab_cdc_deleted_at: <sync time>}`. When an
  id changes several times, only the change with the larger `changeVersion` (string comparison) is emitted.
- no state, a link older than 72 h, or 410 Gone: the initial load (`&delta`, with `date ge '<start_date>'` on
  date-filtered collections), every record emitted, and the `deltaLink` of its last page stored.
- 409 on a continuation token: the read restarts from its first request (at most 3 times).

Links stay on the configured host. A `nextLink` or `deltaLink`, from an answer or from the state, is followed only
when it is relative (Protime's documented form, joined to `base_url`) or on `base_url`'s own scheme, host and
port (connector_kit.origins); otherwise the stream fails, naming the other host, before anything is sent there.
A link in an answer is a system error (Protime's answer broke its documented form); a link in the state is a
config error (the state belongs to another `base_url` or was edited: reset the stream or restore `base_url`).

Checkpoints. An initial load can take hours (years of clockings), so after each of its pages the state records
where it got to, `{"initialLoad": {"nextLink": ..., "startedAt": ...}}`: a sync killed in the middle resumes
from that page (each nextLink carries its continuation and delta tokens), and a stale link (409) restarts the
load. A change read is one unit: its new deltaLink is stored only after all its changes, so a failed sync
re-uses the old link.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, List, Mapping, Optional

import requests
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateMessage,
    AirbyteStreamStatus,
    FailureType,
    StreamDescriptor,
    Type,
)
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from connector_kit import manifest
from connector_kit.origins import ForeignLink, followed_link

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


def delta_requester(resolved_manifest: Mapping[str, Any], config: Mapping[str, Any], stream_name: str,
                    stream_parameters: Mapping[str, Any]) -> HttpRequester:
    """The manifest's `delta_requester`, built for one stream (connector_kit.manifest.requester)."""
    parameters = {"name": stream_name, "collection": stream_parameters["collection"],
                  "scope": stream_parameters.get("scope", "")}
    return manifest.requester(resolved_manifest, "delta_requester", config, stream_name, parameters)


class DeltaReader:
    """One delta stream's sync: its messages, in the order the protocol needs them."""

    def __init__(self, settings: DeltaSettings, requester: HttpRequester, state: List[AirbyteStateMessage],
                 logger: logging.Logger) -> None:
        self._settings = settings
        self._requester = requester
        self._logger = logger
        self._states = ConnectorStateManager(state=state)
        self._state = dict(self._states.get_stream_state(settings.stream_name, None) or {})
        # What the requester joins a path to (its `url`): the base of every link, and the only host followed.
        self._base = requester.get_url_base() or requester.get_url()

    @property
    def name(self) -> str:
        return self._settings.stream_name

    def read(self) -> Iterator[AirbyteMessage]:
        """STARTED, the records and states, then COMPLETE; on a failure INCOMPLETE and the error is raised."""
        descriptor = StreamDescriptor(name=self.name)
        yield stream_status(descriptor, AirbyteStreamStatus.STARTED)
        yield stream_status(descriptor, AirbyteStreamStatus.RUNNING)
        try:
            yield from self._read()
        except Exception:
            yield stream_status(descriptor, AirbyteStreamStatus.INCOMPLETE)
            raise
        yield stream_status(descriptor, AirbyteStreamStatus.COMPLETE)

    def _read(self) -> Iterator[AirbyteMessage]:
        resume = (self._state.get("initialLoad") or {}).get("nextLink")
        if resume:
            self._logger.info(f"{self.name}: resuming the initial load where the last sync stopped.")
            yield from self._initial_load(resume_from=self._link(resume, "The state's nextLink"))
            return
        link, used_at = self._state.get("deltaLink"), self._state.get("deltaLinkUsedAt")
        if link and self._is_fresh(used_at):
            followed = self._link(link, "The state's deltaLink")
            try:
                changes = self._with_restarts(lambda: self._read_changes(followed))
            except _Gone:
                self._logger.warning(f"{self.name}: the delta link expired (410 Gone); re-reading the collection.")
            else:
                yield from changes
                return
        elif link:
            self._logger.warning(f"{self.name}: the delta link was last used more than 72 h ago ({used_at}); "
                                 "re-reading the collection.")
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

    def _with_restarts(self, read: Callable[[], List[AirbyteMessage]]) -> List[AirbyteMessage]:
        for attempt in range(MAX_RESTARTS + 1):
            try:
                return read()
            except _Restart:
                self._logger.warning(f"{self.name}: continuation token rejected (409); restarting the read "
                                     f"(attempt {attempt + 1} of {MAX_RESTARTS}).")
        raise self._too_many_restarts()

    def _too_many_restarts(self) -> AirbyteTracedException:
        return AirbyteTracedException(
            message=f"Protime kept rejecting the continuation tokens of {self._settings.collection} (409); run the "
                    "sync again later.",
            failure_type=FailureType.transient_error, stream_descriptor=StreamDescriptor(name=self.name))

    def _link(self, link: Any, where: str) -> str:
        """The URL `link` leads to, when it stays on the configured host; else the stream fails naming the host."""
        try:
            return followed_link(str(link), self._base)
        except ForeignLink as foreign:
            from_state = where.startswith("The state")
            remedy = ("The state was saved with another `base_url` or edited: reset this stream's state, or set "
                      "`base_url` back." if from_state else
                      "Protime documents relative links; if this tenant is really served from that host, set "
                      "`base_url` to it.")
            raise AirbyteTracedException(
                message=f"{where} of {self.name} leads to {foreign.target_origin}, not the configured host "
                        f"{foreign.base_origin}; it was not followed, so that the access token stays on its host. "
                        f"{remedy}",
                internal_message=f"link to another origin refused: {foreign.target_origin}",
                failure_type=FailureType.config_error if from_state else FailureType.system_error,
                stream_descriptor=StreamDescriptor(name=self.name)) from None

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Yield each page body, following nextLinks until absent (empty pages included). Both links of a page are
        checked as soon as it arrives: a link to another host is neither followed nor stored."""
        while True:
            response = self._requester.send_request(path=path, request_params=params)
            body = self._body(response)
            next_link = self._link(body["nextLink"], "Protime's nextLink") if body.get("nextLink") else None
            if body.get("deltaLink"):
                self._link(body["deltaLink"], "Protime's deltaLink")
            yield body
            if not next_link:
                return
            path, params = next_link, {}

    def _body(self, response: Optional[requests.Response]) -> Mapping[str, Any]:
        """The page's body: its shape ({value: [...], nextLink?, deltaLink?}) was checked by the response contract."""
        if response is None:
            raise AirbyteTracedException(message=f"Protime gave no answer for {self._settings.collection}.",
                                         failure_type=FailureType.transient_error)
        if response.status_code == 409:
            raise _Restart()
        if response.status_code == 410:
            raise _Gone()
        return response.json()

    def _record(self, data: Mapping[str, Any]) -> AirbyteMessage:
        return AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(
            stream=self.name, data=dict(data), emitted_at=int(time.time() * 1000)))

    def _state_message(self, value: Mapping[str, Any]) -> AirbyteMessage:
        self._states.update_state_for_stream(self.name, None, dict(value))
        return self._states.create_state_message(self.name, None)

    def _delta_link_state(self, body: Mapping[str, Any]) -> AirbyteMessage:
        link = body.get("deltaLink")
        if not link:
            raise AirbyteTracedException(
                message=f"Protime's last page of {self._settings.collection} carried no deltaLink; the delta cannot "
                        "continue. Run the sync again; if it persists, set `incremental_mode` to `window`.",
                failure_type=FailureType.system_error, stream_descriptor=StreamDescriptor(name=self.name))
        return self._state_message({"deltaLink": link, "deltaLinkUsedAt": _iso(_now())})

    def _initial_load(self, resume_from: Optional[str] = None) -> Iterator[AirbyteMessage]:
        """Streamed page by page, with a checkpoint after each page; a 409 restarts it from its first request
        (re-emitting the pages already read in this sync)."""
        params: dict[str, Any] = {"delta": ""}
        if self._settings.start_date:
            params["filter"] = f"date ge '{self._settings.start_date}'"
        started = str((self._state.get("initialLoad") or {}).get("startedAt") or _iso(_now()))
        for attempt in range(MAX_RESTARTS + 1):
            body: Mapping[str, Any] = {}
            path, query = (resume_from, {}) if resume_from else (self._settings.collection, params)
            try:
                for body in self._pages(path, query):
                    yield from (self._record(item) for item in body.get("value", []))
                    if body.get("nextLink"):
                        yield self._state_message({"initialLoad": {"nextLink": body["nextLink"], "startedAt": started}})
            except _Restart:
                self._logger.warning(f"{self.name}: continuation token rejected (409); restarting the initial load "
                                     f"(attempt {attempt + 1} of {MAX_RESTARTS}).")
                resume_from = None
                continue
            yield self._delta_link_state(body)
            return
        raise self._too_many_restarts()

    def _read_changes(self, link: str) -> List[AirbyteMessage]:
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
        return [*(self._record(data) for data in latest.values()), self._delta_link_state(body)]
