"""The Plecto data sources of the stream mappings: found by title or created from the stream schema
(`create_missing_data_sources`), and their fields read and compared with what each mapping sends.

`check` reads and compares but never creates (it has no catalog, so no schema); the start of `write` does it all.
Plecto's titles need not be unique and a creation is not an upsert: the connector looks for the title first, and
looks again before it re-sends a creation whose answer was lost, so running twice creates nothing new.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from airbyte_cdk.models import FailureType

from destination_plecto.client import PlectoBadRequest, PlectoClient, PlectoError, describe
from destination_plecto.config import PlectoConfig, ResolvedStream, StreamMapping, config_error
from destination_plecto.field_check import compare, fields_sent
from destination_plecto.plecto_fields import DataSourceFields, field_spec, kind_of_schema, read_fields


def uuid_of(data_source: Any) -> str:
    """A data source's UUID in Plecto's 32-digit form; answers name it `uuid` (lists) or `id` (Bullhorn2Plecto)."""
    if not isinstance(data_source, Mapping):
        return ""
    return str(data_source.get("uuid") or data_source.get("id") or "").replace("-", "").lower()


def not_found_message(missing: list[str]) -> str:
    return (f"Data source(s) not found: {', '.join(missing)}. Copy the UUID from the data source's URL in Plecto "
            "(Data management > Data sources) and make sure this employee can access it.")


def pin_hint(mapping: StreamMapping, uuid: str) -> str:
    return (f"To pin it, set '{mapping.where}.data_source' to \"{uuid}\" in the config (until then the title finds it; "
            "a data source renamed in Plecto would be created anew).")


class DataSources:
    """The data sources of one run: listed once (for titles), each read once (for fields)."""

    def __init__(self, client: PlectoClient, logger: logging.Logger) -> None:
        self.client = client
        self.logger = logger
        self._listed: list[Any] | None = None
        self._read: dict[str, Any] = {}
        self._said_no_field_list = False

    # ---- by title ---------------------------------------------------------------------------------------
    def titled(self, mapping: StreamMapping) -> list[str]:
        """UUIDs of the data sources whose title is the mapping's; a config error when several share it."""
        if self._listed is None:
            self._listed = self.client.list_data_sources()
        title = mapping.data_source_title
        found = [uuid_of(ds) for ds in self._listed if isinstance(ds, Mapping) and str(ds.get("title", "")).strip() == title]
        if len(found) > 1:
            raise config_error(
                f"Several Plecto data sources are titled '{title}' ({', '.join(found)}): set the UUID of the one stream "
                f"'{mapping.stream}' writes to in '{mapping.where}.data_source'.")
        return found

    def find_or_create(self, stream: ResolvedStream) -> str:
        mapping = stream.mapping
        found = self.titled(mapping)
        if found:
            self.logger.info(f"Stream '{mapping.stream}': found Plecto data source '{mapping.data_source_title}' "
                             f"({found[0]}). {pin_hint(mapping, found[0])}")
            return found[0]
        fields = creation_fields(stream)
        if not fields:
            raise config_error(
                f"Stream '{mapping.stream}': no Plecto data source is titled '{mapping.data_source_title}', and neither "
                f"'{mapping.where}.fields' nor the stream's schema names a field to create it with. Plecto cannot add "
                "fields to a data source later through the API, so the connector does not create it empty: list the "
                f"fields in '{mapping.where}.fields', or create the data source in Plecto and set its UUID.")
        uuid = self._create(mapping, fields)
        described = ", ".join(f"{f['name']} ({f['input']})" for f in fields)
        self.logger.info(f"Stream '{mapping.stream}': created Plecto data source '{mapping.data_source_title}' ({uuid}) "
                         f"with field(s) {described}. {pin_hint(mapping, uuid)}")
        return uuid

    def _create(self, mapping: StreamMapping, fields: list[dict[str, str]]) -> str:
        title = mapping.data_source_title or ""
        for attempt in range(1, self.client.max_retries + 2):
            try:
                created = self.client.create_data_source(title, fields)
            except PlectoBadRequest as error:
                raise config_error(
                    f"Plecto refused to create data source '{title}' for stream '{mapping.stream}': "
                    f"{describe(error.body)}. Create it in Plecto and set its UUID in '{mapping.where}.data_source'."
                ) from error
            except PlectoError as error:
                if error.failure_type != FailureType.transient_error or attempt > self.client.max_retries:
                    raise
                # Plecto may have created it before its answer was lost: look again before sending it again.
                wait = self.client.backoff.exponential(attempt)
                self.logger.warning(f"Creating Plecto data source '{title}' failed ({error.message}); looking for "
                                    f"it again in {wait:.1f}s")
                time.sleep(wait)
                self._listed = None
                found = self.titled(mapping)
                if found:
                    return found[0]
                continue
            uuid = uuid_of(created)
            if not uuid:
                raise PlectoError(f"Plecto answered the creation of data source '{title}' without its uuid: "
                                  f"{describe(created)}. Find the data source in Plecto and set its UUID in "
                                  f"'{mapping.where}.data_source'.")
            assert self._listed is not None  # titled() listed them before
            self._listed.append(created)  # a later stream with the same title finds it
            return uuid
        raise AssertionError("unreachable: the last attempt returns or raises")

    # ---- fields -----------------------------------------------------------------------------------------
    def read(self, uuid: str) -> Any:
        """The data source's answer; None when it does not exist (or this employee cannot see it)."""
        if uuid not in self._read:
            self._read[uuid] = self.client.get_data_source(uuid)
        return self._read[uuid]

    def fields_of(self, uuid: str, answer: Any) -> DataSourceFields | None:
        fields = read_fields(answer)
        if fields is None and not self._said_no_field_list:
            self._said_no_field_list = True
            self.logger.warning(self.no_field_list_message(uuid))
        return fields

    @staticmethod
    def no_field_list_message(uuid: str) -> str:
        return (f"Plecto's answer for data source {uuid} has no field list this connector recognises (a 'fields' list "
                "of objects with a 'name'): the fields sent are not compared with the data source's, and values are "
                "not checked against field types. The sync goes on.")


