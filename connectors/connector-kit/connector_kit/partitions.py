"""A stream's partitions made as its reads finish, not all at once: every stream being read keeps its endpoint busy.

How the CDK runs a sync: it makes the partitions of at most `num_workers // 2` streams at once, and its workers run
partitions in the order they were made, each waiting for its endpoint's budget (source-pluggy: 360 calls per 62 s
per endpoint). A stream whose partitions come from a cache (or a short parent list) makes all of them at once: a
thousand `/loans` partitions then sit in front of everything made after them, and while the workers wait for the
`/loans` budget, the other endpoints' budgets go unused although their partitions are waiting.

`OpenPartitions` lets a stream have at most `AHEAD` partitions made and not yet read: making the next one waits
until one of them has been read (or has failed). So the partitions of the streams being read alternate in the
workers' queue, and each stream goes at its endpoint's pace, side by side. `CountedPartition` is the partition the
CDK made, told apart only in that its read, however it ends, frees its place.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable, Iterator, Mapping, Optional

from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record

from connector_kit.flow import RecordFlow

AHEAD = 4  # partitions of one stream made and not yet read; enough to keep a worker busy at any pace


class OpenPartitions:
    """`flow`: the read's record flow; once the read is over (finished, failed, abandoned) nothing waits here."""

    def __init__(self, flow: Optional[RecordFlow] = None, ahead: int = AHEAD) -> None:
        self.flow = flow
        self.ahead = ahead
        self.open = 0
        self._condition = threading.Condition()

    def made(self, partitions: Iterable[Partition]) -> Iterator[Partition]:
        """The partitions, each handed on once fewer than `ahead` of this stream are being read or waiting."""
        for partition in partitions:
            with self._condition:
                while self.open >= self.ahead and not (self.flow is not None and self.flow.closed):
                    self._condition.wait(1.0)
                self.open += 1
            yield CountedPartition(partition, self)

    def read(self) -> None:
        with self._condition:
            self.open -= 1
            self._condition.notify()


class CountedPartition(Partition):
    def __init__(self, partition: Partition, counter: OpenPartitions) -> None:
        self.partition = partition
        self.counter = counter

    def read(self) -> Iterable[Record]:
        try:
            yield from self.partition.read()
        finally:
            self.counter.read()

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return self.partition.to_slice()

    def stream_name(self) -> str:
        return self.partition.stream_name()

    def __hash__(self) -> int:
        return hash(self.partition)

    def __eq__(self, other: Any) -> bool:
        return other is self or (isinstance(other, CountedPartition) and other.partition == self.partition)
