"""What the pipeline makes of a connector's log lines: a source's per-stream count (the line our connectors log
when a stream ends, connector_kit.stream_summary) becomes a progress line; destination-plecto's summary is kept for
the push; the CDK's own wording of a count is not read."""

from __future__ import annotations

import io

from airbyte_pipeline.connector_output import ConnectorOutput
from airbyte_pipeline.progress import Progress
from airbyte_pipeline.redaction import Redactor
from connector_kit.stream_summary import summary_line


def output() -> tuple[ConnectorOutput, io.StringIO]:
    printed = io.StringIO()
    return ConnectorOutput("protime", Progress(Redactor(), printed)), printed


def said(printed: io.StringIO) -> list[str]:
    return [line.split(None, 3)[3] for line in printed.getvalue().splitlines()]  # without the time, its zone, the source


def test_given_a_sources_count_line_then_the_stream_and_its_records_are_shown_as_progress():
    connector, printed = output()

    connector.log("INFO", summary_line("clockings", {"records": 27}))

    assert said(printed) == ["clockings: 27 records read"]
    assert connector.summaries == {"clockings": {"records": 27}}


def test_given_destination_plectos_summary_then_it_is_kept_for_the_push_and_not_shown_as_read():
    connector, printed = output()

    connector.log("INFO", "Stream 'transactions': posts=3, received=240, stored=240")

    assert said(printed) == []
    assert connector.summaries == {"transactions": {"posts": 3, "received": 240, "stored": 240}}


def test_given_the_cdks_own_count_line_then_it_is_not_read():
    connector, printed = output()

    connector.log("INFO", "Read 27 records from clockings stream")

    assert said(printed) == [] and connector.summaries == {}
