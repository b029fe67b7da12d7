"""Console entry point `source-pluggy` (connector_kit.console: `spec` without the CDK, the connector for the rest)."""

from connector_kit.console import Console

CONSOLE = Console("source_pluggy", "source_pluggy.source:SourcePluggy")
main, run = CONSOLE.main, CONSOLE.run

if __name__ == "__main__":
    run()
