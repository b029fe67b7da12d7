"""What the push pipes into destination-plecto: its records, a STATE at the end, then the protocol's TRACE
STREAM_STATUS COMPLETE for the stream, only when every record went out (destination-plecto's `overwrite` clean-up
waits for it); a push cut short sends none."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import Iterator

from airbyte_pipeline.plecto_push import _Feed
from airbyte_protocol.models import AirbyteMessage

MOMENT = datetime(2025, 1, 1, tzinfo=timezone.utc)


class Pipe(io.StringIO):
    def close(self) -> None:  # keep the text readable after the feed closes its end
        self.closed_by_feed = True


def records(count: int, fail_after: int | None = None) -> Iterator[tuple[datetime, dict]]:
    for index in range(count):
        if index == fail_after:
            raise RuntimeError("the cache went away")
        yield MOMENT, {"id": index}


def sent(feed: _Feed) -> list[dict]:
    pipe = Pipe()
    feed.into(pipe)
    return [json.loads(line) for line in pipe.getvalue().splitlines()]


def test_given_a_stream_pushed_in_full_then_its_complete_status_follows_the_last_record_and_state():
    messages = sent(_Feed("transactions", records(3)))
    assert [m["type"] for m in messages] == ["RECORD", "RECORD", "RECORD", "STATE", "TRACE"]
    trace = messages[-1]
    AirbyteMessage.model_validate(trace)  # the protocol's own shape
    assert trace["trace"]["type"] == "STREAM_STATUS"
    assert trace["trace"]["stream_status"] == {"stream_descriptor": {"name": "transactions"}, "status": "COMPLETE"}
    assert isinstance(trace["trace"]["emitted_at"], float)


def test_given_a_cache_that_fails_mid_stream_then_no_status_is_sent():
    feed = _Feed("transactions", records(5, fail_after=2))
    messages = sent(feed)
    assert [m["type"] for m in messages] == ["RECORD", "RECORD"]
    assert feed.error is not None and not feed.complete


class ClosedPipe(Pipe):
    def write(self, text: str) -> int:
        raise BrokenPipeError


def test_given_a_destination_that_stopped_reading_then_no_status_is_sent():
    feed = _Feed("transactions", records(3))
    feed.into(ClosedPipe())
    assert not feed.complete and feed.sent == 0
