"""Console entry point `source-plutio` (connector_kit.console: `spec` without the CDK, the connector for the rest)."""

from connector_kit.console import Console

CONSOLE = Console("source_plutio", "source_plutio.source:SourcePlutio")
main, run = CONSOLE.main, CONSOLE.run

if __name__ == "__main__":
    run()
