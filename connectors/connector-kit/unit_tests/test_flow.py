"""Records put on the CDK's queue and not yet written out stay under the bound: a worker waits for the main thread;
the main thread never waits; a read that ends lets every worker go."""

import threading
import time

from connector_kit.flow import RecordFlow


def test_given_fast_workers_and_a_slow_main_thread_then_at_most_the_bound_waits_and_every_record_passes():
    flow = RecordFlow(bound=100)

    def worker() -> None:
        for _ in range(1_000):
            flow.produced()

    workers = [threading.Thread(target=worker) for _ in range(3)]
    for thread in workers:
        thread.start()
    handed_on = 0
    while handed_on < 3_000:
        if flow.put > handed_on:
            time.sleep(0.0001)  # writing the message out
            flow.handed_on_one()
            handed_on += 1
    for thread in workers:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in workers)
    assert flow.most_waiting <= 100 + 3 and flow.waits > 0  # each worker puts its record, then waits


def test_given_workers_waiting_when_the_read_ends_then_they_go_on():
    flow = RecordFlow(bound=5)
    done = threading.Event()

    def worker() -> None:
        for _ in range(50):
            flow.produced()
        done.set()

    threading.Thread(target=worker, daemon=True).start()
    assert not done.wait(0.3)  # nobody writes: the worker waits at the bound
    flow.close()  # the read failed or was abandoned
    assert done.wait(5)
