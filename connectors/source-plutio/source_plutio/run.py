"""Console entry point `source-plutio`: catalog, config and state go to the constructor (CDK 7 ignores
state given only to read())."""

from __future__ import annotations

import sys

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch

from source_plutio.source import SourcePlutio


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
    launch(_source(args), args)


if __name__ == "__main__":
    run()
