from source_plutio.source import SourcePlutio

__all__ = ["SourcePlutio"]
