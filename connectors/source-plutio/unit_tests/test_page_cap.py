"""A whole sync against a Plutio that caps its pages (an undocumented maximum `limit`): every record of every stream,
and at most one call more than the minimum (the calls the sync would make knowing the cap), however its streams
interleave. The cap is learned once and shared: a stream never pays for what another already proved."""

import pytest
from airbyte_cdk.models import SyncMode

from plutio_api import CappedPlutio, config, people, read_streams, record

SINCE = "2024-01-01T00:00:00.000Z"  # the config's start_date, as the `q` filter writes it


def statuses(count: int) -> list[dict]:
    return [record("statuses", f"s{n}") for n in range(count)]


@pytest.mark.parametrize("cap", [50, 100, 200])
@pytest.mark.parametrize("page_size", [100, 200])
def test_given_a_capped_server_when_a_sync_reads_big_and_small_streams_then_every_record_and_one_call_at_most_over(
        requests_mock, cap, page_size):
    plutio = CappedPlutio(requests_mock, cap, {"people": people(230), "tasks": people(310, prefix="t"),
                                               "statuses": statuses(30)})

    output = read_streams(config(page_size=page_size), {"people": SyncMode.incremental, "tasks": SyncMode.incremental,
                                                        "statuses": SyncMode.full_refresh})

    by_stream = {s: sorted(r.record.data["_id"] for r in output.records if r.record.stream == s)
                 for s in ("people", "tasks", "statuses")}
    assert {s: len(ids) for s, ids in by_stream.items()} == {"people": 230, "tasks": 310, "statuses": 30}
    assert all(len(set(ids)) == len(ids) for ids in by_stream.values())
    minimum = plutio.minimum(page_size, {"people": SINCE, "tasks": SINCE, "statuses": None})
    assert minimum <= plutio.total_calls() <= minimum + 1, plutio.calls


def test_given_small_changes_since_the_last_sync_when_read_then_one_probe_settles_the_cap_for_every_stream(
        requests_mock):
    # Each stream brings one change: short pages that cannot tell a cap from the end. One probe (a stream's whole
    # collection, unfiltered) shows a full page, and then every stream's short page is its last.
    state = "2024-03-01T00:00:00.000Z"
    old = {name: people(150, prefix=name[0]) for name in ("people", "companies", "projects", "tasks")}
    changed = {name: rows + [record(name, f"{name}-new", "2024-03-02T00:00:00.000Z")] for name, rows in old.items()}
    plutio = CappedPlutio(requests_mock, 100, changed)

    output = read_streams(config(), {name: SyncMode.incremental for name in changed},
                          state={name: {"updatedAt": state} for name in changed})

    assert sorted(r.record.data["_id"] for r in output.records) == sorted(f"{n}-new" for n in changed)
    assert plutio.total_calls() == plutio.minimum(100, {name: state for name in changed}) + 1, plutio.calls
