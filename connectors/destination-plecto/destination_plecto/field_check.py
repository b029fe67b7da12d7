"""The fields a stream mapping sends, compared with the fields its Plecto data source has.

A registration key that names no field of the data source is sent all the same; whether Plecto keeps it is not
documented. So the gaps are named up front (check, and the start of each write, against the stream's schema), and
a column that turns up during a write without being in the schema is named once when it first arrives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from destination_plecto.config import ResolvedStream, StreamMapping
from destination_plecto.mapping import sent_by_default
from destination_plecto.plecto_fields import DataSourceFields

# New columns named per stream during one write, at most: a source that invents keys cannot grow memory.
MAX_NEW_FIELDS_NAMED = 50
MAX_KNOWN_NAMES = 10_000


def fields_sent(stream: ResolvedStream) -> dict[str, str]:
    """Plecto field -> record field that fills it: the mapping's `fields`, else the schema's properties. Empty when
    neither says (a schema without properties): the fields are then only known as records arrive."""
    return dict(stream.mapping.fields) or {name: name for name in stream.schema_properties if sent_by_default(name)}


@dataclass(frozen=True)
class FieldComparison:
    mapping: StreamMapping
    data_source: str  # UUID
    missing: tuple[str, ...]  # sent, but the data source has no field of that name
    unfilled: tuple[str, ...]  # fields of the data source that the mapping never fills

    def missing_message(self) -> str:
        stream, where = self.mapping.stream, self.mapping.where
        return (f"Stream '{stream}' sends field(s) {_names(self.missing)} that Plecto data source "
                f"{_label(self.mapping, self.data_source)} does not have, so Plecto may not keep their values. Add "
                f"them to the data source in Plecto, map them to fields it has in '{where}.fields', or leave them out "
                f"(deselect the columns in the connection, or list only the wanted fields in '{where}.fields').")

    def unfilled_message(self) -> str:
        return (f"Stream '{self.mapping.stream}' never fills field(s) {_names(self.unfilled)} of Plecto data source "
                f"{_label(self.mapping, self.data_source)}; they stay empty in its registrations.")


def compare(mapping: StreamMapping, data_source: str, sent: Iterable[str], available: DataSourceFields) -> FieldComparison:
    sent = list(sent)
    return FieldComparison(
        mapping, data_source,
        missing=tuple(name for name in sent if name not in available),
        unfilled=tuple(name for name in available.kinds if name not in set(sent)),
    )


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _label(mapping: StreamMapping, data_source: str) -> str:
    return f"{data_source} ('{mapping.data_source_title}')" if mapping.data_source_title else data_source


class NewFieldWatch:
    """During a write with the default mapping: a record field that is neither in the stream's schema nor a field
    of the data source (the source added a column since the schema was read) is named once, as a warning.
    The start of the next sync compares it under `on_missing_field`, once the schema lists it."""

    def __init__(self, stream: ResolvedStream, logger: logging.Logger) -> None:
        self.stream = stream
        self.logger = logger
        available = stream.data_source_fields
        # Nothing to watch: the mapping names its fields (compared at the start) or Plecto gave no field list.
        self.active = not stream.mapping.fields and available is not None
        self.known: set[str] = set(stream.schema_properties) | set(available.kinds if available else ())
        self.named = 0

    def see(self, record: Mapping[str, Any]) -> None:
        if not self.active or self.known.issuperset(record):  # the common case, at C speed
            return
        for name in record:
            if name in self.known:
                continue
            if not sent_by_default(name):
                if len(self.known) < MAX_KNOWN_NAMES:
                    self.known.add(name)  # metadata and Plecto keys: not sent as fields, and not looked at again
                continue
            self.known.add(name)
            self.named += 1
            self.logger.warning(
                f"Stream '{self.stream.name}' sends field '{name}', which is not in the stream's schema and which "
                f"Plecto data source {self.stream.mapping.data_source} does not have, so Plecto may not keep its "
                f"values. Add it to the data source in Plecto, or leave it out (deselect the column in the connection "
                f"or list the wanted fields in '{self.stream.mapping.where}.fields').")
            if self.named >= MAX_NEW_FIELDS_NAMED:
                self.active = False
                self.logger.warning(f"Stream '{self.stream.name}': {self.named} new fields named; further ones are "
                                    "not named in this sync.")
                return
