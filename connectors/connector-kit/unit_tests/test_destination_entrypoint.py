"""A destination's entry point: `write` reads the input itself and calls the public `Destination.write`; the
one-line failures and the final API-call log line stay as for every command."""

from __future__ import annotations

import json
import logging
from typing import Any, Iterable, Iterator, Mapping

import orjson
import pytest
from airbyte_cdk.destinations import Destination
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    Status,
    Type,
)

from connector_kit import calls
from connector_kit.entrypoint import destination_main

SPEC = {"type": "object", "required": ["token"], "properties": {"token": {"type": "string", "airbyte_secret": True}}}
CATALOG = {"streams": [{"stream": {"name": "items", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}
RECORD = {"type": "RECORD", "record": {"stream": "items", "data": {"id": 1}, "emitted_at": 0}}
STATE = {"type": "STATE", "state": {"type": "STREAM", "id": 42, "stream": {"stream_descriptor": {"name": "items"},
                                                                             "stream_state": {"c": 1}}}}


class FakeDestination(Destination):
    """Echoes every STATE it is given; `fail` in the config raises after the first one."""

    def __init__(self) -> None:
        self.received: list[AirbyteMessage] = []
        self.catalog: ConfiguredAirbyteCatalog | None = None

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(connectionSpecification=SPEC)

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def write(self, config: Mapping[str, Any], configured_catalog: ConfiguredAirbyteCatalog,
              input_messages: Iterable[AirbyteMessage]) -> Iterator[AirbyteMessage]:
        self.catalog = configured_catalog
        for message in input_messages:
            self.received.append(message)
            if message.type == Type.STATE:
                yield message
                if config.get("fail"):
                    calls.count("POST", "https://vendor.example.com/items/")
                    raise RuntimeError("the vendor went away")


@pytest.fixture(autouse=True)
def no_calls_counted():
    calls.forget_all_calls()
    yield
    calls.forget_all_calls()


def write(tmp_path, config: dict, lines: list[str], **kwargs: Any) -> tuple[int, list[dict], FakeDestination]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    destination, out = FakeDestination(), []
    code = destination_main(destination, ["write", "--config", str(tmp_path / "config.json"), "--catalog",
                                          str(tmp_path / "catalog.json")], emit=out.append, stdin=iter(lines), **kwargs)
    return code, [json.loads(line) for line in out], destination


def test_given_input_lines_when_write_then_the_public_write_gets_the_config_catalog_and_messages(tmp_path, caplog):
    code, out, destination = write(tmp_path, {"token": "tok"}, [json.dumps(RECORD), "not json", json.dumps(STATE)])
    assert code == 0
    assert [m.type for m in destination.received] == [Type.RECORD, Type.STATE]  # the bad line is skipped
    assert destination.catalog is not None and destination.catalog.streams[0].stream.name == "items"
    assert [m["type"] for m in out] == ["STATE"]
    assert "Ignoring input line that is not an Airbyte message (JSONDecodeError): 'not json'" in caplog.text


def test_given_a_parser_and_a_dump_of_the_destination_when_write_then_both_are_used(tmp_path):
    """destination-plecto passes its own, which keep the platform's state `id` (the CDK's models drop it)."""
    seen: list[str] = []

    def parse(lines: Iterable[str], logger: logging.Logger) -> Iterator[AirbyteMessage]:
        for line in lines:
            seen.append(line)
            yield AirbyteMessageSerializer.load(orjson.loads(line))

    code, out, _ = write(tmp_path, {"token": "tok"}, [json.dumps(STATE)], parse=parse,
                         dump=lambda message: json.dumps({"dumped": message.type.value}))
    assert code == 0 and seen == [json.dumps(STATE)]
    assert {"dumped": "STATE"} in out


def test_given_write_fails_half_way_when_run_then_states_before_then_api_calls_then_one_trace(tmp_path):
    code, out, _ = write(tmp_path, {"token": "tok", "fail": True}, [json.dumps(RECORD), json.dumps(STATE)])
    assert code == 1
    kinds = [m["type"] for m in out]
    assert kinds[0] == "STATE" and kinds[-1] == "TRACE"
    assert out[-2]["type"] == "LOG" and out[-2]["log"]["message"] == "1 API call: POST /items/ 1"
    error = out[-1]["trace"]["error"]
    assert error["message"] == "The connector failed: RuntimeError: the vendor went away."


def test_given_a_bad_catalog_when_write_then_one_line_naming_the_file_and_nothing_read(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"token": "tok"}))
    (tmp_path / "catalog.json").write_text("{}")
    destination, out = FakeDestination(), []
    code = destination_main(destination, ["write", "--config", str(tmp_path / "config.json"), "--catalog",
                                          str(tmp_path / "catalog.json")], emit=out.append, stdin=iter([json.dumps(STATE)]))
    assert code == 1 and len(out) == 1 and "must hold a configured catalog" in out[0]
    assert destination.received == []


def test_given_check_when_run_then_it_still_goes_through_the_cdk(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"token": "tok"}))
    out: list[str] = []
    code = destination_main(FakeDestination(), ["check", "--config", str(tmp_path / "config.json")], emit=out.append)
    assert code == 0 and json.loads(out[-1])["connectionStatus"]["status"] == "SUCCEEDED"
