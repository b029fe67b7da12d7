"""Record -> registration: dates, external ids, members, fields."""

import pytest
from airbyte_cdk.models import DestinationSyncMode

from destination_plecto.config import ResolvedStream, StreamMapping
from destination_plecto.mapping import InvalidRecord, RegistrationMapper, join_external_id, normalise_date
from request_builder import DATA_SOURCE


def mapper(external_id=(("id",),), **mapping) -> RegistrationMapper:
    m = StreamMapping(stream="transactions", data_source=DATA_SOURCE, **mapping)
    return RegistrationMapper(ResolvedStream("transactions", None, m, external_id, DestinationSyncMode.append), "Airbyte")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-01", "2024-05-01T00:00:00+00:00"),  # date only: midnight UTC
        ("2024-05-01T10:11:12", "2024-05-01T10:11:12+00:00"),  # naive: UTC
        ("2024-05-01 10:11:12", "2024-05-01T10:11:12+00:00"),
        ("2024-05-01T10:11:12Z", "2024-05-01T10:11:12+00:00"),
        ("2024-05-01T10:11:12+02:00", "2024-05-01T10:11:12+02:00"),  # offset kept, not shifted
        ("2024-05-01T10:11:12.987654-03:30", "2024-05-01T10:11:12-03:30"),  # fraction dropped
        ("2024-05-01T10:11", "2024-05-01T10:11:00+00:00"),
        ("2024-05-01T10:11:12.5Z", "2024-05-01T10:11:12+00:00"),
        ("20240501T101112Z", "2024-05-01T10:11:12+00:00"),  # basic form: read by pendulum, not the fast path
        ("2024-05-01T10:11:12+0200", "2024-05-01T10:11:12+02:00"),
        (1714557600, "2024-05-01T10:00:00+00:00"),  # epoch seconds
        (1714557600.9, "2024-05-01T10:00:00+00:00"),
        (1714557600123, "2024-05-01T10:00:00+00:00"),  # epoch milliseconds
        ("1714557600", "2024-05-01T10:00:00+00:00"),  # epoch as text
        (0, "1970-01-01T00:00:00+00:00"),
        (None, None),
        ("", None),
    ],
)
def test_given_date_value_when_normalise_then_iso_with_time_and_offset(value, expected):
    assert normalise_date(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "10:00", "2024-13-45", "2024-02-30T10:00:00Z", True, {"d": 1}, float("nan")])
def test_given_value_that_is_not_a_date_when_normalise_then_value_error(value):
    with pytest.raises(ValueError):
        normalise_date(value)


def test_given_composite_key_when_join_then_stable_and_unambiguous():
    assert join_external_id([7]) == "7"
    assert join_external_id([7.0]) == "7"
    assert join_external_id(["a", 1]) == "a|1"
    assert join_external_id(["a|b", "c"]) != join_external_id(["a", "b|c"])
    assert join_external_id(["a|b", "c"]) == "a\\|b|c"


def test_given_default_mapping_when_map_then_every_top_level_field_sent_and_objects_as_json_text():
    reg = mapper(date_field="created_at").to_registration(
        {"id": 5, "created_at": "2024-01-02", "amount": 12.5, "tags": ["x", "y"], "meta": {"a": 1}, "ok": True,
         "none": None, "_ab_cdc_updated_at": "2024-01-01", "_airbyte_raw_id": "r"})
    assert reg == {
        "data_source": DATA_SOURCE, "external_id": "5",
        "member_api_provider": "Airbyte", "member_api_id": "Airbyte", "member_name": "Airbyte",
        "date": "2024-01-02T00:00:00+00:00",
        "created_at": "2024-01-02", "amount": 12.5, "tags": '["x","y"]', "meta": '{"a":1}', "ok": True, "none": None,
    }


def test_given_record_field_named_like_a_plecto_key_when_map_then_not_sent_and_warned(caplog):
    reg = mapper().to_registration({"id": 1, "member": "someone", "team": "t"})
    assert "member" not in reg and "team" not in reg and "id" not in reg
    assert "'member' has the name of a Plecto key" in caplog.text


def test_given_field_map_when_map_then_only_mapped_fields_under_plecto_names():
    reg = mapper(fields=(("Value", "amount"), ("Product Name", "product"))).to_registration(
        {"id": 1, "amount": 3, "product": {"n": "x"}, "other": 9})
    assert {k: v for k, v in reg.items() if k not in ("data_source", "external_id", "member_api_provider",
                                                     "member_api_id", "member_name")} == {
        "Value": 3, "Product Name": '{"n":"x"}'}


def test_given_member_fields_when_map_then_provider_api_id_and_name():
    reg = mapper(member_api_id_field="owner_id", member_name_field="owner").to_registration(
        {"id": 1, "owner_id": 42, "owner": "Curtis Miller"})
    assert (reg["member_api_provider"], reg["member_api_id"], reg["member_name"]) == ("Airbyte", "42", "Curtis Miller")


def test_given_member_api_id_without_name_field_when_map_then_name_is_the_id():
    reg = mapper(member_api_id_field="owner_id").to_registration({"id": 1, "owner_id": "u7"})
    assert reg["member_name"] == "u7"


def test_given_fixed_member_when_map_then_member_uuid_only():
    reg = mapper(member="d40b0139bc7a48e09128521ac5ed089d").to_registration({"id": 1})
    assert reg["member"] == "d40b0139bc7a48e09128521ac5ed089d"
    assert "member_api_id" not in reg


def test_given_missing_member_value_when_map_then_invalid_record_naming_field_and_id():
    with pytest.raises(InvalidRecord) as error:
        mapper(member_api_id_field="owner_id").to_registration({"id": 9})
    assert "owner_id" in error.value.reason and error.value.external_id == "9"


def test_given_missing_external_id_when_map_then_invalid_record():
    with pytest.raises(InvalidRecord, match="id"):
        mapper().to_registration({"name": "x"})


def test_given_unparseable_date_when_map_then_invalid_record_with_external_id():
    with pytest.raises(InvalidRecord) as error:
        mapper(date_field="when").to_registration({"id": 3, "when": "soon"})
    assert error.value.external_id == "3" and "soon" in error.value.reason


def test_given_null_date_when_map_then_date_omitted():
    assert "date" not in mapper(date_field="when").to_registration({"id": 3, "when": None})


def test_given_nested_primary_key_when_map_then_path_followed():
    reg = mapper(external_id=(("item", "id"), ("account",))).to_registration({"item": {"id": "i1"}, "account": 2})
    assert reg["external_id"] == "i1|2"


def test_given_cdc_marker_when_checked_then_deletion_only_when_set():
    assert RegistrationMapper.is_deletion({"_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"})
    assert not RegistrationMapper.is_deletion({"_ab_cdc_deleted_at": None})
    assert not RegistrationMapper.is_deletion({"id": 1})
