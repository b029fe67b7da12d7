"""Console entry point `source-protime`.

`spec` is answered without importing the CDK (connector_kit.spec); every other command runs the full connector.
"""

import sys
from typing import Callable, List, Optional

from connector_kit.spec import answered_spec


def main(argv: List[str], emit: Optional[Callable[[str], None]] = None) -> int:
    from connector_kit.entrypoint import source_main
    from source_protime.source import SourceProtime

    return source_main(SourceProtime, argv, emit)


def run() -> None:
    if not answered_spec(sys.argv[1:], "source_protime"):
        from connector_kit.entrypoint import run_source
        from source_protime.source import SourceProtime

        run_source(SourceProtime)


if __name__ == "__main__":
    run()
