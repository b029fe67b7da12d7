"""Pytest plugin (`-p connector_kit.testing.test_report`): one line per test file as the file finishes, instead of
a dot per test, and with `--totals-file PATH` the run's counts and seconds as JSON, e.g.

    [12/41] integration_tests/pipeline/test_sync_duckdb.py: 6 passed in 74.2 s

so a long run says where it is and what took the time. Under pytest-xdist the controller prints the lines, from the
reports of every worker: files finish in any order, and the time is the one its tests took (setup, call and teardown
of each, module fixtures included), whichever worker ran them. Every pytest run of `make test` loads it, with
`-o console_output_style=classic` (no percentage at the end of a line of dots that is no longer printed); the totals
files are what `python -m connector_kit.testing.test_totals` adds up into `make test`'s closing line.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pytest

ORDER = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


@dataclass
class FileProgress:
    tests: int
    done: int = 0
    seconds: float = 0.0
    outcomes: Counter = field(default_factory=Counter)


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _outcome(report: pytest.TestReport) -> str | None:
    """What a report says of its test: one outcome per test (the call's, or a setup or teardown that went wrong)."""
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else ("xpassed" if report.when == "call" else None)
    if report.when == "call":
        return report.outcome
    if report.failed:
        return "error"
    if report.when == "setup" and report.skipped:
        return "skipped"
    return None


class FileProgressReporter:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.files: dict[str, FileProgress] = {}
        self.finished = 0
        self.outcomes: Counter = Counter()
        self.deselected = 0
        self.started = time.monotonic()

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def expect(self, nodeids: Iterable[str]) -> None:
        if self.files:  # every xdist worker collects the same tests: the first one says which
            return
        for file, count in Counter(_file_of(nodeid) for nodeid in nodeids).items():
            self.files[file] = FileProgress(count)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.expect(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        self.expect(ids)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):
        outcome = yield
        result = outcome.get_result()
        if result and getattr(report, "when", None) is not None:  # a test's report: no letter, the file line says it
            category, _letter, word = result
            outcome.force_result((category, "", word))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        progress = self.files.get(_file_of(report.nodeid))
        if progress is None:
            return
        progress.seconds += report.duration
        said = _outcome(report)
        if said:
            progress.outcomes[said] += 1
            self.outcomes[said] += 1
        if report.when == "teardown":
            progress.done += 1
            if progress.done == progress.tests:
                self.finished += 1
                self.say(_file_of(report.nodeid), progress)

    def say(self, file: str, progress: FileProgress) -> None:
        counts = ", ".join(f"{progress.outcomes[name]} {name}" for name in ORDER if progress.outcomes[name])
        width = len(str(len(self.files)))
        line = f"[{self.finished:>{width}}/{len(self.files)}] {file}: {counts or 'nothing ran'} in {progress.seconds:.1f} s"
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line, red=bool(progress.outcomes["failed"] or progress.outcomes["error"]))


    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = self.config.getoption("totals_file")
        if path:
            totals = {name: self.outcomes[name] for name in ORDER}
            # Deselected tests are counted where the deselection happens: under xdist the workers deselect, unseen.
            totals.update(deselected=self.deselected, seconds=round(time.monotonic() - self.started, 1))
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps(totals) + "\n", encoding="utf-8")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--totals-file", help="write the run's counts and seconds here, as JSON")


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # on the controller (or without xdist): the workers only report
        config.pluginmanager.register(FileProgressReporter(config), "file-progress-reporter")
