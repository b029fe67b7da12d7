"""Record -> Plecto registration: external id, member, ISO date, fields.

Plecto's body: `data_source`, `external_id`, the member (`member` UUID, or `member_api_provider` +
`member_api_id` + `member_name`), an optional `date` (ISO 8601 with time), and custom fields by their
data-source name. Upserts replace the whole registration, so every registration carries all its fields.
"""

from __future__ import annotations

import json
import logging
import math
import re
from datetime import date, datetime, timezone
from typing import Any, Mapping

import pendulum

from destination_plecto.config import ResolvedStream
from destination_plecto.plecto_fields import FieldKind, describe_type, fits

# Keys of the request body that are not custom fields: a record field with one of these names is not sent by
# the default field mapping (it would overwrite the key; `id` is the registration's own UUID in Plecto's answers);
# map it explicitly under another name instead.
RESERVED_KEYS = frozenset(
    {"data_source", "external_id", "member", "member_api_provider", "member_api_id", "member_name", "date", "team", "id"}
)
# Airbyte metadata columns (CDC and raw-table columns) are not registration data.
METADATA_PREFIXES = ("_ab_", "_airbyte_")
CDC_DELETED_AT = "_ab_cdc_deleted_at"
# Epoch values above this are milliseconds: 1e11 seconds is the year 5138, 1e11 ms is March 1973.
EPOCH_MILLIS_THRESHOLD = 100_000_000_000
DATE_START = re.compile(r"^\d{4}-?\d{2}-?\d{2}")
# The everyday ISO 8601 forms, which datetime.fromisoformat reads exactly as pendulum does, at a tenth of the cost
# (pendulum was a quarter of the destination's CPU). Anything else still goes through pendulum.
PLAIN_ISO = re.compile(r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)?)?$")


def sent_by_default(record_field: str) -> bool:
    """Whether the default mapping (no `fields`) sends a top-level record field as a Plecto field."""
    return not record_field.startswith(METADATA_PREFIXES) and record_field not in RESERVED_KEYS


