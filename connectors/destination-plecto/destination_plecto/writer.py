"""The batching writer: records -> Plecto registrations, and state only after acknowledgement.

Contract (what a STATE we emit means): every record that came before it in the input is stored in Plecto
(acknowledged by a 2xx), deleted (CDC; or kept and counted, when its registration is not this connection's or under
the dry run), or was an invalid record skipped under `on_invalid_record: skip`.

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
- CDC deletes (`_ab_cdc_deleted_at` set): find the registration by (data source, external_id) and DELETE it, if
  it is this connection's (ownership.py: its member api provider is ours); otherwise keep it, count and log it.
- `overwrite` streams: at the end of the input, and only for a stream whose last STREAM_STATUS trace said COMPLETE
  and a write where nothing failed, delete the data source's registrations of this connection whose external_id
  this sync did not write. More than `overwrite_max_deletions` of them fails the sync before any is deleted.
- `deletion_dry_run`: every delete above is logged (counts and the first external ids), none is sent.
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
    AirbyteStreamStatus,
    AirbyteStreamStatusTraceMessage,
    DestinationSyncMode,
    FailureType,
    TraceType,
    Type,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from connector_kit.stream_summary import summary_line

from destination_plecto.client import PlectoBadRequest, PlectoClient, describe
from destination_plecto.config import PlectoConfig, ResolvedStream, config_error
from destination_plecto.field_check import NewFieldWatch
from destination_plecto.mapping import InvalidRecord, RegistrationMapper
from destination_plecto.ownership import Kept, Owner, Sample, owner

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
class _Cleanup:
    """One overwrite data source's clean-up, planned before anything is deleted."""

    streams: list[str]
    data_source: str
    stale: list[str] = field(default_factory=list)  # ids of this connection's registrations the sync did not write
    named: Sample = field(default_factory=Sample)  # their count and first external ids, for the log
    kept: Kept = field(default_factory=Kept)  # not this connection's (or not proven): never deleted
    over_limit: bool = False  # the deletions of the sync pass `overwrite_max_deletions` with this data source

    @property
    def label(self) -> str:
        return ", ".join(f"'{s}'" for s in self.streams)


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
        self.status: dict[str, AirbyteStreamStatus] = {}  # the last STREAM_STATUS of each stream
        self.cdc_kept: dict[str, Kept] = defaultdict(Kept)  # per stream: CDC deletes of registrations not ours
        self.cdc_dry_run: dict[str, Sample] = defaultdict(Sample)  # per stream: CDC deletes not sent (dry run)
        self.dry_run_ids: set[str] = set()  # registrations a CDC delete would have removed: not listed twice

    # ---- main loop ----------------------------------------------------------------------------------
    def write(self, messages: Iterable[AirbyteMessage]) -> Iterator[AirbyteMessage]:
        for message in messages:
            if message.type == Type.RECORD and message.record is not None:
                self._add(message.record.stream, message.record.data)
                if self.failures:
                    break
            elif message.type == Type.STATE and message.state is not None:
                self._queue_state(message)
            elif message.type == Type.TRACE and message.trace is not None and message.trace.type == TraceType.STREAM_STATUS:
                self._note_status(message.trace.stream_status)
            if self.queued and _now() - self.queued[0].queued_at >= self.max_state_delay:
                self.logger.info("A state has waited for its records for too long: flushing every buffer.")
                self._flush_all()
            yield from self._emittable_states()
            if self.failures:
                break
        self._flush_all()
        yield from self._emittable_states()  # what they cover is stored: the clean-up is no part of a state
        if self.failures:
            self._log_summary()
            raise self._failure_exception()
        try:
            self._overwrite_cleanup()
        finally:
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
        """A CDC delete: the registration of this external_id goes, if it is this connection's (ownership.py)."""
        data_source = self.streams[stream].mapping.data_source
        outcome = "delete_not_found"
        for registration in self.client.iter_registrations(data_source, reference=external_id):
            if str(registration.get("external_id")) != external_id or not registration.get("id"):
                continue  # a server that ignores `reference` lists everything: only the exact match goes
            if owner(registration, self.config.member_api_provider) is not Owner.OURS:
                self.cdc_kept[stream].add(registration)
                outcome = "delete_not_ours"
            elif self.config.deletion_dry_run:
                self.cdc_dry_run[stream].add(external_id)
                self.dry_run_ids.add(registration["id"])
                outcome = "delete_dry_run"
            elif self.client.delete_registration(data_source, registration["id"]):
                outcome = "deleted"
        self.stats[stream][outcome] += 1
        self.keep[data_source].discard(external_id)

    # ---- overwrite ----------------------------------------------------------------------------------
    def _note_status(self, status: AirbyteStreamStatusTraceMessage | None) -> None:
        """Keep the last status of each stream of the catalog: its descriptor, name and namespace, must match exactly
        (a status for a stream of another namespace says nothing about this one)."""
        if status is None or status.stream_descriptor is None:
            return
        name, namespace = status.stream_descriptor.name, status.stream_descriptor.namespace or None
        stream = self.streams.get(name)
        if stream is None or namespace != (stream.namespace or None):
            return
        self.status[name] = status.status

    def _overwrite_cleanup(self) -> None:
        """Remove from each overwrite data source the registrations of this connection that the sync did not write:
        only where every overwrite stream into it ended COMPLETE; all planned first, so that the cap stops the sync
        before anything is deleted."""
        by_source: dict[str, list[str]] = defaultdict(list)
        for name, stream in self.streams.items():
            if stream.sync_mode == DestinationSyncMode.overwrite:
                by_source[stream.mapping.data_source].append(name)
        plans = [self._plan_cleanup(data_source, streams) for data_source, streams in by_source.items()
                 if self._complete(data_source, streams)]
        limit, total = self.config.overwrite_max_deletions, 0
        for plan in plans:
            total += len(plan.stale)
            plan.over_limit = total > limit
            if plan.over_limit and not self.config.deletion_dry_run:
                raise config_error(
                    f"Stream {plan.label} (overwrite): the clean-up would delete {len(plan.stale)} registration(s) of "
                    f"data source {plan.data_source} that this sync did not write ({total} in this sync), more than "
                    f"config field 'overwrite_max_deletions' allows ({limit}). Nothing was deleted. If they should go, "
                    "raise 'overwrite_max_deletions'; 'deletion_dry_run' lists them first.")
        for plan in plans:
            self._run_cleanup(plan)

    def _complete(self, data_source: str, streams: list[str]) -> bool:
        unfinished = [name for name in streams if self.status.get(name) != AirbyteStreamStatus.COMPLETE]
        for name in unfinished:
            last = self.status.get(name)
            why = (f"its last stream status is {last.value}" if last is not None
                   else "no stream status COMPLETE arrived for it (no stream status at all)")
            self.logger.info(f"Stream '{name}' (overwrite): {why}, so nothing is deleted from data source {data_source} "
                             "in this sync; the next sync that ends the stream COMPLETE cleans up.")
        return not unfinished

    def _plan_cleanup(self, data_source: str, streams: list[str]) -> _Cleanup:
        plan, keep = _Cleanup(streams, data_source), self.keep[data_source]
        for registration in self.client.iter_registrations(data_source):
            registration_id, external_id = registration.get("id"), str(registration.get("external_id"))
            if not registration_id or external_id in keep or registration_id in self.dry_run_ids:
                continue
            if owner(registration, self.config.member_api_provider) is Owner.OURS:
                plan.stale.append(registration_id)
                plan.named.add(external_id)
            else:
                plan.kept.add(registration)
        return plan

    def _run_cleanup(self, plan: _Cleanup) -> None:
        stats = self.stats[plan.streams[0]]
        if plan.kept.count:
            stats["stale_kept_not_ours"] += plan.kept.count
            self.logger.warning(
                f"Stream {plan.label} (overwrite): kept {plan.kept.count} registration(s) of data source "
                f"{plan.data_source} that this sync did not write, as they are "
                f"{plan.kept.why(self.config.member_api_provider)}: {plan.kept.sample.named()}."
                f"{self._member_hint(plan.streams)}")
        if not plan.stale:
            return
        what = f"{len(plan.stale)} registration(s) of data source {plan.data_source} that this sync did not write"
        if self.config.deletion_dry_run:
            stats["stale_dry_run"] += len(plan.stale)
            cap = (" A real sync would stop here before deleting anything: that makes more than config field "
                   f"'overwrite_max_deletions' allows ({self.config.overwrite_max_deletions})." if plan.over_limit else "")
            self.logger.info(f"Stream {plan.label} (overwrite, dry run): would delete {what}: {plan.named.named()}. "
                             f"Nothing was deleted (config field 'deletion_dry_run').{cap}")
            return
        gone = 0
        for registration_id in plan.stale:
            if self.client.delete_registration(plan.data_source, registration_id):
                stats["stale_deleted"] += 1
            else:
                gone += 1
        already = f" ({gone} of them were already gone)" if gone else ""
        self.logger.info(f"Stream {plan.label} (overwrite): deleted {what}{already}: {plan.named.named()}.")

    def _member_hint(self, streams: Iterable[str]) -> str:
        """Why registrations of a fixed-`member` mapping are kept, and what to do about them."""
        fixed = [self.streams[name].mapping for name in streams if self.streams[name].mapping.member]
        return "".join(
            f" '{m.where}.member' sends every registration of stream '{m.stream}' as one fixed employee: unless that "
            f"employee's api provider is {self.config.member_api_provider!r}, its registrations cannot be told from "
            "other systems' and are kept. Delete them in Plecto, or map members with 'member_api_id_field'."
            for m in fixed)

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
        provider = self.config.member_api_provider
        for stream, kept in self.cdc_kept.items():
            self.logger.warning(
                f"Stream '{stream}': {kept.count} CDC delete(s) not done, as the registration with that external_id in "
                f"data source {self.streams[stream].mapping.data_source} is {kept.why(provider)}: {kept.sample.named()}."
                f"{self._member_hint([stream])}")
        for stream, sample in self.cdc_dry_run.items():
            self.logger.info(f"Stream '{stream}' (dry run): would delete {sample.count} registration(s) for CDC deletes: "
                             f"{sample.named()}. Nothing was deleted (config field 'deletion_dry_run').")
        for stream, stats in self.stats.items():
            if stats:
                self.logger.info(summary_line(stream, stats))  # the pipeline reads it (connector_kit.stream_summary)
