"""Fields sent vs the data source's fields, at the start of write and in check; type hints from field types.

Every write first reads each data source (GET /datasources/<uuid>/); these tests answer with the fields it has.
"""

from __future__ import annotations

import logging

import pytest
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_plecto import DestinationPlecto
from destination_plecto.field_check import MAX_NEW_FIELDS_NAMED
from request_builder import (
    DATA_SOURCE,
    OTHER_DATA_SOURCE,
    ConfigBuilder,
    PlectoRequests,
    accept_all,
    catalog,
    data_source,
    posted,
    record,
    state,
    write,
)

LOGGER = logging.getLogger("test")
SCHEMA = {"id": {"type": "string"}, "amount": {"type": "number"}, "note": {"type": ["null", "string"]}}


@pytest.fixture
def plecto(requests_mock):
    """Registrations are stored; the test data source has one decimal field, `amount`."""
    requests_mock.post(PlectoRequests.registrations(), json=accept_all)
    requests_mock.get(PlectoRequests.data_source(DATA_SOURCE), json=data_source(DATA_SOURCE, "Transactions", amount="DecimalInput"))
    return requests_mock


def records_in(caplog, level: int, *words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and all(w in r.getMessage() for w in words)]


# ---- write: compared at the start --------------------------------------------------------------------------
def test_given_schema_field_the_data_source_lacks_when_write_then_warning_names_stream_and_field_and_values_still_sent(
        plecto, caplog):
    write(ConfigBuilder().build(), [record({"id": "1", "amount": 2, "note": "x"})], catalog(properties=SCHEMA))
    [warning] = records_in(caplog, logging.WARNING, "does not have")
    assert "Stream 'transactions'" in warning and "'note'" in warning and "'amount'" not in warning
    assert "Add them to the data source in Plecto" in warning and "streams[0].fields" in warning
    assert posted(plecto)[0][0]["note"] == "x"


def test_given_on_missing_field_fail_when_write_then_config_error_naming_stream_and_field_before_any_post(plecto):
    config = ConfigBuilder().with_(on_missing_field="fail").build()
    with pytest.raises(AirbyteTracedException) as error:
        write(config, [record({"id": "1", "amount": 2, "note": "x"}), state("s")], catalog(properties=SCHEMA))
    assert error.value.failure_type == FailureType.config_error
    assert "Stream 'transactions'" in error.value.message and "'note'" in error.value.message
    assert "on_missing_field" in error.value.message
    assert posted(plecto) == []


def test_given_reserved_and_metadata_properties_when_compared_then_not_reported_as_missing(plecto, caplog):
    schema = {"id": {"type": "string"}, "date": {"type": "string"}, "_ab_cdc_deleted_at": {"type": "string"},
              "_airbyte_raw_id": {"type": "string"}, "amount": {"type": "number"}}
    write(ConfigBuilder().with_(on_missing_field="fail").build(), [record({"id": "1", "amount": 2})], catalog(properties=schema))
    assert len(posted(plecto)) == 1
    assert not records_in(caplog, logging.WARNING, "does not have")


def test_given_explicit_fields_when_write_then_compared_by_plecto_field_name_without_a_schema(plecto, caplog):
    config = ConfigBuilder().with_stream(fields=[{"plecto_field": "amount", "record_field": "value"},
                                                 {"plecto_field": "Category", "record_field": "cat"}]).build()
    write(config, [record({"id": "1", "value": 3, "cat": "food"})])
    [warning] = records_in(caplog, logging.WARNING, "does not have")
    assert "'Category'" in warning and "'amount'" not in warning and "'cat'" not in warning


def test_given_data_source_field_never_filled_when_write_then_named_once_as_information(plecto, caplog):
    plecto.get(PlectoRequests.data_source(DATA_SOURCE),
               json=data_source(DATA_SOURCE, "Transactions", amount="DecimalInput", region="TextInput"))
    caplog.set_level(logging.INFO)
    write(ConfigBuilder().build(), [record({"id": str(i), "amount": i}) for i in range(3)],
          catalog(properties={"id": {"type": "string"}, "amount": {"type": "number"}}))
    assert records_in(caplog, logging.INFO, "never fills", "'region'") == [
        f"Stream 'transactions' never fills field(s) 'region' of Plecto data source {DATA_SOURCE}; they stay empty in "
        "its registrations."]


def test_given_answers_without_a_field_list_when_write_then_said_once_and_every_record_stored(requests_mock, caplog):
    requests_mock.post(PlectoRequests.registrations(), json=accept_all)
    for uuid in (DATA_SOURCE, OTHER_DATA_SOURCE):
        requests_mock.get(PlectoRequests.data_source(uuid), json={"uuid": uuid, "title": "T"})
    config = ConfigBuilder().with_streams({"stream": "transactions", "data_source": DATA_SOURCE},
                                          {"stream": "accounts", "data_source": OTHER_DATA_SOURCE}).with_(
        on_missing_field="fail").build()
    out = write(config, [record({"id": "1", "amount": "n/a"}), record({"id": "2"}, "accounts"), state("s")],
                catalog("transactions", "accounts", properties=SCHEMA))
    assert [m.state.stream.stream_state.cursor for m in out] == ["s"]
    assert len(records_in(caplog, logging.WARNING, "no field list")) == 1
    assert sorted(r["external_id"] for batch in posted(requests_mock) for r in batch) == ["1", "2"]  # no type hints


