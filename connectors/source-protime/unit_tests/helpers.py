"""Running the source in-process and validating what it emits."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional

import jsonschema
from airbyte_cdk.models import ConfiguredAirbyteCatalog
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read

from source_protime import SourceProtime


def run_read(config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, state: Optional[list] = None,
             expecting_exception: bool = False) -> EntrypointOutput:
    source = SourceProtime(catalog=catalog, config=config, state=state)  # CDK 7: state at construction
    return read(source, config, catalog, state, expecting_exception=expecting_exception)


def records(output: EntrypointOutput, stream: Optional[str] = None) -> List[dict]:
    return [r.record.data for r in output.records if stream is None or r.record.stream == stream]


def schemas(config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {s.name: s.get_json_schema() for s in SourceProtime(config=config).streams(config)}


def assert_valid(config: Mapping[str, Any], output: EntrypointOutput) -> None:
    """Every emitted record validates against its stream's JSON schema."""
    by_stream = schemas(config)
    assert output.records, "nothing to validate"
    for message in output.records:
        jsonschema.validate(message.record.data, by_stream[message.record.stream])


def last_state(output: EntrypointOutput, stream: str) -> Mapping[str, Any]:
    states = [s.state.stream.stream_state for s in output.state_messages
              if s.state.stream.stream_descriptor.name == stream]
    assert states, f"no state for {stream}"
    value = states[-1]
    return value.__dict__ if hasattr(value, "__dict__") else dict(value)
