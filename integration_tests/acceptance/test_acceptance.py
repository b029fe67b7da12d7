"""The parts of each source's acceptance-test-config.yml that `airbyte-cdk connector test` (CDK 7.39.1) does not
run, run here against the seeded sandbox, through the installed CLIs:

- `basic_read`: every stream with expected records emits exactly those (expected_records/<config>.jsonl, written by
  `make expected-records`), and no record has a top-level field its stream's schema does not declare (the legacy
  `fail_on_extra_columns`; the schemas are complete for the sandbox's data);
- `incremental`: a read, then a read from the states it emitted, which may only re-emit records within the stream's
  documented lookback before its state (a stream whose state holds no cursor value, e.g. a delta link, emits none);
  and a read from a state far in the future (`future_state`), which emits nothing.

Why here and not in the YAML: CDK 7.39.1 rejects `expect_records`, `fail_on_extra_columns` and the like in the
sections it runs, and never collects `incremental`. The rules for expected records and derived inputs are in
acceptance-test-config/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from acceptance_config import BasicRead, IncrementalRead, basic_reads, incremental_reads
from connector_kit.testing.cli import Run, run_connector
from derived_inputs import (cursor_values, datetime_cursors, full_refresh_catalog, future_state, incremental_catalog,
                            lookback, moment)
from expected_records import differences, read, write
from sandbox import emulator_class
from sandbox.ports import relocate

from conftest import SOURCES, bypass_proxies, printed_catalog

# The URL of each source's emulator in this module (on a free port); the configs name the sandbox's fixed port.
EMULATOR_URLS: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module", params=SOURCES)
def source(request) -> Iterator[tuple[str, Any]]:
    """A source and its vendor's emulator, seeded as for the standard tests, on a free port: the configs that
    acceptance-test-config.yml names are read with their sandbox URL moved there (sandbox.ports.relocate)."""
    connector = request.param
    vendor = connector.removeprefix("source-")
    emulator = emulator_class(vendor)(size="small", seed=42).start()
    EMULATOR_URLS[connector] = {vendor: emulator.url}
    with pytest.MonkeyPatch.context() as monkeypatch:
        bypass_proxies(monkeypatch)
        yield connector, emulator
    emulator.stop()
    del EMULATOR_URLS[connector]


@pytest.fixture
def connector(source) -> str:
    """The source under test; its emulator starts each test from the seeded data."""
    name, emulator = source
    emulator.reset()
    return name


def sandbox_config(connector: str, config_path: Path) -> dict[str, Any]:
    """A config file of acceptance-test-config.yml, pointed at this module's emulator of the connector's vendor."""
    return relocate(json.loads(config_path.read_text()), EMULATOR_URLS[connector])


def read_cli(tmp_path: Path, connector: str, config_path: Path, catalog: dict, state: Any = None) -> Run:
    run = run_connector(tmp_path, connector, "read", sandbox_config(connector, config_path), catalog, state)
    assert run.returncode == 0, run.errors() or run.stderr[-2000:]
    return run


@pytest.fixture(scope="module")
def basic_read_runs(source, tmp_path_factory) -> list[tuple[BasicRead, Run, dict[str, Any]]]:
    """Each basic_read config of the source read once in full (every discovered stream, as the CDK's basic_read),
    with the discovered streams: shared by the tests that check those reads."""
    connector, emulator = source
    runs = []
    for entry in basic_reads(connector):
        emulator.reset()
        discovered = printed_catalog(connector, entry.config_path)
        run = read_cli(tmp_path_factory.mktemp("basic_read"), connector, entry.config_path,
                       full_refresh_catalog(discovered, entry.empty_streams))
        runs.append((entry, run, discovered))
    return runs


def catalog_of(entry: IncrementalRead) -> dict[str, Any]:
    if entry.configured_catalog_path:
        return json.loads(entry.configured_catalog_path.read_text())
    return incremental_catalog(printed_catalog(entry.connector, entry.config_path))


# ---- basic_read -----------------------------------------------------------------------------------------------------
def test_given_each_basic_read_config_when_read_then_each_stream_with_expected_records_emits_exactly_those(
        basic_read_runs, request):
    for entry, run, discovered in basic_read_runs:
        emitted = run.records_by_stream()
        if request.config.getoption("update_expected_records"):
            write(entry.expected_records_path, emitted)
            continue
        expected = read(entry.expected_records_path)
        assert not set(expected) - set(discovered), f"{entry.id}: expected records of streams that do not exist"
        for stream in sorted(discovered):
            if stream in entry.empty_streams:
                continue
            # A stream with no expected records yet (new since the last `make expected-records`) must still emit.
            assert emitted.get(stream), f"{entry.id}: {stream} emitted no record (declare it in empty_streams?)"
            if stream in expected:
                assert differences(expected[stream], emitted[stream]) == {"missing": [], "unexpected": []}, \
                    f"{entry.id}: {stream} differs from {entry.expected_records_path.name}"


def test_given_each_basic_read_config_when_read_then_no_record_has_a_field_its_schema_does_not_declare(
        basic_read_runs):
    for entry, run, discovered in basic_read_runs:
        for stream, records in run.records_by_stream().items():
            declared = set(discovered[stream]["json_schema"].get("properties") or {})
            extra = sorted({name for record in records for name in record} - declared)
            assert not extra, f"{entry.id}: {stream} records carry undeclared fields {extra}"


# ---- incremental ----------------------------------------------------------------------------------------------------
def test_given_each_incremental_config_when_read_again_from_its_states_then_only_records_within_the_lookback(
        connector, tmp_path):
    for entry in incremental_reads(connector):
        catalog, config = catalog_of(entry), json.loads(entry.config_path.read_text())
        cursors = datetime_cursors(connector)
        first = read_cli(tmp_path, connector, entry.config_path, catalog)
        second = read_cli(tmp_path, connector, entry.config_path, catalog, first.final_states())
        assert catalog["streams"] and first.records(), f"{entry.id}: nothing incremental was read"
        for configured in catalog["streams"]:
            stream, cursor_field = configured["stream"]["name"], configured["cursor_field"][0]
            values = list(cursor_values(first.stream_state(stream), cursor_field))
            again = second.records(stream)
            if not values:  # the state is not a cursor value (e.g. a delta link): a sync without changes emits nothing
                assert again == [], f"{entry.id}: {stream} re-emitted {len(again)} records"
                continue
            boundary = min(map(moment, values)) - lookback(cursors.get(stream), config)
            early = [r[cursor_field] for r in again if moment(r[cursor_field]) < boundary]
            assert not early, f"{entry.id}: {stream} re-emitted records before its state minus lookback: {early[:3]}"


def test_given_each_incremental_config_when_read_from_a_future_state_then_no_record(connector, tmp_path):
    for entry in incremental_reads(connector):
        catalog, config = catalog_of(entry), json.loads(entry.config_path.read_text())
        if entry.future_state_path:
            states = json.loads(entry.future_state_path.read_text())
            covered = {state["stream"]["stream_descriptor"]["name"] for state in states}
            uncovered = [e["stream"]["name"] for e in catalog["streams"] if e["stream"]["name"] not in covered]
        else:
            states, uncovered = future_state(catalog, datetime_cursors(connector), config)
        assert sorted(uncovered) == sorted(entry.missing_streams), \
            f"{entry.id}: streams without a future state must be the missing_streams, each with a bypass_reason"
        future_catalog = {"streams": [e for e in catalog["streams"] if e["stream"]["name"] not in uncovered]}

        run = read_cli(tmp_path, connector, entry.config_path, future_catalog, states)

        assert future_catalog["streams"] and run.records() == [], f"{entry.id}: records read from a future state"
