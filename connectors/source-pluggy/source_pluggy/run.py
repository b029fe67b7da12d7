"""Console entry point `source-pluggy`."""

from typing import Callable, List, Optional

from connector_kit.entrypoint import run_source, source_main

from source_pluggy.source import SourcePluggy


def main(argv: List[str], emit: Optional[Callable[[str], None]] = None) -> int:
    return source_main(SourcePluggy, argv, emit)


def run() -> None:
    run_source(SourcePluggy)


if __name__ == "__main__":
    run()
