"""A stream has at most AHEAD partitions made and not yet read: making the next one waits for a read to end (or
fail), so the partitions of several streams alternate in the workers' queue; once the read is over nothing waits."""

import queue
import threading

import pytest

from connector_kit.flow import RecordFlow
from connector_kit.partitions import AHEAD, OpenPartitions


class Made:
    def __init__(self, n: int, fail: bool = False) -> None:
        self.n, self.fail = n, fail

    def read(self):
        if self.fail:
            raise RuntimeError("the API failed")
        yield {"n": self.n}

    def to_slice(self):
        return {"n": self.n}

    def stream_name(self) -> str:
        return "loans"

    def __hash__(self) -> int:
        return self.n


def test_given_a_stream_of_many_partitions_then_at_most_ahead_are_made_before_one_is_read():
    counter = OpenPartitions()
    handed: queue.Queue = queue.Queue()
    most_open = []

    def make() -> None:  # the CDK's partition generator thread
        for partition in counter.made(Made(n) for n in range(50)):
            most_open.append(counter.open)
            handed.put(partition)
        handed.put(None)

    threading.Thread(target=make, daemon=True).start()
    read = []
    while (partition := handed.get(timeout=5)) is not None:  # a worker
        read += [record["n"] for record in partition.read()]
    assert read == list(range(50))
    assert max(most_open) == AHEAD and counter.open == 0


def test_given_a_partition_whose_read_fails_then_its_place_is_freed():
    counter = OpenPartitions(ahead=1)
    made = counter.made([Made(0, fail=True), Made(1)])
    first = next(made)
    with pytest.raises(RuntimeError):
        list(first.read())
    second = next(made)  # would wait forever if the failed read kept its place
    assert [r["n"] for r in second.read()] == [1]


def test_given_the_read_is_over_when_partitions_are_still_made_then_nothing_waits():
    flow = RecordFlow()
    counter = OpenPartitions(flow, ahead=1)
    made = counter.made([Made(0), Made(1)])
    next(made)  # never read: the sync failed elsewhere
    flow.close()
    assert next(made).to_slice() == {"n": 1}


def test_given_a_counted_partition_then_the_cdk_sees_the_partition_it_made():
    counter = OpenPartitions()
    original = Made(7)
    counted = next(counter.made([original]))
    assert counted.to_slice() == {"n": 7} and counted.stream_name() == "loans" and hash(counted) == hash(original)
    assert counted == counted and {counted} == {counted}
