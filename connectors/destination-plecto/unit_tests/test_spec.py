"""The spec: secrets marked, base_url HTTPS unless loopback, sample configs valid."""

import logging

import jsonschema
import pytest

from destination_plecto import DestinationPlecto
from request_builder import ConfigBuilder

SPEC = DestinationPlecto().spec(logging.getLogger("test"))
SCHEMA = SPEC.connectionSpecification


def assert_validation(config: dict, ok: bool) -> None:
    """The spec accepts the config (ok) or refuses it."""
    if ok:
        jsonschema.validate(config, SCHEMA)
    else:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(config, SCHEMA)


def test_given_spec_then_password_is_secret_and_modes_declared():
    assert SCHEMA["properties"]["password"]["airbyte_secret"] is True
    assert {m.value for m in SPEC.supported_destination_sync_modes} == {"overwrite", "append", "append_dedup"}


@pytest.mark.parametrize("url, ok", [
    ("https://app.plecto.com/api/v2", True), ("http://127.0.0.1:18704/api/v2", True), ("http://localhost/api", True),
    ("http://app.plecto.com/api/v2", False), ("ftp://x", False),
])
def test_given_base_url_when_validated_then_https_or_loopback_only(url, ok):
    assert_validation(ConfigBuilder().with_(base_url=url).build(), ok)


def test_given_full_mapping_when_validated_then_accepted():
    jsonschema.validate(ConfigBuilder().with_stream(
        external_id=["id"], member_api_id_field="owner", member_name_field="owner_name", date_field="date",
        fields=[{"plecto_field": "Value", "record_field": "amount"}]).with_(batch_size=50, on_invalid_record="skip").build(), SCHEMA)


@pytest.mark.parametrize("data_source, ok", [
    ("115d3085-90b8-4eac-9325-cee21a1f90b7", True), ("Deals (Airbyte)", True), ("", False), ("   ", False),
])
def test_given_data_source_when_validated_then_uuid_or_title_accepted_and_blank_refused(data_source, ok):
    assert_validation(ConfigBuilder().with_stream(data_source=data_source).with_(create_missing_data_sources=True).build(), ok)


def test_given_spec_then_new_options_have_their_defaults():
    properties = SCHEMA["properties"]
    assert properties["create_missing_data_sources"]["default"] is False
    assert (properties["on_missing_field"]["enum"], properties["on_missing_field"]["default"]) == (["warn", "fail"], "warn")


def test_given_spec_then_deletion_options_have_their_defaults_and_examples():
    properties = SCHEMA["properties"]
    cap, dry_run = properties["overwrite_max_deletions"], properties["deletion_dry_run"]
    assert (cap["type"], cap["default"], cap["minimum"]) == ("integer", 1000, 0) and cap["examples"]
    assert (dry_run["type"], dry_run["default"]) == ("boolean", False)
    assert_validation(ConfigBuilder().with_(overwrite_max_deletions=-1).build(), ok=False)
    assert_validation(ConfigBuilder().with_(overwrite_max_deletions=0, deletion_dry_run=True).build(), ok=True)
