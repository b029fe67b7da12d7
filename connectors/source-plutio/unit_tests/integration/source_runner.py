"""Runs the source in-process the way the CLI does: catalog, config and state go to the constructor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import jsonschema
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.state_builder import StateBuilder

from source_plutio import SourcePlutio

SCHEMAS = Path(__file__).resolve().parents[4] / "schemas" / "plutio"


def run_read(config: dict, streams: dict[str, SyncMode], state: Optional[dict[str, Any]] = None,
             expecting_exception: bool = False) -> EntrypointOutput:
    builder = CatalogBuilder()
    for name, mode in streams.items():
        builder.with_stream(name, mode)
    catalog = builder.build()
    state_builder = StateBuilder()
    for name, value in (state or {}).items():
        state_builder.with_stream_state(name, value)
    state_messages = state_builder.build()
    source = SourcePlutio(catalog=catalog, config=config, state=state_messages)
    return read(source, config, catalog, state_messages, expecting_exception=expecting_exception)


def assert_records_match_schema(output: EntrypointOutput) -> int:
    """Validate every emitted record against its stream's schema; return how many were checked."""
    checked = 0
    for message in output.records:
        schema = json.loads((SCHEMAS / f"{message.record.stream}.json").read_text())
        jsonschema.validate(message.record.data, schema)
        checked += 1
    return checked
