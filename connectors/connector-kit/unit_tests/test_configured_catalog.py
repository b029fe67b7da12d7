"""A configured catalog from discover's output: incremental on the default cursor where the stream allows it,
deduplicated on its primary key, only the streams asked for, and a clear error for anything else."""

import json

import pytest

from connector_kit.configured_catalog import configured_catalog, discovered_streams, main

ACCOUNTS = {"name": "accounts", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"],
            "source_defined_cursor": True, "default_cursor_field": ["updatedAt"], "source_defined_primary_key": [["id"]]}
CATEGORIES = {"name": "categories", "json_schema": {}, "supported_sync_modes": ["full_refresh"],
              "source_defined_primary_key": [["id"]]}
EVENTS = {"name": "events", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"],
          "default_cursor_field": ["at"]}
DISCOVER_OUTPUT = [json.dumps({"type": "LOG", "log": {"level": "INFO", "message": "x"}}),
                   json.dumps({"type": "CATALOG", "catalog": {"streams": [ACCOUNTS, CATEGORIES, EVENTS]}})]


def test_given_discover_output_when_no_stream_is_named_then_every_stream_in_its_most_incremental_mode():
    catalog = configured_catalog(discovered_streams(DISCOVER_OUTPUT))

    modes = [(e["stream"]["name"], e["sync_mode"], e.get("cursor_field"), e["destination_sync_mode"], e.get("primary_key"))
             for e in catalog["streams"]]
    assert modes == [("accounts", "incremental", ["updatedAt"], "append_dedup", [["id"]]),
                     ("categories", "full_refresh", None, "overwrite", [["id"]]),
                     ("events", "incremental", ["at"], "append", None)]


def test_given_stream_names_when_configured_then_only_those_in_that_order():
    catalog = configured_catalog([ACCOUNTS, CATEGORIES, EVENTS], ["categories", "accounts"])

    assert [e["stream"]["name"] for e in catalog["streams"]] == ["categories", "accounts"]


def test_given_an_unknown_stream_name_when_configured_then_the_error_names_it_and_the_streams():
    with pytest.raises(ValueError, match="not streams of this source: payments; its streams: accounts, categories"):
        configured_catalog([ACCOUNTS, CATEGORIES], ["payments"])


def test_given_input_without_a_catalog_when_run_then_exit_code_2_and_the_reason(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", iter(DISCOVER_OUTPUT[:1]))

    assert main([]) == 2
    assert "no CATALOG message" in capsys.readouterr().err
