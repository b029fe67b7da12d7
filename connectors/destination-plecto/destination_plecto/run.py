"""Console entry point `destination-plecto`.

`spec` is answered without importing the CDK (connector_kit.spec); every other command runs the full connector.
"""

import sys
from typing import Callable, List, Optional

from connector_kit.spec import answered_spec


def main(argv: List[str], emit: Optional[Callable[[str], None]] = None) -> int:
    from connector_kit.entrypoint import destination_main
    from destination_plecto.destination import DestinationPlecto
    from destination_plecto.protocol import dump

    return destination_main(DestinationPlecto(), argv, dump, emit)


def run() -> None:
    if not answered_spec(sys.argv[1:], "destination_plecto"):
        sys.exit(main(sys.argv[1:]))
