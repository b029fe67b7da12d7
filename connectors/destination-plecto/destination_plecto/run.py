"""Console entry point `destination-plecto`."""

import sys
from typing import Callable, List, Optional

from connector_kit.entrypoint import destination_main

from destination_plecto.destination import DestinationPlecto
from destination_plecto.protocol import dump


def main(argv: List[str], emit: Optional[Callable[[str], None]] = None) -> int:
    return destination_main(DestinationPlecto(), argv, dump, emit)


def run() -> None:
    sys.exit(main(sys.argv[1:]))
