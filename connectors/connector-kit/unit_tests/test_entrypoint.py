"""The entry point of every connector: bad input in one line, a failed run in one readable TRACE."""

import ast
import json
from typing import Any, Iterator, Mapping

import pytest
from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStream,
    AirbyteStreamStatus,
    ConnectorSpecification,
    FailureType,
    Status,
    StreamDescriptor,
    SyncMode,
    Type,
)
from airbyte_cdk.sources import Source
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from connector_kit import ast_guard
from connector_kit.entrypoint import overall_failure_type, readable, source_main

SPEC = {"type": "object", "required": ["token"], "properties": {
    "token": {"type": "string", "airbyte_secret": True}, "page_size": {"type": "integer", "minimum": 1}}}
CATALOG = {"streams": [{"stream": {"name": "items", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}


class FakeSource(Source):
    """Two streams; `fail` in the config makes streams fail the way the CDK reports it."""

    def __init__(self, catalog=None, config=None, state=None) -> None:
        self.config = config or {}

    def spec(self, logger) -> ConnectorSpecification:
        return ConnectorSpecification(connectionSpecification=SPEC)

    def check(self, logger, config) -> AirbyteConnectionStatus:
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def discover(self, logger, config) -> AirbyteCatalog:
        return AirbyteCatalog(streams=[AirbyteStream(name=n, json_schema={}, supported_sync_modes=[SyncMode.full_refresh])
                                       for n in self.stream_names()])

    def stream_names(self) -> list[str]:
        return ["items", "others"]

    def read(self, logger, config, catalog, state=None) -> Iterator[AirbyteMessage]:
        if self.config.get("statuses"):  # as the CDK's engine and Protime's delta reader report each stream
            for name, count, end in (("items", 2, AirbyteStreamStatus.COMPLETE), ("others", 0, AirbyteStreamStatus.INCOMPLETE)):
                yield stream_status(StreamDescriptor(name=name), AirbyteStreamStatus.STARTED)
                yield from (record(name, index) for index in range(count))
                yield stream_status(StreamDescriptor(name=name), end)
            return
        yield record("items", 1)
        fail = self.config.get("fail")
        if fail == "streams":
            for name, failure in (("items", FailureType.transient_error), ("others", FailureType.config_error)):
                error = AirbyteTracedException(message=f"Exhausted available request attempts. Please see logs for more "
                                                       f"details. Exception: Vendor answered 503 for {name}",
                                               internal_message="<a long repr>", failure_type=failure,
                                               stream_descriptor=StreamDescriptor(name=name))
                yield error.as_sanitized_airbyte_message()
            raise AirbyteTracedException(message="During the sync, the following streams did not sync successfully: "
                                                 "items: AirbyteTracedException(...)",
                                         internal_message="Concurrent read failure", failure_type=FailureType.config_error)
        if fail == "bug":
            raise KeyError("boom")


def record(stream: str, index: int) -> AirbyteMessage:
    return AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data={"id": index}, emitted_at=0))


def run(tmp_path, *args: str, files: Mapping[str, Any] = ()) -> tuple[int, list[dict]]:
    argv = list(args)
    for flag, content in dict(files).items():
        path = tmp_path / f"{flag}.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        argv += [f"--{flag}", str(path)]
    lines: list[str] = []
    code = source_main(FakeSource, argv, lines.append)
    return code, [json.loads(line) for line in lines]


def errors(messages: list[dict]) -> list[dict]:
    return [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]


@pytest.mark.parametrize(("files", "named"), [
    ({"config": "{not json", "catalog": CATALOG}, "The config file"),
    ({"config": "[1, 2]", "catalog": CATALOG}, "must hold a JSON object"),
    ({"config": {"token": "tok-fake-1234"}, "catalog": "{}"}, "must hold a configured catalog"),
    ({"config": {"token": "tok-fake-1234"}, "catalog": {"streams": [{"stream": {}}]}}, "streams[0] has no `stream.name`"),
    ({"config": {"token": "tok-fake-1234"}, "catalog": CATALOG, "state": '{"items": 1}'}, "must hold a JSON list of state messages"),
    ({"config": {"token": "tok-fake-1234"}, "catalog": CATALOG, "state": "[1]"}, "entry 0 is not a state message"),
])
def test_given_a_bad_file_when_read_then_one_config_error_naming_it_and_exit_1(tmp_path, files, named):
    code, messages = run(tmp_path, "read", files=files)

    assert code == 1 and len(messages) == 1
    [error] = errors(messages)
    assert named in error["message"] and error["failure_type"] == "config_error"
    assert "Traceback" not in json.dumps(messages)


def test_given_a_missing_file_when_check_then_failed_status_naming_it(tmp_path):
    out: list[str] = []
    code = source_main(FakeSource, ["check", "--config", str(tmp_path / "nope.json")], out.append)
    status = json.loads(out[0])["connectionStatus"]
    assert code == 0 and status["status"] == "FAILED" and "does not exist" in status["message"]


def test_given_a_bad_config_value_when_discover_then_the_field_and_what_fits(tmp_path):
    code, messages = run(tmp_path, "discover", files={"config": {"token": "tok-fake-1234", "page_size": "ten"}})

    assert code == 1 and errors(messages)[0]["message"] == "Config field `page_size` is 'ten': expected an integer of at least 1."


def test_given_a_stream_the_source_does_not_have_when_read_then_an_error_naming_it(tmp_path):
    catalog = {"streams": [*CATALOG["streams"], {**CATALOG["streams"][0], "stream": {**CATALOG["streams"][0]["stream"],
                                                                                    "name": "nope"}}]}
    code, messages = run(tmp_path, "read", files={"config": {"token": "tok-fake-1234"}, "catalog": catalog})

    assert code == 1 and "nope" in errors(messages)[0]["message"] and "items" in errors(messages)[0]["message"]


def test_given_streams_that_fail_when_read_then_one_readable_trace_with_each_stream_and_the_right_type(tmp_path):
    code, messages = run(tmp_path, "read", files={"config": {"token": "tok-fake-1234", "fail": "streams"}, "catalog": CATALOG})

    assert code == 1
    [error] = errors(messages)  # the per-stream TRACEs and the CDK's summary become one
    assert error["message"] == "Stream items: Retries used up: Vendor answered 503 for items. " \
                               "Stream others: Retries used up: Vendor answered 503 for others."
    assert error["failure_type"] == "transient_error"  # not config_error: the config is not the cause
    assert "AirbyteTracedException(" not in error["message"] and "<a long repr>" in error["internal_message"]
    assert [m["type"] for m in messages][-1] == "TRACE"  # the run ends with it
    assert any(m["type"] == "RECORD" for m in messages)  # what was read before the failure is still emitted
    assert not error.get("stack_trace")  # not the connector's fault: no traceback for a platform to show


def test_given_an_unexpected_exception_when_read_then_a_system_error_naming_it_with_the_stack_in_stack_trace(tmp_path):
    code, messages = run(tmp_path, "read", files={"config": {"token": "tok-fake-1234", "fail": "bug"}, "catalog": CATALOG})

    [error] = errors(messages)
    assert code == 1 and error["failure_type"] == "system_error"
    assert error["message"] == "The connector failed: KeyError: 'boom'." and "Traceback" in error["stack_trace"]


def test_given_no_message_when_made_readable_then_the_internal_one_stands_in():
    assert readable(None, "first line\nsecond") == "first line."
    assert readable(None, None) == "The connector failed."


def told(message: dict) -> str:
    """What a message says, in short: a log's text, a record's stream, a stream status."""
    if message["type"] == "LOG":
        return message["log"]["message"]
    if message["type"] == "RECORD":
        return f"record of {message['record']['stream']}"
    status = message["trace"]["stream_status"]
    return f"{status['stream_descriptor']['name']} {status['status']}"


def test_given_streams_that_end_when_read_then_each_says_how_many_records_it_emitted_before_its_end(tmp_path):
    code, messages = run(tmp_path, "read", files={"config": {"token": "tok-fake-1234", "statuses": True},
                                                  "catalog": CATALOG})

    assert code == 0 and [told(m) for m in messages] == [
        "items STARTED", "record of items", "record of items", "Stream 'items': records=2", "items COMPLETE",
        "others STARTED", "Stream 'others': records=0", "others INCOMPLETE"]


def test_given_a_stream_that_never_says_it_ended_when_read_then_its_count_closes_the_run(tmp_path):
    code, messages = run(tmp_path, "read", files={"config": {"token": "tok-fake-1234"}, "catalog": CATALOG})

    assert code == 0 and [told(m) for m in messages] == ["record of items", "Stream 'items': records=1"]


@pytest.mark.skipif(not ast_guard.affected(), reason="this Python keeps the AST depth per call")
def test_given_a_source_command_then_the_entry_point_installed_the_guard_once(tmp_path):
    code, _ = run(tmp_path, "spec")
    assert code == 0 and getattr(ast.parse, "serialized", False)
    installed = ast.parse
    ast_guard.serialize_ast_parse()
    assert ast.parse is installed  # not wrapped twice


@pytest.mark.parametrize(("types", "overall"), [
    ([FailureType.config_error, FailureType.config_error], FailureType.config_error),
    ([FailureType.config_error, FailureType.transient_error], FailureType.transient_error),
    ([FailureType.transient_error, FailureType.system_error], FailureType.system_error),
    ([FailureType.config_error, None], FailureType.system_error),  # an untyped failure is the connector's own
    ([], FailureType.system_error),
])
def test_given_failures_of_several_types_then_config_error_only_when_every_one_is(types, overall):
    assert overall_failure_type(types) == overall
