"""The batching writer: records -> Plecto registrations, and state only after acknowledgement.

Contract (what a STATE we emit means): every record that came before it in the input is stored in Plecto
(acknowledged by a 2xx), deleted (CDC), or was an invalid record skipped under `on_invalid_record: skip`.

How:
- Records are numbered as they arrive. Each stream buffers at most `batch_size` registrations keyed by
  external_id (a later record with the same external_id replaces the earlier one: Plecto rejects duplicates
  in one request, and the later record is the newer truth; counted as `duplicates_in_batch`).
- A STATE is queued with the number of records before it. It is emitted as soon as no buffer still holds a
  record numbered at or below that, so states cost no extra POSTs; buffers are flushed when full, at the end
  of the input, and when a queued state has waited `max_state_delay` seconds (Airbyte wants a state at least
  every 15 minutes).
- A 400 on a batch is narrowed by bisection to the registrations Plecto rejects; the rest are stored.
  `skip`: log and count them. `fail`: store every valid buffered record, emit the states that are covered,
  then fail naming the rejected records and the reasons.
- A record field that neither the stream's schema nor the data source has is named once per stream
  (field_check.NewFieldWatch); a value that does not fit its field's known type is an invalid record.
- CDC deletes (`_ab_cdc_deleted_at` set): find the registration by (data source, external_id) and DELETE it.
- `overwrite` streams: at the end of the input (the stream was written completely), delete the data source's
  registrations whose external_id this sync did not write.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateStats,
    AirbyteStateType,
    DestinationSyncMode,
    FailureType,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_plecto.client import PlectoBadRequest, PlectoClient, describe
from destination_plecto.config import PlectoConfig, ResolvedStream, config_error
from destination_plecto.field_check import NewFieldWatch
from destination_plecto.mapping import InvalidRecord, RegistrationMapper

MAX_NAMED_FAILURES = 10


def _now() -> float:
    return time.monotonic()


@dataclass
class _Entry:
    registration: dict[str, Any]
    first_seq: int  # the first record merged into this entry (a replaced record is stored only with it)


@dataclass
class _Buffer:
    upserts: dict[str, _Entry] = field(default_factory=dict)
    deletes: dict[str, int] = field(default_factory=dict)  # external_id -> record number
    first_seq: int | None = None  # lowest record number not yet resolved in this buffer

    def empty(self) -> bool:
        return not self.upserts and not self.deletes


@dataclass
class _QueuedState:
    message: AirbyteMessage
    position: int  # records received before it
    queued_at: float


@dataclass
class _Failure:
    stream: str
    external_id: str | None
    reason: str
    seq: int


class PlectoWriter:
    def __init__(
        self,
        config: PlectoConfig,
        streams: dict[str, ResolvedStream],
        client: PlectoClient,
        logger: logging.Logger | None = None,
        max_state_delay: float = 600.0,
    ) -> None:
        self.config = config
        self.streams = streams
        self.client = client
        self.logger = logger or logging.getLogger("airbyte")
        self.max_state_delay = max_state_delay
        self.mappers = {name: RegistrationMapper(s, config.member_api_provider, self.logger) for name, s in streams.items()}
        self.new_fields = {name: NewFieldWatch(s, self.logger) for name, s in streams.items()}
        self.buffers: dict[str, _Buffer] = {name: _Buffer() for name in streams}
        self.stats: dict[str, Counter[str]] = {name: Counter() for name in streams}
        self.seq = 0
        self.queued: list[_QueuedState] = []
        self.failures: list[_Failure] = []  # rejected under `fail`: no state past the first one is emitted
        self.since_state: Counter[str] = Counter()  # records per stream since that stream's last STATE
        self.since_global_state = 0
        # external_ids written (or kept on purpose) per overwrite data source: what its cleanup must not delete.
        # Only overwrite data sources are tracked, so append syncs hold no per-record memory.
        self.overwrite_sources = {s.mapping.data_source for s in streams.values()
                                  if s.sync_mode == DestinationSyncMode.overwrite}
        self.keep: dict[str, set[str]] = defaultdict(set)

    # ---- main loop ----------------------------------------------------------------------------------
    def write(self, messages: Iterable[AirbyteMessage]) -> Iterator[AirbyteMessage]:
        for message in messages:
            if message.type == Type.RECORD and message.record is not None:
                self._add(message.record.stream, message.record.data)
                if self.failures:
                    break
            elif message.type == Type.STATE and message.state is not None:
                self._queue_state(message)
            if self.queued and _now() - self.queued[0].queued_at >= self.max_state_delay:
                self.logger.info("A state has waited for its records for too long: flushing every buffer.")
                self._flush_all()
            yield from self._emittable_states()
            if self.failures:
                break
        self._flush_all()
        if self.failures:
            yield from self._emittable_states()
            self._log_summary()
            raise self._failure_exception()
        self._overwrite_cleanup()
        yield from self._emittable_states()
        self._log_summary()

    # ---- records ------------------------------------------------------------------------------------
    def _add(self, stream: str, data: dict[str, Any]) -> None:
        if stream not in self.streams:
            raise config_error(f"Received a record of stream '{stream}', which is not in the configured catalog.")
        self.seq += 1
        self.since_state[stream] += 1
        self.since_global_state += 1
        stats, buffer, mapper = self.stats[stream], self.buffers[stream], self.mappers[stream]
        stats["received"] += 1
        try:
            if mapper.is_deletion(data):
                external_id = mapper.external_id(data)
                if buffer.upserts.pop(external_id, None) is not None:
                    stats["superseded_by_delete"] += 1
                buffer.deletes[external_id] = self.seq
            else:
                self.new_fields[stream].see(data)
                registration = mapper.to_registration(data)
                external_id = registration["external_id"]
                buffer.deletes.pop(external_id, None)  # the upsert recreates it with all its fields
                previous = buffer.upserts.get(external_id)
                if previous is not None:
                    stats["duplicates_in_batch"] += 1
                    previous.registration = registration
                else:
                    buffer.upserts[external_id] = _Entry(registration, self.seq)
        except InvalidRecord as error:
            self._invalid(stream, error.external_id, error.reason, self.seq)
            return
        if buffer.first_seq is None:
            buffer.first_seq = self.seq
        if len(buffer.upserts) >= self.config.batch_size or len(buffer.deletes) >= self.config.batch_size:
            self._flush(stream)

    def _invalid(self, stream: str, external_id: str | None, reason: str, seq: int) -> None:
        data_source = self.streams[stream].mapping.data_source
        if external_id is not None and data_source in self.overwrite_sources:
            self.keep[data_source].add(external_id)  # overwrite must not delete a registration for a bad record
        who = f"external_id {external_id!r}" if external_id is not None else f"record #{seq}"
        if self.config.on_invalid_record == "skip":
            self.stats[stream]["invalid_skipped"] += 1
            self.logger.warning(f"Stream '{stream}': skipped {who}: {reason}")
        else:
            self.stats[stream]["invalid"] += 1
            self.failures.append(_Failure(stream, external_id, reason, seq))

    # ---- flushing -----------------------------------------------------------------------------------
    def _flush_all(self) -> None:
        for stream in self.streams:
            self._flush(stream)

    def _flush(self, stream: str) -> None:
        buffer = self.buffers[stream]
        if buffer.empty():
            buffer.first_seq = None
            return
        entries = list(buffer.upserts.items())
        for start in range(0, len(entries), self.config.batch_size):
            self._post(stream, entries[start:start + self.config.batch_size])
        for external_id in buffer.deletes:
            self._delete(stream, external_id)
        self.buffers[stream] = _Buffer()

    def _post(self, stream: str, entries: list[tuple[str, _Entry]]) -> None:
        """POST one batch; on 400 bisect until the rejected registrations are isolated."""
        try:
            self.client.post_registrations([entry.registration for _, entry in entries])
        except PlectoBadRequest as error:
            if len(entries) == 1:
                external_id, entry = entries[0]
                self._invalid(stream, external_id, f"rejected by Plecto: {describe(error.body)}", entry.first_seq)
                return
            self.stats[stream]["bisections"] += 1
            middle = len(entries) // 2
            self._post(stream, entries[:middle])
            self._post(stream, entries[middle:])
            return
        self.stats[stream]["posts"] += 1
        self.stats[stream]["stored"] += len(entries)
        data_source = self.streams[stream].mapping.data_source
        if data_source in self.overwrite_sources:
            self.keep[data_source].update(external_id for external_id, _ in entries)

    def _delete(self, stream: str, external_id: str) -> None:
        data_source = self.streams[stream].mapping.data_source
        found = False
        for registration in self.client.iter_registrations(data_source, reference=external_id):
            if str(registration.get("external_id")) != external_id or not registration.get("id"):
                continue  # a server that ignores `reference` lists everything: only the exact match goes
            found = self.client.delete_registration(data_source, registration["id"]) or found
        self.stats[stream]["deleted" if found else "delete_not_found"] += 1
        self.keep[data_source].discard(external_id)

    # ---- overwrite ----------------------------------------------------------------------------------
    def _overwrite_cleanup(self) -> None:
        """After the whole input is stored: remove what the sync did not write from each overwrite data source."""
        overwrite = {s.mapping.data_source: name for name, s in self.streams.items()
                     if s.sync_mode == DestinationSyncMode.overwrite}
        for data_source, stream in overwrite.items():
            keep = self.keep[data_source]
            stale = [r for r in self.client.iter_registrations(data_source)
                     if r.get("id") and str(r.get("external_id")) not in keep]
            for registration in stale:
                if self.client.delete_registration(data_source, registration["id"]):
                    self.stats[stream]["stale_deleted"] += 1
            if stale:
                self.logger.info(f"Stream '{stream}' (overwrite): deleted {len(stale)} registration(s) of data source "
                                 f"{data_source} that this sync did not write.")

    # ---- state --------------------------------------------------------------------------------------
    def _queue_state(self, message: AirbyteMessage) -> None:
        state = message.state
        assert state is not None
        if state.type == AirbyteStateType.STREAM and state.stream is not None:
            name = state.stream.stream_descriptor.name
            count = self.since_state.pop(name, 0)
        else:  # GLOBAL or LEGACY: covers every stream
            count = self.since_global_state
            self.since_global_state = 0
            self.since_state.clear()
        state.destinationStats = AirbyteStateStats(recordCount=float(count))
        self.queued.append(_QueuedState(message, self.seq, _now()))

    def _low_water(self) -> float:
        """Lowest record number not yet resolved: a state is emitted once every record before it is resolved."""
        pending = [b.first_seq for b in self.buffers.values() if b.first_seq is not None and not b.empty()]
        pending += [f.seq for f in self.failures]
        return min(pending, default=float("inf"))

    def _emittable_states(self) -> Iterator[AirbyteMessage]:
        if not self.queued:
            return
        low = self._low_water()
        while self.queued and self.queued[0].position < low:
            yield self.queued.pop(0).message

    # ---- reporting ----------------------------------------------------------------------------------
    def _failure_exception(self) -> AirbyteTracedException:
        named = "; ".join(
            f"stream '{f.stream}' " + (f"external_id {f.external_id!r}" if f.external_id is not None else f"record #{f.seq}")
            + f": {f.reason}" for f in self.failures[:MAX_NAMED_FAILURES])
        more = f" (and {len(self.failures) - MAX_NAMED_FAILURES} more)" if len(self.failures) > MAX_NAMED_FAILURES else ""
        message = (f"{len(self.failures)} record(s) could not become Plecto registrations: {named}{more}. The valid "
                   "records before them are stored. Fix the stream mapping or the data, or set 'on_invalid_record' to "
                   "'skip' to log and skip such records.")
        return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)

    def _log_summary(self) -> None:
        for stream, stats in self.stats.items():
            if stats:
                details = ", ".join(f"{key}={value}" for key, value in sorted(stats.items()))
                self.logger.info(f"Stream '{stream}': {details}")
