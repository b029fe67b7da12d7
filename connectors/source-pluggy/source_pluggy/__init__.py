from source_pluggy.source import SourcePluggy

__all__ = ["SourcePluggy"]
