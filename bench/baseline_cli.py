"""What every baseline script shares: its command line (`--config`, the connector's config.json; `--startup-only`,
import and exit), an HTTP session, and its output: one Airbyte RECORD line per record on stdout, as a connector
prints it."""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import requests


@dataclass
class Start:
    args: argparse.Namespace
    config: dict[str, Any]
    base: str  # the config's base_url without a trailing slash
    session: requests.Session


def start(add_options: Callable[[argparse.ArgumentParser], None] = lambda parser: None) -> Optional[Start]:
    """The parsed options, the loaded config and a session; None when only the startup cost is measured."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", help="the connector's config.json")
    parser.add_argument("--startup-only", action="store_true", help="import and exit (startup cost)")
    add_options(parser)
    args = parser.parse_args()
    if args.startup_only:
        return None
    with open(args.config) as f:
        config = json.load(f)
    return Start(args, config, config["base_url"].rstrip("/"), requests.Session())


class RecordWriter:
    """Prints each record as the Airbyte RECORD message a source would, and counts them."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.count = 0
        self.out = sys.stdout

    def write(self, data: Any) -> None:
        message = {"type": "RECORD", "record": {"stream": self.stream, "data": data,
                                                "emitted_at": int(time.time() * 1000)}}
        self.out.write(json.dumps(message, separators=(",", ":")))
        self.out.write("\n")
        self.count += 1
