"""A cursor told of each partition's greatest record at close (connector_kit.observe) ends in the same state as the
CDK's cursor told of every record, whatever the order, layout or validity of the values."""

import random
import threading

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import NoopMessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor, CursorField
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    CustomFormatConcurrentStreamStateConverter,
)
from airbyte_cdk.sources.types import Record, StreamSlice
from airbyte_cdk.utils.datetime_helpers import ab_datetime_parse

from connector_kit.flow import RecordFlow
from connector_kit.observe import ObservedAtClose

FORMAT = "%Y-%m-%dT%H:%M:%S.%_msZ"


def cdk_cursor() -> ConcurrentCursor:
    return ConcurrentCursor(
        stream_name="transactions", stream_namespace=None, stream_state={}, message_repository=NoopMessageRepository(),
        connector_state_manager=ConnectorStateManager(),
        connector_state_converter=CustomFormatConcurrentStreamStateConverter(
            datetime_format=FORMAT, input_datetime_formats=["%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ",
                                                            "%Y-%m-%dT%H:%M:%S%z"]),
        cursor_field=CursorField("createdAt"), slice_boundary_fields=("start_time", "end_time"),
        start=ab_datetime_parse("2020-01-01T00:00:00Z"), end_provider=lambda: ab_datetime_parse("2030-01-01T00:00:00Z"))


class OnePartition(Partition):
    def __init__(self, stream_slice: StreamSlice) -> None:
        self.stream_slice = stream_slice

    def read(self):  # the worker's loop is played by the test
        return []

    def to_slice(self):
        return self.stream_slice

    def stream_name(self) -> str:
        return "transactions"

    def __hash__(self) -> int:
        return id(self)


def a_slice(n: int) -> StreamSlice:
    return StreamSlice(partition={"account_id": f"a{n}"},
                       cursor_slice={"start_time": "2020-01-01T00:00:00.000Z", "end_time": "2030-01-01T00:00:00.000Z"})


def values(rng: random.Random, count: int) -> list:
    """ISO values in any order, some in other layouts or precisions, some not dates at all."""
    out = []
    for _ in range(count):
        moment = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        kind = rng.random()
        if kind < 0.80:
            out.append(f"{moment}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z")
        elif kind < 0.85:
            out.append(f"{moment}:{rng.randint(0, 59):02d}Z")  # no fraction: another length
        elif kind < 0.90:
            out.append(f"{moment}:{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d}Z")
        elif kind < 0.93:
            out.append(f"{moment}:{rng.randint(0, 59):02d}+00:00")  # another layout
        elif kind < 0.95:
            out.append("2024-02-30T10:00:00.000Z")  # the layout, not a date
        elif kind < 0.97:
            out.append(None)
        else:
            out.append(12345)
    return out


def play(cursor, partitions: dict[int, list]) -> dict:
    """What a worker does: observe each record of a partition after putting it on the queue, then close it."""
    for n, partition_values in partitions.items():
        stream_slice = a_slice(n)
        for value in partition_values:
            cursor.observe(Record(data={"id": "x", "createdAt": value}, stream_name="transactions",
                                  associated_slice=stream_slice))
        cursor.close_partition(OnePartition(stream_slice))
    return cursor.state


def test_given_records_in_any_order_and_layout_when_observed_at_close_then_the_state_is_the_cdk_cursors():
    for seed in range(40):
        rng = random.Random(seed)
        partitions = {n: values(rng, rng.randint(0, 60)) for n in range(4)}
        expected = play(cdk_cursor(), partitions)
        assert play(ObservedAtClose(cdk_cursor()), partitions) == expected, seed


def test_given_a_partition_of_ascending_values_then_the_cdk_cursor_is_told_of_one_record():
    told = []
    cursor = cdk_cursor()
    original = cursor.observe
    cursor.observe = lambda record: (told.append(record.data["createdAt"]), original(record))  # type: ignore
    play(ObservedAtClose(cursor), {0: [f"2024-01-01T00:00:{s:02d}.000Z" for s in range(50)]})
    assert told == ["2024-01-01T00:00:49.000Z"]


def test_given_a_read_that_failed_mid_partition_when_the_thread_reads_the_next_then_nothing_is_mixed():
    partitions = {0: ["2024-05-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z"], 1: ["2024-01-01T00:00:00.000Z"]}
    expected = cdk_cursor()
    observed = ObservedAtClose(cdk_cursor())
    for cursor in (expected, observed):
        failed = a_slice(0)
        for value in partitions[0]:  # partition 0 fails before it closes: never closed
            cursor.observe(Record(data={"createdAt": value}, stream_name="transactions", associated_slice=failed))
        play(cursor, {1: partitions[1]})
    assert observed.state == expected.state
    assert observed.state["createdAt"] == "2024-01-01T00:00:00.000Z"  # partition 1's own value, not partition 0's


def test_given_records_observed_then_each_is_counted_for_the_flow():
    flow = RecordFlow()
    play(ObservedAtClose(cdk_cursor(), flow), {0: ["2024-01-01T00:00:00.000Z"] * 3, 1: [None, 5]})
    assert flow.put == 5


def test_given_several_worker_threads_when_each_reads_its_partitions_then_the_state_is_the_cdk_cursors():
    rng = random.Random(7)
    partitions = {n: values(rng, 80) for n in range(12)}
    expected = play(cdk_cursor(), partitions)
    observed = ObservedAtClose(cdk_cursor())
    threads = [threading.Thread(target=play, args=(observed, {n: partitions[n] for n in range(k, 12, 3)}))
               for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert observed.state == expected
