"""Console entry point `source-protime` (connector_kit.console: `spec` without the CDK, the connector for the rest)."""

from connector_kit.console import Console

CONSOLE = Console("source_protime", "source_protime.source:SourceProtime")
main, run = CONSOLE.main, CONSOLE.run

if __name__ == "__main__":
    run()
