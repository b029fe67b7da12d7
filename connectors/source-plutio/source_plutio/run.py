"""Console entry point `source-plutio`."""

from typing import Callable, List, Optional

from connector_kit.entrypoint import run_source, source_main

from source_plutio.source import SourcePlutio


def main(argv: List[str], emit: Optional[Callable[[str], None]] = None) -> int:
    return source_main(SourcePlutio, argv, emit)


def run() -> None:
    run_source(SourcePlutio)


if __name__ == "__main__":
    run()
