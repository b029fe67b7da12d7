"""Console script `source-protime`: catalog, config and state go to the constructor (CDK 7 ignores state given only to read())."""

import sys
from typing import List, Optional

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch

from source_protime.source import SourceProtime


def run(args: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    source = SourceProtime(
        SourceProtime.read_catalog(catalog_path) if catalog_path else None,
        SourceProtime.read_config(config_path) if config_path else None,
        SourceProtime.read_state(state_path) if state_path else None,
    )
    launch(source, args)


if __name__ == "__main__":
    run()
