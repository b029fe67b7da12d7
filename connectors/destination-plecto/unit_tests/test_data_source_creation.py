"""create_missing_data_sources: a mapping names a data source by title; write finds it or creates it from the
stream's schema (POST /datasources/), once; check only says which it would do."""

from __future__ import annotations

import logging

import pytest
import requests
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_plecto import DestinationPlecto
from request_builder import ConfigBuilder, PlectoRequests, accept_all, catalog, data_source, posted, record, write

LOGGER = logging.getLogger("test")
NEW = "5e1f0c7d2b3a4c6e8f9a0b1c2d3e4f50"
SCHEMA = {
    "id": {"type": "string"},  # the external id: a Plecto key, not a field
    "amount": {"type": ["null", "number"]},
    "seats": {"type": "integer"},
    "won": {"type": "boolean"},
    "stage": {"type": "string"},
    "owner": {"type": "object", "properties": {"name": {"type": "string"}}},
    "_ab_cdc_deleted_at": {"type": ["null", "string"]},
}
CREATED_FIELDS = [
    {"name": "amount", "input": "DecimalInput", "default_value": ""},
    {"name": "seats", "input": "DecimalInput", "default_value": ""},
    {"name": "won", "input": "CheckboxInput", "default_value": ""},
    {"name": "stage", "input": "TextInput", "default_value": ""},
    {"name": "owner", "input": "TextInput", "default_value": ""},
]


def by_title(**mapping) -> dict:
    return ConfigBuilder().with_stream(data_source="Deals", **mapping).with_(create_missing_data_sources=True).build()


@pytest.fixture
def plecto(requests_mock):
    """No data source titled Deals yet; creating one answers 201 with it, as the emulator does."""
    requests_mock.post(PlectoRequests.registrations(), json=accept_all)
    requests_mock.get(PlectoRequests.data_sources(), json=[data_source("0" * 32, "Other")])

    def create(request, context):
        context.status_code = 201
        return dict(request.json(), uuid=NEW)

    requests_mock.post(PlectoRequests.data_sources(), json=create)
    requests_mock.get(PlectoRequests.data_source(NEW), json={"uuid": NEW, "title": "Deals", "fields": CREATED_FIELDS})
    return requests_mock


def creations(requests_mock) -> list[dict]:
    return [r.json() for r in requests_mock.request_history if r.method == "POST" and r.url == PlectoRequests.data_sources()]


def test_given_title_without_data_source_when_write_then_created_once_from_schema_types_and_uuid_logged(plecto, caplog):
    caplog.set_level(logging.INFO)
    write(by_title(), [record({"id": "d1", "amount": 10, "seats": 2, "won": True, "stage": "open", "owner": {"name": "A"}})],
          catalog(properties=SCHEMA))
    assert creations(plecto) == [{"title": "Deals", "fields": CREATED_FIELDS}]
    assert [r["data_source"] for batch in posted(plecto) for r in batch] == [NEW]
    assert f"created Plecto data source 'Deals' ({NEW})" in caplog.text
    assert f"set 'streams[0].data_source' to \"{NEW}\"" in caplog.text


def test_given_data_source_with_that_title_when_write_then_found_and_nothing_created(plecto, caplog):
    caplog.set_level(logging.INFO)
    plecto.get(PlectoRequests.data_sources(), json=[data_source("0" * 32, "Other"), {"uuid": NEW, "title": "Deals"}])
    write(by_title(), [record({"id": "d1", "amount": 10})], catalog(properties=SCHEMA))
    assert creations(plecto) == []
    assert [r["data_source"] for batch in posted(plecto) for r in batch] == [NEW]
    assert f"found Plecto data source 'Deals' ({NEW})" in caplog.text


def test_given_creation_answer_lost_when_write_then_title_looked_up_again_and_not_created_twice(plecto, no_sleep):
    plecto.post(PlectoRequests.data_sources(), exc=requests.exceptions.ReadTimeout)  # Plecto created it; the answer is lost
    plecto.get(PlectoRequests.data_sources(), [{"json": []}, {"json": [{"uuid": NEW, "title": "Deals"}]}])
    write(by_title(), [record({"id": "d1", "amount": 10})], catalog(properties=SCHEMA))
    assert len(creations(plecto)) == 1
    assert [r["data_source"] for batch in posted(plecto) for r in batch] == [NEW]


def test_given_creation_failing_every_time_when_write_then_transient_error_after_max_retries(plecto, no_sleep):
    plecto.post(PlectoRequests.data_sources(), status_code=503, json={"detail": "down"})
    with pytest.raises(AirbyteTracedException) as error:
        write(by_title(), [record({"id": "d1"})], catalog(properties=SCHEMA))
    assert error.value.failure_type == FailureType.transient_error
    assert len(creations(plecto)) == 6  # the first try and max_retries (5), each after looking for the title again
    assert posted(plecto) == []


