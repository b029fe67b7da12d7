"""Console entry point `source-plutio`: catalog, config and state go to the constructor (CDK 7 ignores
state given only to read()), and config errors name the field at fault."""

from __future__ import annotations

import sys
from typing import Any, Mapping

from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint
from airbyte_cdk.models import ConnectorSpecification, FailureType
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from jsonschema import Draft7Validator

from source_plutio.source import SourcePlutio


class PlutioEntrypoint(AirbyteEntrypoint):
    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        # The CDK's message shows the bad value and the regex but not the field; say which field and what fits.
        connector_config, _ = split_config(config)
        spec = source_spec.connectionSpecification
        errors = sorted(Draft7Validator(spec).iter_errors(connector_config), key=lambda e: list(e.absolute_path))
        if not errors:
            return
        error = errors[0]
        field = ".".join(str(p) for p in error.absolute_path) or (
            error.message.split("'")[1] if error.validator == "required" else "config")
        hint = spec.get("properties", {}).get(field, {}).get("pattern_descriptor")
        problem = "is required" if error.validator == "required" else "is invalid"
        message = f"Config field `{field}` {problem}" + (f": expected {hint}." if hint else f" ({error.validator}).")
        raise AirbyteTracedException(message=message, internal_message=f"{field}: {error.validator}",
                                     failure_type=FailureType.config_error)


def _source(args: list[str]) -> SourcePlutio:
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    catalog = SourcePlutio.read_catalog(catalog_path) if catalog_path else None
    config = SourcePlutio.read_config(config_path) if config_path else None
    state = SourcePlutio.read_state(state_path) if state_path else None
    return SourcePlutio(catalog=catalog, config=config, state=state)


def run() -> None:
    args = sys.argv[1:]
    entrypoint = PlutioEntrypoint(_source(args))
    parsed_args = entrypoint.parse_args(args)
    with PRINT_BUFFER:  # as airbyte_cdk.entrypoint.launch does
        for message in entrypoint.run(parsed_args):
            print(f"{message}\n", end="")


if __name__ == "__main__":
    run()