class InvalidRecord(Exception):
    """A record that cannot become a registration; handled by the `on_invalid_record` policy."""

    def __init__(self, reason: str, external_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.external_id = external_id


def _get(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _id_part(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 7.0 and 7 name the same record
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def join_external_id(values: list[Any]) -> str:
    """One part: its text. Several: joined with '|', with '\\' and '|' escaped so distinct keys never collide."""
    parts = [_id_part(v) for v in values]
    if len(parts) == 1:
        return parts[0]
    return "|".join(p.replace("\\", "\\\\").replace("|", "\\|") for p in parts)


def normalise_date(value: Any) -> str | None:
    """Any date-ish value -> 'YYYY-MM-DDTHH:MM:SS+HH:MM' (Plecto's documented form); None for null/empty.

    Date-only and naive values are taken as UTC. Numbers (and digit strings) are epoch seconds, or milliseconds
    when too large to be seconds. Sub-second precision is dropped: Plecto's format has whole seconds.
    Raises ValueError when the value is not a date.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    moment: datetime
    if isinstance(value, (int, float)) or (isinstance(value, str) and _is_number(value)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a date")
        seconds = number / 1000 if abs(number) >= EPOCH_MILLIS_THRESHOLD else number
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    elif isinstance(value, str):
        text = value.strip()
        if not DATE_START.match(text):  # pendulum would read a bare time as today
            raise ValueError(f"{value!r} is not a date or datetime")
        try:
            parsed = datetime.fromisoformat(text) if PLAIN_ISO.match(text) else pendulum.parse(text, strict=False, tz=None)
        except ValueError as error:  # pendulum's ParserError is a ValueError
            raise ValueError(f"{value!r} is not a date or datetime") from error
        if isinstance(parsed, datetime):
            moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        elif isinstance(parsed, date):
            moment = datetime(parsed.year, parsed.month, parsed.day, tzinfo=timezone.utc)
        else:  # a time or a duration
            raise ValueError(f"{value!r} is not a date or datetime")
    else:
        raise ValueError(f"{type(value).__name__} value is not a date")
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}{sign}{minutes // 60:02d}:{minutes % 60:02d}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lstrip("+-").replace(".", "", 1).isdigit()


def field_value(value: Any) -> Any:
    """Objects and arrays become JSON text (Plecto fields are flat); scalars go as they are."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


class RegistrationMapper:
    """Turns the records of one stream into registrations for its data source."""

    def __init__(self, stream: ResolvedStream, member_api_provider: str, logger: logging.Logger | None = None) -> None:
        self.stream = stream
        self.mapping = stream.mapping
        self.provider = member_api_provider
        self.logger = logger or logging.getLogger("airbyte")
        # Reserved-name fields the mapping already sends (e.g. `id` as external_id, `date` as the date): no warning.
        self._warned_reserved: set[str] = {p[0] for p in stream.external_id if len(p) == 1}
        if self.mapping.date_field:
            self._warned_reserved.add(self.mapping.date_field)
        # The fields whose values are checked: those Plecto gave a type that refuses some values.
        known = stream.data_source_fields
        self._typed_fields = {name: kind for name, kind in (known.kinds.items() if known else ())
                              if kind in (FieldKind.DECIMAL, FieldKind.YES_NO)}
        self._record_field = dict(self.mapping.fields)  # Plecto field -> record field, for messages

    @staticmethod
    def is_deletion(record: Mapping[str, Any]) -> bool:
        return record.get(CDC_DELETED_AT) not in (None, "")

    def external_id(self, record: Mapping[str, Any]) -> str:
        values = [_get(record, path) for path in self.stream.external_id]
        missing = [".".join(p) for p, v in zip(self.stream.external_id, values) if v is None or v == ""]
        if missing:
            raise InvalidRecord(f"external id field(s) {', '.join(missing)} missing or empty")
        return join_external_id(values)

    def to_registration(self, record: Mapping[str, Any]) -> dict[str, Any]:
        external_id = self.external_id(record)
        registration: dict[str, Any] = {"data_source": self.mapping.data_source, "external_id": external_id}
        try:
            registration.update(self._member(record))
            if self.mapping.date_field:
                iso = normalise_date(record.get(self.mapping.date_field))
                if iso is not None:
                    registration["date"] = iso
            registration.update(self._fields(record))
        except (InvalidRecord, ValueError) as error:
            raise InvalidRecord(str(error), external_id) from error
        return registration

    def _member(self, record: Mapping[str, Any]) -> dict[str, Any]:
        if self.mapping.member:
            return {"member": self.mapping.member}
        if self.mapping.member_api_id_field:
            api_id = record.get(self.mapping.member_api_id_field)
            if api_id is None or api_id == "":
                raise InvalidRecord(f"member field {self.mapping.member_api_id_field} missing or empty")
            name = record.get(self.mapping.member_name_field) if self.mapping.member_name_field else None
            return {
                "member_api_provider": self.provider,
                "member_api_id": _id_part(api_id),
                "member_name": str(name) if name not in (None, "") else _id_part(api_id),
            }
        # No employee data: one system member named after the provider, as Plecto does for such systems.
        return {"member_api_provider": self.provider, "member_api_id": self.provider, "member_name": self.provider}

    def _fields(self, record: Mapping[str, Any]) -> dict[str, Any]:
        if self.mapping.fields:
            out = {plecto: field_value(record.get(source)) for plecto, source in self.mapping.fields}
        else:
            out = {}
            for name, value in record.items():
                if name.startswith(METADATA_PREFIXES):
                    continue
                if name in RESERVED_KEYS:
                    if name not in self._warned_reserved:
                        self._warned_reserved.add(name)
                        self.logger.warning(
                            f"Stream '{self.stream.name}': record field '{name}' has the name of a Plecto key and is "
                            f"not sent as a field; map it under another name in the stream's 'fields' to send it."
                        )
                    continue
                out[name] = field_value(value)
        for plecto, kind in self._typed_fields.items():  # type hints, where Plecto said the field's type
            source = self._record_field.get(plecto, plecto)
            if plecto in out and not fits(kind, record.get(source)):
                expected = " (true or false)" if kind is FieldKind.YES_NO else ""
                raise InvalidRecord(f"record field '{source}' holds {describe_type(record.get(source))}, but Plecto "
                                    f"field '{plecto}' is a {kind.value} field{expected}")
        return out

