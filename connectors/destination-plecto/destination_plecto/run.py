"""Console entry point `destination-plecto` (connector_kit.console: `spec` without the CDK, the connector for the
rest)."""

from connector_kit.console import Console

CONSOLE = Console("destination_plecto", "destination_plecto.destination:DestinationPlecto",
                  dump="destination_plecto.protocol:dump")
main, run = CONSOLE.main, CONSOLE.run

if __name__ == "__main__":
    run()