def test_given_creation_answer_naming_its_id_when_write_then_registrations_go_to_it(plecto):
    def create_with_id(request, context):
        context.status_code = 201
        return {"id": NEW, "title": "Deals"}  # Bullhorn2Plecto reads the new data source's `id`

    plecto.post(PlectoRequests.data_sources(), json=create_with_id)
    write(by_title(), [record({"id": "d1", "amount": 1})], catalog(properties=SCHEMA))
    assert [r["data_source"] for batch in posted(plecto) for r in batch] == [NEW]


def test_given_explicit_fields_and_title_when_write_then_created_with_plecto_names_typed_from_record_fields(plecto):
    fields = [{"plecto_field": "Deal value", "record_field": "amount"}, {"plecto_field": "Won?", "record_field": "won"},
              {"plecto_field": "Source", "record_field": "not_in_schema"}]
    write(by_title(fields=fields), [record({"id": "d1", "amount": 1, "won": False})], catalog(properties=SCHEMA))
    assert creations(plecto) == [{"title": "Deals", "fields": [
        {"name": "Deal value", "input": "DecimalInput", "default_value": ""},
        {"name": "Won?", "input": "CheckboxInput", "default_value": ""},
        {"name": "Source", "input": "TextInput", "default_value": ""}]}]


def test_given_two_streams_with_one_title_when_write_then_created_once(plecto):
    config = ConfigBuilder().with_streams({"stream": "a", "data_source": "Deals"}, {"stream": "b", "data_source": "Deals"}).with_(
        create_missing_data_sources=True).build()
    write(config, [record({"id": "1"}, "a"), record({"id": "2"}, "b")], catalog("a", "b", properties=SCHEMA))
    assert len(creations(plecto)) == 1
    assert {r["data_source"] for batch in posted(plecto) for r in batch} == {NEW}


def test_given_two_data_sources_with_the_title_when_write_then_config_error_naming_both(plecto):
    twin = "6" * 32
    plecto.get(PlectoRequests.data_sources(), json=[{"uuid": NEW, "title": "Deals"}, {"uuid": twin, "title": "Deals"}])
    with pytest.raises(AirbyteTracedException) as error:
        write(by_title(), [record({"id": "d1"})], catalog(properties=SCHEMA))
    assert error.value.failure_type == FailureType.config_error
    assert NEW in error.value.message and twin in error.value.message and "streams[0].data_source" in error.value.message
    assert creations(plecto) == [] and posted(plecto) == []


def test_given_title_and_a_schema_without_fields_when_write_then_config_error_and_nothing_created(plecto):
    with pytest.raises(AirbyteTracedException) as error:
        write(by_title(), [record({"id": "d1", "amount": 1})], catalog())
    assert error.value.failure_type == FailureType.config_error
    assert "'Deals'" in error.value.message and "streams[0].fields" in error.value.message
    assert creations(plecto) == []


def test_given_plecto_refuses_the_creation_when_write_then_config_error_says_create_it_by_hand(plecto):
    plecto.post(PlectoRequests.data_sources(), status_code=400, json={"message": "fields[2]: unknown input 'CheckboxInput'"})
    with pytest.raises(AirbyteTracedException) as error:
        write(by_title(), [record({"id": "d1"})], catalog(properties=SCHEMA))
    assert error.value.failure_type == FailureType.config_error
    assert "unknown input 'CheckboxInput'" in error.value.message and "streams[0].data_source" in error.value.message
    assert len(creations(plecto)) == 1


# ---- check: says what write would do, creates nothing ----------------------------------------------------------
def test_given_title_not_found_when_check_then_succeeded_saying_the_first_sync_creates_it_and_nothing_created(plecto):
    status = DestinationPlecto().check(LOGGER, by_title())
    assert status.status == Status.SUCCEEDED
    assert "no Plecto data source is titled 'Deals' yet" in status.message and "first sync creates it" in status.message
    assert creations(plecto) == []


def test_given_title_found_when_check_then_succeeded_naming_its_uuid_and_how_to_pin_it(plecto):
    plecto.get(PlectoRequests.data_sources(), json=[{"uuid": NEW, "title": "Deals"}])
    status = DestinationPlecto().check(LOGGER, by_title())
    assert status.status == Status.SUCCEEDED
    assert NEW in status.message and "streams[0].data_source" in status.message
    assert creations(plecto) == []
