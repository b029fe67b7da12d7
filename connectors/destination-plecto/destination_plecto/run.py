"""Console entry point `destination-plecto` (connector_kit.console: `spec` without the CDK, the connector for the
rest; `write` reads stdin with protocol.parse_lines and prints with protocol.dump, which keep the state `id`)."""

from connector_kit.console import Console

CONSOLE = Console("destination_plecto", "destination_plecto.destination:DestinationPlecto",
                  dump="destination_plecto.protocol:dump", parse="destination_plecto.protocol:parse_lines")
main, run = CONSOLE.main, CONSOLE.run

if __name__ == "__main__":
    run()
