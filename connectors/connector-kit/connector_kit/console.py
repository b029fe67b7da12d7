"""The console entry point of each connector (`source-pluggy`, ..., `destination-plecto`), in one place.

`spec` is answered from the packaged spec without importing the CDK (connector_kit.spec); every other command
imports the connector, by its dotted name, only then. `main` returns the exit code (the tests call it with an
`emit` to collect the output lines); `run` is the console script, whose temp files live in a folder of the run's
own, removed when it ends (connector_kit.temp_folder).
"""

import importlib
import sys
from typing import Any, Callable, List, Optional

from connector_kit.spec import answered_spec

Emit = Callable[[str], None]


def _named(target: str) -> Any:
    """'package.module:Name' -> the object."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


class Console:
    """A connector's console entry point. `connector` names its Source or Destination class; a destination also
    names the function that serialises its messages (`dump`) and may name the one that reads its input lines
    (`parse`, `(lines, logger) -> messages`)."""

    def __init__(self, package: str, connector: str, dump: Optional[str] = None, parse: Optional[str] = None) -> None:
        self.package, self.connector, self.dump, self.parse = package, connector, dump, parse

    def main(self, argv: List[str], emit: Optional[Emit] = None) -> int:
        from connector_kit.entrypoint import destination_main, source_main

        connector = _named(self.connector)
        if self.dump is None:
            return source_main(connector, argv, emit)
        return destination_main(connector(), argv, _named(self.dump), emit,
                                parse=_named(self.parse) if self.parse else None)

    def run(self) -> None:
        if not answered_spec(sys.argv[1:], self.package):
            from connector_kit.temp_folder import run_temp_folder

            with run_temp_folder():  # the CDK's HTTP cache goes, even when the run is stopped (see temp_folder)
                code = self.main(sys.argv[1:])
            sys.exit(code)
