from source_protime.source import SourceProtime

__all__ = ["SourceProtime"]
