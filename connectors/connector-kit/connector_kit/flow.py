"""A bound on the records read but not yet written out: a source's memory does not grow when its output is slow.

The CDK's workers put each record on a queue that its main thread empties into messages on stdout. That queue holds
up to 10,000 items, a number fixed where the engine is built (no argument or hook sets it, pinned in
unit_tests/test_cdk_pins.py). When the main thread falls behind (a busy machine, a slow destination), up to 10,000
records wait there: 15-25 MiB of a Pluggy sync, so the peak RSS followed the machine's load.

`RecordFlow` counts both ends: a worker counts a record once it has put it on the queue (the cursor observation that
follows each put: observe.ObservedAtClose), the main thread once it has handed the record's message on
(engine.KitEngine.read). A worker that finds more than `bound` records in between waits until the main thread has
caught up to half of it. The main thread never waits here, so it always drains what is counted; and once the read
ends (finished, failed or abandoned) nothing waits any more.
"""

from __future__ import annotations

import threading

DEFAULT_BOUND = 2_000  # records; a Pluggy record is ~1.7 KiB in memory: ~3.5 MiB at most, whatever the load
WAKE_AFTER_SECONDS = 1.0  # a waiting worker looks again this often (a safety net, not the normal wake-up)


class RecordFlow:
    def __init__(self, bound: int = DEFAULT_BOUND) -> None:
        self.bound = bound
        self.resume_at = bound // 2
        self.put = 0  # records counted by the workers
        self.handed_on = 0  # records counted by the main thread (one writer)
        self.most_waiting = 0  # the most records counted and not yet handed on that a worker saw (figures, tests)
        self.waits = 0
        self._waiting = 0
        self._open = True
        self._condition = threading.Condition()

    def produced(self) -> None:
        """A worker put a record on the queue; it waits while too many are ahead of the main thread."""
        with self._condition:
            self.put += 1
            ahead = self.put - self.handed_on
            if ahead > self.most_waiting:
                self.most_waiting = ahead
            if ahead <= self.bound or not self._open:
                return
            self.waits += 1
            self._waiting += 1
            try:
                while self._open and self.put - self.handed_on > self.resume_at:
                    self._condition.wait(WAKE_AFTER_SECONDS)
            finally:
                self._waiting -= 1

    def handed_on_one(self) -> None:
        """The main thread handed a record's message on (to stdout)."""
        self.handed_on += 1
        if self._waiting and self.put - self.handed_on <= self.resume_at:
            with self._condition:
                self._condition.notify_all()

    @property
    def closed(self) -> bool:
        return not self._open

    def close(self) -> None:
        """The read is over: no worker waits any more."""
        with self._condition:
            self._open = False
            self._condition.notify_all()
