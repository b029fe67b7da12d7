"""Console entry point `source-pluggy`: builds the source with catalog, config and state from argv."""

from __future__ import annotations

import sys

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch

from source_pluggy.source import SourcePluggy


def _source(args: list[str]) -> SourcePluggy:
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    return SourcePluggy(
        catalog=SourcePluggy.read_catalog(catalog_path) if catalog_path else None,
        config=SourcePluggy.read_config(config_path) if config_path else None,
        state=SourcePluggy.read_state(state_path) if state_path else None,
    )


def run() -> None:
    args = sys.argv[1:]
    launch(_source(args), args)


if __name__ == "__main__":
    run()
