from destination_plecto.destination import DestinationPlecto

__all__ = ["DestinationPlecto"]
