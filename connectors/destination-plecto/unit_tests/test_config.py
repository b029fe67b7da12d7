"""Config parsing and stream resolution: every error names the field or stream."""

import pytest
from airbyte_cdk.models import DestinationSyncMode, FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_plecto.config import PlectoConfig, resolve_streams
from request_builder import DATA_SOURCE, ConfigBuilder, catalog


def test_given_catalog_stream_without_mapping_when_resolve_then_config_error_names_it():
    config = PlectoConfig.parse(ConfigBuilder().build())
    with pytest.raises(AirbyteTracedException) as error:
        resolve_streams(config, catalog("transactions", "accounts"))
    assert error.value.failure_type == FailureType.config_error
    assert "accounts" in error.value.message and "transactions" not in error.value.message.split("have no")[0]


def test_given_no_external_id_and_no_primary_key_when_resolve_then_config_error_names_stream():
    config = PlectoConfig.parse(ConfigBuilder().build())
    with pytest.raises(AirbyteTracedException, match="transactions"):
        resolve_streams(config, catalog("transactions", primary_key=[]))


def test_given_primary_key_when_resolve_then_external_id_defaults_to_it():
    config = PlectoConfig.parse(ConfigBuilder().build())
    resolved = resolve_streams(config, catalog(("transactions", DestinationSyncMode.overwrite), primary_key=[["a"], ["b"]]))
    assert resolved["transactions"].external_id == (("a",), ("b",))
    assert resolved["transactions"].sync_mode == DestinationSyncMode.overwrite


def test_given_external_id_in_mapping_when_resolve_then_it_wins_over_primary_key():
    config = PlectoConfig.parse(ConfigBuilder().with_stream(external_id=["code"]).build())
    assert resolve_streams(config, catalog())["transactions"].external_id == (("code",),)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"batch_size": 101}, "batch_size"),
        ({"password": ""}, "password"),
        ({"on_invalid_record": "ignore"}, "on_invalid_record"),
        ({"streams": [{"stream": "t", "data_source": "not-a-uuid"}]}, "streams[0].data_source"),
        ({"streams": [{"stream": "t", "data_source": DATA_SOURCE, "member": DATA_SOURCE, "member_api_id_field": "x"}]},
         "streams[0].member"),
        ({"streams": [{"stream": "t", "data_source": DATA_SOURCE}, {"stream": "t", "data_source": DATA_SOURCE}]}, "'t'"),
        ({"on_missing_field": "ignore"}, "on_missing_field"),
        ({"streams": [{"stream": "t", "data_source": "  "}], "create_missing_data_sources": True}, "streams[0].data_source"),
    ],
)
def test_given_bad_config_when_parse_then_error_names_field(change, field):
    with pytest.raises(AirbyteTracedException) as error:
        PlectoConfig.parse(ConfigBuilder().with_(**change).build())
    assert field in error.value.message or field.strip("'") in error.value.message


def test_given_dashed_uuid_when_parse_then_normalised_to_plecto_form():
    dashed = "115d3085-90b8-4eac-9325-cee21a1f90b7"
    config = PlectoConfig.parse(ConfigBuilder().with_stream(data_source=dashed).build())
    assert config.streams[0].data_source == DATA_SOURCE


def test_given_title_without_create_missing_data_sources_when_parse_then_error_names_field_and_the_option():
    with pytest.raises(AirbyteTracedException) as error:
        PlectoConfig.parse(ConfigBuilder().with_stream(data_source="Deals").build())
    assert error.value.failure_type == FailureType.config_error
    assert "'streams[0].data_source'" in error.value.message and "'transactions'" in error.value.message
    assert "create_missing_data_sources" in error.value.message


def test_given_title_with_create_missing_data_sources_when_parse_then_title_kept_and_uuid_left_to_find():
    config = PlectoConfig.parse(ConfigBuilder().with_stream(data_source=" Deals (Airbyte) ").with_(
        create_missing_data_sources=True).build())
    assert (config.streams[0].data_source_title, config.streams[0].data_source) == ("Deals (Airbyte)", "")
    assert config.create_missing_data_sources is True


def test_given_uuid_with_create_missing_data_sources_when_parse_then_taken_as_uuid():
    config = PlectoConfig.parse(ConfigBuilder().with_(create_missing_data_sources=True).build())
    assert (config.streams[0].data_source, config.streams[0].data_source_title) == (DATA_SOURCE, None)


def test_given_no_new_options_when_parse_then_defaults_warn_and_no_creation():
    config = PlectoConfig.parse(ConfigBuilder().build())
    assert (config.on_missing_field, config.create_missing_data_sources) == ("warn", False)


def test_given_catalog_schema_when_resolve_then_its_properties_kept_for_the_field_comparison():
    config = PlectoConfig.parse(ConfigBuilder().build())
    resolved = resolve_streams(config, catalog(properties={"id": {"type": "string"}, "amount": {"type": "number"}}))
    assert dict(resolved["transactions"].schema_properties) == {"id": {"type": "string"}, "amount": {"type": "number"}}
    assert resolve_streams(config, catalog())["transactions"].schema_properties == {}


def test_given_no_deletion_settings_when_parsed_then_a_cap_of_1000_and_no_dry_run():
    config = PlectoConfig.parse(ConfigBuilder().build())
    assert (config.overwrite_max_deletions, config.deletion_dry_run) == (1000, False)


@pytest.mark.parametrize("value", [-1, "many", 2.5, True])
def test_given_a_cap_that_is_not_a_whole_number_when_parsed_then_config_error_naming_the_field(value):
    with pytest.raises(AirbyteTracedException, match="'overwrite_max_deletions'"):
        PlectoConfig.parse(ConfigBuilder().with_(overwrite_max_deletions=value).build())
