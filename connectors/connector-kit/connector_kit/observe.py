"""A stream's cursor told of the record that moves its state, not of every record: the same state, parsed once a
partition instead of three times a record.

Why: the CDK's worker calls `cursor.observe(record)` for every record it reads. For a datetime cursor that parses
the record's cursor value with `strptime` (twice under a per-partition cursor, which also formats it once and
serialises the partition to find its entry): a third of source-pluggy's CPU. Yet what an observation leaves behind
is a maximum: the most recent value per slice (and, per partition, the global one), taken when the partition
closes. So `ObservedAtClose` keeps, per worker thread, the record with the greatest cursor value of the partition
that thread is reading, comparing values as text (ISO-8601 UTC values of one layout and length sort in time order),
and hands that one record to the CDK's cursor just before the partition closes. Every value it cannot compare as
text (another layout, not a string, not a valid date) is handed over at once, as before. The CDK's cursor keeps
every decision: state per partition, the switch to one global cursor past 10,000 partitions, the lookback, the
checkpoints. Nothing reads what a cursor observed before the partition closes: its state changes only on
`close_partition`, and the global value only at the end of the stream (pinned in unit_tests/test_cdk_pins.py).

Why in the engine and not the manifest: CDK 7's declarative schema has no custom incremental sync (it was removed),
and its factory builds the cursor and its state converter itself. A stream's `cursor` is public, and the CDK reads
it from the stream when it hands a partition to a worker; `ObservedStream` is the stream with this cursor.

Only the CDK cursors whose observation is such a maximum are batched (`ConcurrentCursor`,
`ConcurrentPerPartitionCursor`); any other cursor is told of every record, as before. Each observation is also
counted for `flow.RecordFlow` (the bound on records waiting for the main thread).
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from typing import Any, Iterable, Mapping, MutableMapping, Optional

from airbyte_cdk.sources.declarative.incremental.concurrent_partition_cursor import ConcurrentPerPartitionCursor
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor, Cursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from connector_kit.flow import RecordFlow
from connector_kit.partitions import OpenPartitions

# Values that sort in time order as text when they have the same length: UTC, "Z", an optional fraction.
_TEXT_ORDERED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z\Z")
BATCHED_CURSORS = (ConcurrentCursor, ConcurrentPerPartitionCursor)


class _Pending:
    """The record with the greatest cursor value seen so far in the partition one worker thread is reading."""

    __slots__ = ("slice", "value", "record")

    def __init__(self, stream_slice: Any, value: Optional[str], record: Optional[Record]) -> None:
        self.slice, self.value, self.record = stream_slice, value, record


class ObservedAtClose(Cursor):
    """The CDK's cursor (`delegate`), told of each partition's greatest record when the partition closes."""

    def __init__(self, delegate: Cursor, flow: Optional[RecordFlow] = None) -> None:
        self.delegate = delegate
        self.flow = flow
        self.batched = type(delegate) in BATCHED_CURSORS
        self._field = delegate.cursor_field.cursor_field_key if self.batched else ""
        self._local = threading.local()

    # ---- what the worker calls, per record and per partition -------------------------------------------------
    def observe(self, record: Record) -> None:
        if self.flow is not None:
            self.flow.produced()
        if not self.batched:
            self.delegate.observe(record)
            return
        pending: Optional[_Pending] = getattr(self._local, "pending", None)
        stream_slice = record.associated_slice
        if pending is None or pending.slice is not stream_slice:
            self._flush()  # another partition's record left by a failed read: observed now, as it would have been
            if not stream_slice:
                self.delegate.observe(record)  # the CDK refuses a record without a slice: let it say so
                return
            pending = self._local.pending = _Pending(stream_slice, None, None)
        value = record.data.get(self._field)
        if not isinstance(value, str) or not _TEXT_ORDERED.match(value):
            self.delegate.observe(record)  # parsed by the CDK (or refused with its warning), as before
            return
        if pending.value is None or (len(value) == len(pending.value) and value > pending.value):
            if not _is_date(value):
                self.delegate.observe(record)
                return
            pending.value, pending.record = value, record
        elif len(value) != len(pending.value):
            self.delegate.observe(record)  # another precision: not comparable as text

    def close_partition(self, partition: Partition) -> None:
        self._flush()
        self.delegate.close_partition(partition)

    def _flush(self) -> None:
        pending: Optional[_Pending] = getattr(self._local, "pending", None)
        self._local.pending = None
        if pending is not None and pending.record is not None:
            self.delegate.observe(pending.record)

    # ---- everything else is the CDK cursor's ----------------------------------------------------------------
    @property
    def state(self) -> MutableMapping[str, Any]:
        return self.delegate.state

    @property
    def cursor_field(self) -> Any:
        return getattr(self.delegate, "cursor_field", None)

    def ensure_at_least_one_state_emitted(self) -> None:
        self.delegate.ensure_at_least_one_state_emitted()

    def should_be_synced(self, record: Record) -> bool:
        return self.delegate.should_be_synced(record)

    def stream_slices(self) -> Iterable[StreamSlice]:
        return self.delegate.stream_slices()

    def get_cursor_datetime_from_state(self, stream_state: Mapping[str, Any]) -> Optional[datetime]:
        return self.delegate.get_cursor_datetime_from_state(stream_state)


def _is_date(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class ObservedStream(DefaultStream):
    """A stream of the CDK engine whose workers observe records through `ObservedAtClose`.

    A `DefaultStream` (the CDK finds a stream's parents for its stream groups only on one) that hands every call to
    the stream the engine built, except `cursor`, and its partitions, made as they are read (partitions.py)."""

    def __init__(self, stream: DefaultStream, flow: Optional[RecordFlow] = None) -> None:  # no super(): all delegated
        self.stream = stream
        self._observed = ObservedAtClose(stream.cursor, flow)
        self._open = OpenPartitions(flow)

    @property
    def cursor(self) -> Cursor:
        return self._observed

    def generate_partitions(self) -> Iterable[Partition]:
        return self._open.made(self.stream.generate_partitions())

    @property
    def name(self) -> str:
        return self.stream.name

    @property
    def namespace(self) -> Optional[str]:
        return self.stream.namespace

    @property
    def cursor_field(self) -> Optional[str]:
        return self.stream.cursor_field

    def get_json_schema(self) -> Mapping[str, Any]:
        return self.stream.get_json_schema()

    def as_airbyte_stream(self) -> Any:
        return self.stream.as_airbyte_stream()

    def log_stream_sync_configuration(self) -> None:
        self.stream.log_stream_sync_configuration()

    @property
    def block_simultaneous_read(self) -> str:
        return self.stream.block_simultaneous_read

    @block_simultaneous_read.setter
    def block_simultaneous_read(self, value: str) -> None:
        self.stream.block_simultaneous_read = value

    def get_partition_router(self) -> Any:
        return self.stream.get_partition_router()

    def check_availability(self) -> Any:
        return self.stream.check_availability()
