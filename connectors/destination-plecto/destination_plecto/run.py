import sys

from destination_plecto.destination import DestinationPlecto


def run() -> None:
    DestinationPlecto().run(sys.argv[1:])
