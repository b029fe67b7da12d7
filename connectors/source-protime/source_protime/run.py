"""Console entry point `source-protime`."""

from typing import Callable, List, Optional

from connector_kit.entrypoint import run_source, source_main

from source_protime.source import SourceProtime


def main(argv: List[str], emit: Optional[Callable[[str], None]] = None) -> int:
    return source_main(SourceProtime, argv, emit)


def run() -> None:
    run_source(SourceProtime)


if __name__ == "__main__":
    run()
