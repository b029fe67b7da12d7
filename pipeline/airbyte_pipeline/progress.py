"""Progress while a pipeline runs: one line per step, stamped with the time and its zone, secrets masked, flushed at
once (so a scheduler's log shows where a run is)."""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import IO, Iterator, Optional

from airbyte_pipeline.redaction import Redactor
from airbyte_pipeline.shown_times import clock

HEARTBEAT_SECONDS = 30.0


class Progress:
    def __init__(self, redactor: Redactor, out: Optional[IO[str]] = None) -> None:
        self.redactor = redactor
        self.out = out or sys.stdout
        self._lock = threading.Lock()

    def say(self, who: str, text: str) -> None:
        line = self.redactor.clean(f"{clock()}  {who:<22} {text}")
        with self._lock:
            print(line, file=self.out, flush=True)

    @contextmanager
    def heartbeat(self, who: str, doing: str, every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
        """While the block runs, say every `every` seconds that it still does."""
        started, done = time.monotonic(), threading.Event()

        def beat() -> None:
            while not done.wait(every):
                self.say(who, f"still {doing} ({elapsed(time.monotonic() - started)})")

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()


def elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"