# ---- write: columns that arrive without being in the schema --------------------------------------------------
def test_given_record_field_neither_in_schema_nor_data_source_when_write_then_warned_once_per_stream(plecto, caplog):
    records = [record({"id": str(i), "amount": i, "added_later": i, "_airbyte_extracted_at": 1, "team": "t"})
               for i in range(5)]  # metadata and Plecto keys are not sent as fields: not named as new
    write(ConfigBuilder().build(), records, catalog(properties={"id": {"type": "string"}, "amount": {"type": "number"}}))
    [warning] = records_in(caplog, logging.WARNING, "not in the stream's schema")
    assert "'added_later'" in warning
    assert "Stream 'transactions'" in warning and "not in the stream's schema" in warning
    assert all(r["added_later"] is not None for r in posted(plecto)[0])  # sent, and said


def test_given_more_new_fields_than_the_limit_when_write_then_named_up_to_the_limit_then_one_line(plecto, caplog):
    records = [record({"id": str(i), f"new_{i}": i}) for i in range(MAX_NEW_FIELDS_NAMED + 10)]
    write(ConfigBuilder().build(), records, catalog(properties={"id": {"type": "string"}}))
    assert len(records_in(caplog, logging.WARNING, "not in the stream's schema")) == MAX_NEW_FIELDS_NAMED
    assert len(records_in(caplog, logging.WARNING, "further ones are not named")) == 1


# ---- write: type hints ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fields, value, words", [
    ({"amount": "DecimalInput"}, "three", "holds text, but Plecto field 'amount' is a decimal field"),
    ({"amount": "DecimalInput"}, {"v": 1}, "holds an object, but Plecto field 'amount' is a decimal field"),
    ({"amount": "CheckboxInput"}, "yes", "holds text, but Plecto field 'amount' is a Yes/No field (true or false)"),
])
def test_given_value_that_does_not_fit_the_field_type_and_fail_when_write_then_error_names_stream_record_and_field(
        plecto, fields, value, words):
    plecto.get(PlectoRequests.data_source(DATA_SOURCE), json=data_source(DATA_SOURCE, "Transactions", **fields))
    with pytest.raises(AirbyteTracedException) as error:
        write(ConfigBuilder().build(), [record({"id": "ok", "amount": True if "Checkbox" in fields["amount"] else 1}),
                                        record({"id": "bad", "amount": value})])
    assert "stream 'transactions' external_id 'bad'" in error.value.message and words in error.value.message
    assert [[r["external_id"] for r in batch] for batch in posted(plecto)] == [["ok"]]  # never sent to Plecto


def test_given_text_in_decimal_field_and_skip_when_write_then_skipped_counted_and_the_rest_stored(plecto, caplog):
    caplog.set_level(logging.INFO)
    out = write(ConfigBuilder().with_(on_invalid_record="skip").build(),
                [record({"id": "1", "amount": "12.5"}), record({"id": "2", "amount": "n/a"}), state("s")])
    assert [[r["external_id"] for r in batch] for batch in posted(plecto)] == [["1"]]
    assert "skipped external_id '2': record field 'amount' holds text" in caplog.text and "invalid_skipped=1" in caplog.text
    assert out[0].state.destinationStats.recordCount == 2


def test_given_field_of_unknown_type_when_write_then_value_sent_unchecked(plecto):
    plecto.get(PlectoRequests.data_source(DATA_SOURCE), json=data_source(DATA_SOURCE, "Transactions", amount="ListInput"))
    write(ConfigBuilder().build(), [record({"id": "1", "amount": "any text"})])
    assert posted(plecto)[0][0]["amount"] == "any text"


# ---- check ---------------------------------------------------------------------------------------------------
EXPLICIT = [{"plecto_field": "amount", "record_field": "value"}, {"plecto_field": "Category", "record_field": "cat"}]


def test_given_explicit_field_the_data_source_lacks_when_check_then_succeeded_with_warning_naming_stream_and_field(plecto):
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_stream(fields=EXPLICIT).build())
    assert status.status == Status.SUCCEEDED
    assert "Stream 'transactions'" in status.message and "'Category'" in status.message


def test_given_explicit_field_the_data_source_lacks_and_fail_when_check_then_failed_naming_stream_and_field(plecto):
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_stream(fields=EXPLICIT).with_(on_missing_field="fail").build())
    assert status.status == Status.FAILED
    assert "Stream 'transactions'" in status.message and "'Category'" in status.message


def test_given_every_field_present_when_check_then_succeeded_without_a_message(plecto):
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_stream(fields=EXPLICIT[:1]).build())
    assert (status.status, status.message) == (Status.SUCCEEDED, None)


def test_given_answer_without_a_field_list_when_check_then_succeeded_saying_fields_are_not_compared(requests_mock):
    requests_mock.get(PlectoRequests.data_source(DATA_SOURCE), json={"uuid": DATA_SOURCE, "title": "T"})
    status = DestinationPlecto().check(LOGGER, ConfigBuilder().with_stream(fields=EXPLICIT).with_(on_missing_field="fail").build())
    assert status.status == Status.SUCCEEDED and "no field list" in status.message