def creation_fields(stream: ResolvedStream) -> list[dict[str, str]]:
    """One Plecto field per field the mapping sends, typed from the stream's JSON schema."""
    properties = stream.schema_properties
    return [field_spec(plecto, kind_of_schema(properties.get(record))) for plecto, record in fields_sent(stream).items()]


# ---- write: before the first record ----------------------------------------------------------------------
def prepare_streams(config: PlectoConfig, streams: dict[str, ResolvedStream], client: PlectoClient,
                    logger: logging.Logger) -> dict[str, ResolvedStream]:
    """Each stream with its data source's UUID (found or created by title) and fields. Fields sent that the data
    source lacks are named: a warning, or one config error before anything is written (`on_missing_field: fail`)."""
    directory = DataSources(client, logger)
    prepared: dict[str, ResolvedStream] = {}
    gaps: list[str] = []
    for name, stream in streams.items():
        mapping = stream.mapping
        uuid = mapping.data_source or directory.find_or_create(stream)
        answer = directory.read(uuid)
        if answer is None:
            raise config_error(not_found_message([f"'{mapping.where}.data_source' {uuid} (stream '{name}')"]))
        stream = replace(stream, mapping=replace(mapping, data_source=uuid), data_source_fields=directory.fields_of(uuid, answer))
        prepared[name] = stream
        sent = fields_sent(stream)
        if stream.data_source_fields is None or not sent:
            continue  # nothing to compare before the records arrive (see field_check.NewFieldWatch)
        comparison = compare(stream.mapping, uuid, sent, stream.data_source_fields)
        if comparison.missing:
            gaps.append(comparison.missing_message())
        if comparison.unfilled:
            logger.info(comparison.unfilled_message())
    if gaps and config.on_missing_field == "fail":
        raise config_error(" ".join(gaps) + " Nothing was written ('on_missing_field' is 'fail'; 'warn' sends them "
                           "anyway).")
    for gap in gaps:
        logger.warning(gap)
    return prepared


# ---- check: read and compare, never create ---------------------------------------------------------------
@dataclass
class CheckFindings:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_data_sources(config: PlectoConfig, client: PlectoClient, logger: logging.Logger) -> CheckFindings:
    """What `check` reports per mapping: data sources not found, fields of `fields` the data source lacks (a failure
    under `on_missing_field: fail`), titles found or still to be created, fields never filled."""
    directory = DataSources(client, logger)
    findings = CheckFindings()
    not_found: list[str] = []
    said_no_field_list = False
    for mapping in config.streams:
        uuid = mapping.data_source
        if mapping.data_source_title:
            found = directory.titled(mapping)
            if not found:
                findings.notes.append(f"Stream '{mapping.stream}': no Plecto data source is titled "
                                      f"'{mapping.data_source_title}' yet; the first sync creates it from the stream's "
                                      "schema.")
                continue
            uuid = found[0]
            findings.notes.append(f"Stream '{mapping.stream}': data source '{mapping.data_source_title}' is {uuid}. "
                                  + pin_hint(mapping, uuid))
        answer = directory.read(uuid)
        if answer is None:
            not_found.append(f"'{mapping.where}.data_source' {uuid} (stream '{mapping.stream}')")
            continue
        fields = read_fields(answer)
        if fields is None:
            if not said_no_field_list:
                said_no_field_list = True
                findings.notes.append(directory.no_field_list_message(uuid))
            continue
        if not mapping.fields:
            logger.info(f"Stream '{mapping.stream}' sends every record field: they are compared with the data "
                        "source's at the start of each sync, against the stream's schema.")
            continue
        comparison = compare(mapping, uuid, dict(mapping.fields), fields)
        if comparison.missing:
            (findings.failures if config.on_missing_field == "fail" else findings.warnings).append(
                comparison.missing_message())
        if comparison.unfilled:
            findings.notes.append(comparison.unfilled_message())
    if not_found:
        findings.failures.insert(0, not_found_message(not_found))
    return findings
