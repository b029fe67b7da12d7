"""The command line every baseline script shares: `--config` (the connector's config.json), `--startup-only`
(import and exit, to measure startup cost), plus the script's own options."""

import argparse
import json
from typing import Any, Callable, Optional


def parse(add_options: Callable[[argparse.ArgumentParser], None]) -> Optional[tuple[argparse.Namespace, dict[str, Any]]]:
    """The parsed options and the loaded config, or None when only the startup cost is measured."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", help="the connector's config.json")
    parser.add_argument("--startup-only", action="store_true", help="import and exit (startup cost)")
    add_options(parser)
    args = parser.parse_args()
    if args.startup_only:
        return None
    with open(args.config) as f:
        return args, json.load(f)
