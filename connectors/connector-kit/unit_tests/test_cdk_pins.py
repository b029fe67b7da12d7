"""The CDK behaviours the kit relies on, pinned: a CDK upgrade that changes one of them fails here first.

- HttpClient applies the session's authenticator to a request again before each retry (the authenticator is how
  the kit arms the response check and waits for the call budget on every send);
- requests-cache, as the CDK's HttpClient sets it up, does not store an answer whose response hook raised, so a
  retry reaches the server and a later reader gets the good answer;
- the CDK prefixes a retried call's last error message with `cdk_texts.RETRIES_EXHAUSTED_PREFIX` (the entry point
  strips it);
- a manifest's HTTPAPIBudget with `status_codes_for_ratelimit_hit: []` still fills its window on a 429 (the CDK
  replaces the empty list by [429]); source-pluggy's manifest holds [0] instead, which a 429 does not touch;
- a declarative source takes its custom code from the config keys `__injected_components_py` and
  `__injected_components_py_checksums` (sha256 accepted), only where AIRBYTE_ENABLE_UNSAFE_CODE=true:
  `airbyte-pipeline deploy` sends a manifest-only edition's components.py that way (Airbyte's public API has no
  field for it);
- requests runs response hooks before it follows a redirect (origins.py refuses one to another host from a hook)
  and before it reads the body (bounds.py reads it itself, bounded, and hands it back in `response.raw`);
- a declarative requester with the default JSON decoder sends with `stream=False` (so the body is read inside
  `Session.send`, through those hooks, before the CDK's HTTP cache stores it);
- a worker observes each record after putting it on the queue and closes the partition in the same call; what a
  per-partition cursor observed shows in its state only once the partition closes (the global value only at the
  end); the engine's queue holds 10,000 items and no argument sets it (connector_kit.observe and .flow).
- the entry point's `run` is `check`/`discover`/`read` (and the source's queued messages) serialised: the kit drives
  those public methods itself and reads message fields instead of text (`KitEntrypoint.messages`), and points
  `ENV_REQUEST_CACHE_PATH`, where HttpClient keeps its cache files, at the run's temporary folder as `run` does;
- the CDK's retry loop logs `cdk_texts.RETRY_LOG_PREFIX` before each wait, and its entry point logs
  `cdk_texts.STARTUP_NOISE` when built (the entry point drops both lines);
- a concurrent read with failed streams yields each stream's error TRACE and INCOMPLETE status, then raises an
  exception whose `internal_message` is `cdk_texts.READ_FAILURE_SUMMARY` (left out of the final TRACE), and a
  stream's COMPLETE status follows its records (when the entry point logs the stream's count);
- a declarative `check` reports its CheckStream's reason as `repr(reason)` (ManifestSource.check shows the text);
- the CDK's log handler writes into `PRINT_BUFFER`, which, entered, takes stdout and writes everything in order
  when it closes (the entry point prints through it, so lines from worker threads come out whole and in order);
- a requester built by `manifest.requester` (the CDK's component transformer and factory) carries the
  `$parameters` it was built with into its error messages and request parameters, joins a relative path to its
  `url` and sends an absolute one as it is, and hands back an answer its filters IGNORE (Protime's delta reader);
- the entry point makes its HTTP-cache folder (REQUEST_CACHE_PATH) in tempfile's default folder, so the console's
  run folder (connector_kit.temp_folder, through `tempfile.tempdir`) holds it.
"""

import io
import json
import logging
import threading
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
import urllib3
from airbyte_cdk.models import AirbyteCatalog, AirbyteConnectionStatus, ConnectorSpecification, Status
from airbyte_cdk.sources import Source
from airbyte_cdk.sources.declarative.decoders import JsonDecoder
from airbyte_cdk.sources.declarative.incremental.concurrent_partition_cursor import ConcurrentPerPartitionCursor
from airbyte_cdk.sources.declarative.models import HTTPAPIBudget
from airbyte_cdk.sources.declarative.models import HttpRequester as HttpRequesterModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import AirbyteStreamStatus, ConfiguredAirbyteCatalogSerializer, TraceType, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from connector_kit import cdk_texts, entrypoint, manifest
from connector_kit.auth import SharedTokenAuthenticator
from connector_kit.declarative import ManifestSource
from connector_kit.errors import VendorErrorHandler

URL = "https://api.example.com/items"
LOGGER = logging.getLogger("airbyte")


class CountingAuthenticator(SharedTokenAuthenticator):
    def __call__(self, request):
        self.calls = getattr(self, "calls", 0) + 1
        return super().__call__(request)


def client(use_cache: bool = False, max_retries: int = 3) -> tuple[HttpClient, CountingAuthenticator]:
    config = {"max_retries": max_retries, "retry_backoff_seconds": 0.01}
    auth = CountingAuthenticator(config=config, parameters={}, token_url="https://api.example.com/token",
                                 request_body={"k": "v"}, vendor="Vendor",
                                 response_contract={"vendor": "Vendor", "rules": [{"path": "", "body": "array"}]})
    handler = VendorErrorHandler(config=config, parameters={}, vendor="Vendor")
    return HttpClient(name="items", logger=LOGGER, error_handler=handler, authenticator=auth, use_cache=use_cache,
                      backoff_strategy=handler.backoff_strategies), auth


def test_given_a_retried_call_then_the_authenticator_signs_it_again_each_time(requests_mock, sleeps):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    requests_mock.get(URL, [{"status_code": 503}, {"status_code": 503}, {"json": []}])
    http, auth = client()

    _, response = http.send_request("GET", URL, request_kwargs={})

    assert response.status_code == 200 and auth.calls == 3


def test_given_an_answer_that_failed_its_check_then_the_cache_never_stores_it(requests_mock, sleeps, tmp_path):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    items = requests_mock.get(URL, [{"text": "<html>proxy</html>"}, {"json": [{"id": 1}]}])
    http, _ = client(use_cache=True)

    _, first = http.send_request("GET", URL, request_kwargs={})
    _, again = http.send_request("GET", URL, request_kwargs={})

    assert first.json() == [{"id": 1}] and again.json() == [{"id": 1}]
    assert items.call_count == 2  # the bad answer and its retry reached the server; the repeat came from the cache
    assert getattr(again, "from_cache", False)


def test_given_retries_used_up_then_the_cdk_prefixes_the_handler_message_as_the_entry_point_expects(requests_mock, sleeps):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    requests_mock.get(URL, status_code=503, json={"message": "down"})
    http, _ = client(max_retries=1)

    with pytest.raises(AirbyteTracedException) as error:
        http.send_request("GET", URL, request_kwargs={})

    assert error.value.message.startswith(cdk_texts.RETRIES_EXHAUSTED_PREFIX)
    assert entrypoint.readable(error.value.message).startswith("Retries used up: Vendor answered 503 to GET /items")


def budget_after_a_429(status_codes: list[int]):
    """A one-call-a-minute manifest budget that has seen one call answered 429 without rate-limit headers."""
    definition = {"type": "HTTPAPIBudget", "status_codes_for_ratelimit_hit": status_codes,
                  "policies": [{"type": "MovingWindowCallRatePolicy", "rates": [{"limit": 2, "interval": "PT60S"}],
                                "matchers": []}]}
    budget = ModelToComponentFactory().create_component(HTTPAPIBudget, definition, config={})
    request = requests.Request("GET", URL).prepare()
    budget.acquire_call(request, block=False)
    answer = requests.Response()
    answer.status_code = 429
    budget.update_from_response(request, answer)
    return budget, request


@pytest.mark.parametrize("status_codes", [[], [429]])
def test_given_an_empty_or_429_status_list_then_a_429_empties_the_budget(status_codes):
    budget, request = budget_after_a_429(status_codes)

    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request, block=False)


def test_given_status_list_0_then_a_429_leaves_the_budget_to_its_own_count():
    budget, request = budget_after_a_429([0])

    budget.acquire_call(request, block=False)  # the second of two calls a minute: still free


def test_given_components_in_the_config_then_the_cdk_loads_them_only_where_custom_code_is_allowed(monkeypatch):
    import hashlib
    import sys

    from airbyte_cdk.sources.declarative.parsers import custom_code_compiler

    code = "class Marker:\n    pass\n"
    config = {"__injected_components_py": code,
              "__injected_components_py_checksums": {"sha256": hashlib.sha256(code.encode()).hexdigest()}}
    monkeypatch.setitem(sys.modules, "components", None)  # whatever the CDK registers is undone after the test
    monkeypatch.delenv("AIRBYTE_ENABLE_UNSAFE_CODE", raising=False)
    with pytest.raises(custom_code_compiler.AirbyteCustomCodeNotPermittedError):
        custom_code_compiler.get_registered_components_module(config)
    monkeypatch.setenv("AIRBYTE_ENABLE_UNSAFE_CODE", "true")
    assert hasattr(custom_code_compiler.get_registered_components_module(config), "Marker")
    tampered = {**config, "__injected_components_py_checksums": {"sha256": "0" * 64}}
    with pytest.raises(custom_code_compiler.AirbyteCodeTamperedError):
        custom_code_compiler.get_registered_components_module(tampered)


def test_given_a_response_hook_that_raises_on_a_redirect_then_requests_never_follows_it(requests_mock):
    requests_mock.get(URL, status_code=307, headers={"Location": "https://other.example.net/items"})
    other = requests_mock.get("https://other.example.net/items", json=[])

    def refuse(response, *args, **kwargs):
        if response.is_redirect:
            raise requests.exceptions.RequestException("refused")
        return response

    with pytest.raises(requests.exceptions.RequestException, match="refused"):
        requests.get(URL, hooks={"response": [refuse]})
    assert other.call_count == 0


def test_given_a_response_hook_then_it_runs_before_requests_reads_the_body_and_may_replace_raw(requests_mock):
    requests_mock.get(URL, content=b"from the wire")

    def replace(response, *args, **kwargs):
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(b"from the hook"), preload_content=False)
        return response

    assert requests.get(URL, hooks={"response": [replace]}).content == b"from the hook"


def test_given_a_declarative_requester_with_the_json_decoder_then_it_sends_without_streaming(requests_mock):
    requests_mock.get(URL, json=[])
    requester = ModelToComponentFactory().create_component(
        HttpRequesterModel, {"type": "HttpRequester", "url": URL},
        config={}, name="items", decoder=JsonDecoder(parameters={}))

    requester.send_request()

    assert requester.stream_response is False
    assert requests_mock.last_request.stream is False


# ---- connector_kit.observe and connector_kit.flow (issue 21) ------------------------------------------------------
def test_given_a_partition_then_its_worker_observes_each_record_after_queuing_it_and_closes_it_in_the_same_call():
    # observe.py tells the CDK's cursor of a partition's greatest record at close, per worker thread; flow.py counts
    # a record as queued when it is observed.
    from queue import Queue

    from airbyte_cdk.sources.streams.concurrent.partition_reader import PartitionReader
    from airbyte_cdk.sources.types import Record

    queue: Queue = Queue()
    seen: list = []

    class Cursor:
        def observe(self, record):
            seen.append(("observe", record.data["n"], queue.qsize(), threading.get_ident()))

        def close_partition(self, partition):
            seen.append(("close", None, queue.qsize(), threading.get_ident()))

    class Partition:
        def read(self):
            return [Record(data={"n": n}, stream_name="s", associated_slice=None) for n in range(3)]

    PartitionReader(queue).process_partition(Partition(), Cursor())
    me = threading.get_ident()
    assert seen == [("observe", 0, 1, me), ("observe", 1, 2, me), ("observe", 2, 3, me), ("close", None, 3, me)]


def test_given_a_per_partition_cursor_then_what_it_observed_shows_in_its_state_only_once_the_partition_closes():
    # observe.py hands a partition's greatest record over just before the partition closes: nothing may read what a
    # cursor observed before that (the global value moves into the state only at the end of the stream).
    from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
    from airbyte_cdk.sources.declarative.models import DatetimeBasedCursor as DatetimeBasedCursorModel
    from airbyte_cdk.sources.declarative.partition_routers import ListPartitionRouter
    from airbyte_cdk.sources.types import Record

    cursor = ModelToComponentFactory().create_concurrent_cursor_from_perpartition_cursor(
        state_manager=ConnectorStateManager(), model_type=DatetimeBasedCursorModel,
        component_definition={"type": "DatetimeBasedCursor", "cursor_field": "createdAt",
                              "datetime_format": "%Y-%m-%dT%H:%M:%S.%_msZ",
                              "start_datetime": "2024-01-01T00:00:00.000Z"},
        stream_name="transactions", stream_namespace=None, config={}, stream_state={},
        partition_router=ListPartitionRouter(values=["a", "b"], cursor_field="account", config={}, parameters={}))
    slices = list(cursor.stream_slices())
    before = cursor.state
    cursor.observe(Record(data={"createdAt": "2024-05-01T00:00:00.000Z"}, stream_name="transactions",
                          associated_slice=slices[0]))
    assert cursor.state == before

    class Closed:
        def __init__(self, stream_slice):
            self.stream_slice = stream_slice

        def to_slice(self):
            return self.stream_slice

    cursor.close_partition(Closed(slices[0]))
    assert [s["cursor"]["createdAt"] for s in cursor.state["states"]] == ["2024-05-01T00:00:00.000Z",
                                                                          "2024-01-01T00:00:00.000Z"]
    assert "state" not in cursor.state  # the global value: only at the end of the stream
    cursor.close_partition(Closed(slices[1]))
    cursor.ensure_at_least_one_state_emitted()
    assert cursor.state["state"] == {"createdAt": "2024-05-01T00:00:00.000Z"}
    assert ConcurrentPerPartitionCursor.SWITCH_TO_GLOBAL_LIMIT == 10_000  # SCALE.md and docs.md name this number


def test_given_the_concurrent_declarative_source_then_its_queue_holds_10000_items_and_no_argument_sets_it():
    # flow.py bounds the records waiting for the main thread itself: the engine's queue is made in its constructor,
    # `Queue(maxsize=10_000)`, and a `component_factory` passed in is not used (a local of that name replaces it).
    import inspect

    from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

    source = inspect.getsource(ConcurrentDeclarativeSource.__init__)
    assert "Queue(maxsize=10_000)" in source
    assert "component_factory = ModelToComponentFactory(" in source
    assert "queue" not in inspect.signature(ConcurrentDeclarativeSource.__init__).parameters
# ---- the entry point ------------------------------------------------------------------------------------------------
ITEMS = "https://api.example.com/v1/items"
REASON = 'Vendor\'s key can\'t read "items"'  # quotes of both kinds: a repr escapes one of them
TINY_MANIFEST = {
    "version": "7.39.1", "type": "DeclarativeSource",
    "check": {"type": "CheckStream", "stream_names": ["items"]},
    "spec": {"type": "Spec", "connection_specification": {"type": "object", "properties": {}}},
    "streams": [{
        "type": "DeclarativeStream", "name": "items", "primary_key": ["id"],
        "schema_loader": {"type": "InlineSchemaLoader", "schema": {"type": "object", "properties": {}}},
        "retriever": {
            "type": "SimpleRetriever",
            "requester": {"type": "HttpRequester", "url": ITEMS, "http_method": "GET", "error_handler": {
                "type": "DefaultErrorHandler", "response_filters": [{
                    "type": "HttpResponseFilter", "http_codes": [403], "action": "FAIL", "failure_type": "config_error",
                    "error_message": REASON}]}},
            "record_selector": {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": []}}},
    }],
}
CATALOG = {"streams": [{"stream": {"name": "items", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                        "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}


class TinySource(ManifestSource):
    """One stream, `items`, read by the CDK's own declarative engine (no component of the kit in it)."""

    package = "connector_kit"
    manifest = TINY_MANIFEST


def catalog():
    return ConfiguredAirbyteCatalogSerializer.load(CATALOG)


def without_times(line: str) -> dict:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "emitted_at"}
        return [strip(v) for v in value] if isinstance(value, list) else value
    return strip(json.loads(line))


class Captured(logging.Handler):
    """The records logged on the CDK's `airbyte` logger while the block runs. Its own handler: pytest's caplog
    handler lives for the whole session, and the entry point's log filters, once added to it, would hide the very
    lines these tests look for."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> "Captured":
        self.logger = logging.getLogger("airbyte")
        self.level = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level)

    def starting(self, prefix) -> list[logging.LogRecord]:
        return [record for record in self.records if record.getMessage().startswith(prefix)]


@pytest.mark.parametrize("command", ["spec", "check", "discover", "read"])
def test_given_a_command_then_the_kits_messages_are_what_the_cdks_run_prints(requests_mock, tmp_path, command):
    requests_mock.get(ITEMS, json=[{"id": 1}, {"id": 2}])
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    argv = [command] + (["--config", str(tmp_path / "config.json")] if command != "spec" else [])
    argv += ["--catalog", str(tmp_path / "catalog.json")] if command == "read" else []
    parsed = AirbyteEntrypoint.parse_args(argv)
    inputs = {"config": {} if command != "spec" else None, "catalog": catalog() if command == "read" else None,
              "state": []}

    cdk = [without_times(line) for line in AirbyteEntrypoint(TinySource(**inputs)).run(parsed)]
    kit = [without_times(entrypoint.serialized(message))
           for message in entrypoint.KitEntrypoint(TinySource(**inputs)).messages(parsed, **inputs)]

    assert kit == cdk and len(kit) >= 1


def test_given_the_request_cache_path_then_the_http_clients_cache_files_go_there(requests_mock, tmp_path, monkeypatch):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    requests_mock.get(URL, json=[{"id": 1}])
    monkeypatch.setenv(ENV_REQUEST_CACHE_PATH, str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    http, _ = client(use_cache=True)

    http.send_request("GET", URL, request_kwargs={})

    assert [path.name for path in (tmp_path / "run").iterdir() if path.suffix == ".sqlite"] == ["items.sqlite"]


def test_given_a_retried_call_then_the_cdk_logs_the_retry_line_the_entry_point_drops(requests_mock, sleeps):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    requests_mock.get(URL, [{"status_code": 503}, {"json": []}])
    http, _ = client()

    with Captured() as logged:
        http.send_request("GET", URL, request_kwargs={})

    [retry_line] = logged.starting(cdk_texts.RETRY_LOG_PREFIX)
    assert not entrypoint.QuietRetryLog().filter(retry_line)


def test_given_an_entry_point_built_then_the_cdk_logs_the_start_up_line_the_entry_point_drops():
    with Captured() as logged:
        entrypoint.KitEntrypoint(TinySource())

    [line] = logged.starting(cdk_texts.STARTUP_NOISE)
    assert not entrypoint.QuietRetryLog().filter(line)


def test_given_a_stream_that_fails_when_read_then_its_error_and_status_then_the_summary_exception(requests_mock):
    requests_mock.get(ITEMS, status_code=403, json={})
    messages = []

    with pytest.raises(AirbyteTracedException) as raised:
        for message in TinySource(config={}, catalog=catalog()).read(LOGGER, {}, catalog(), []):
            messages.append(message)

    assert raised.value.internal_message == cdk_texts.READ_FAILURE_SUMMARY
    assert cdk_texts.is_read_failure_summary(raised.value)
    traces = [m.trace for m in messages if m.type == Type.TRACE]
    assert [t.error.message for t in traces if t.type == TraceType.ERROR] == [REASON]
    assert traces[-1].stream_status.status == AirbyteStreamStatus.INCOMPLETE


def test_given_a_stream_read_in_full_then_its_complete_status_follows_its_records(requests_mock):
    requests_mock.get(ITEMS, json=[{"id": 1}, {"id": 2}])

    messages = list(TinySource(config={}, catalog=catalog()).read(LOGGER, {}, catalog(), []))

    kinds = [m.type.value if m.type != Type.TRACE else m.trace.stream_status.status.value for m in messages
             if m.type == Type.RECORD or (m.type == Type.TRACE and m.trace.type == TraceType.STREAM_STATUS)]
    assert kinds == ["STARTED", "RUNNING", "RECORD", "RECORD", "COMPLETE"]


def test_given_a_declarative_check_that_fails_then_the_cdk_reports_the_reason_as_its_repr(requests_mock):
    requests_mock.get(ITEMS, status_code=403, json={})
    source = TinySource()

    status = source.engine({}).check(LOGGER, {})

    assert status.message == repr(f"Stream items is not available: {REASON}")
    assert source.check(LOGGER, {}).message == f"Stream items is not available: {REASON}"


def test_given_the_cdks_logger_then_it_writes_into_the_print_buffer_which_keeps_the_order_of_every_line():
    program = """
import logging, sys
import airbyte_cdk.entrypoint  # sets up the CDK's logging, as every connector's entry point does
from airbyte_cdk.logger import PRINT_BUFFER
assert any(getattr(h, "stream", None) is PRINT_BUFFER for h in logging.getLogger().handlers)
with PRINT_BUFFER:
    assert sys.stdout is PRINT_BUFFER
    for index in range(3):
        print(f"printed {index}\\n", end="")
        logging.getLogger("airbyte").info(f"logged {index}")
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0::2] == ["printed 0", "printed 1", "printed 2"]
    assert [json.loads(line)["log"]["message"] for line in lines[1::2]] == ["logged 0", "logged 1", "logged 2"]


# ---- a requester built from a manifest's definitions (source-protime's delta reader) --------------------------------
DEFINITIONS = {"definitions": {"feed_requester": {
    "type": "HttpRequester", "url": "https://api.example.com/v1/", "http_method": "GET",
    "request_parameters": {"ref": "{{ parameters.collection }}-ref"},
    "error_handler": {"type": "DefaultErrorHandler", "response_filters": [
        {"type": "HttpResponseFilter", "http_codes": [410], "action": "IGNORE"},
        {"type": "HttpResponseFilter", "http_codes": [403], "action": "FAIL",
         "error_message": "No access to {{ parameters.collection }} (scope {{ parameters.scope }})"}]}}}}


def feed_requester():
    return manifest.requester(manifest.resolve(DEFINITIONS), "feed_requester", {}, "clockings",
                              {"name": "clockings", "collection": "clockings", "scope": "clockings.read"})


def test_given_a_requester_built_from_definitions_then_paths_join_its_url_and_links_go_as_they_are(requests_mock):
    requests_mock.get("https://api.example.com/v1/clockings", json={"value": []})
    requester = feed_requester()

    assert (requester.get_url_base() or requester.get_url()) == "https://api.example.com/v1/"
    requester.send_request(path="clockings", request_params={"delta": ""})
    assert requests_mock.last_request.url == "https://api.example.com/v1/clockings?ref=clockings-ref&delta="
    requester.send_request(path="https://api.example.com/v1/clockings?deltaToken=d1", request_params={})
    assert requests_mock.last_request.qs == {"deltatoken": ["d1"], "ref": ["clockings-ref"]}


def test_given_a_requester_built_from_definitions_then_its_filters_know_the_streams_parameters(requests_mock):
    requests_mock.get("https://api.example.com/v1/gone", status_code=410, json={})
    requests_mock.get("https://api.example.com/v1/clockings", status_code=403, json={})
    requester = feed_requester()

    assert requester.send_request(path="gone").status_code == 410  # IGNOREd: the reader decides
    with pytest.raises(AirbyteTracedException) as refused:
        requester.send_request(path="clockings")
    assert refused.value.message == "No access to clockings (scope clockings.read)"


class CacheFolderProbe(Source):
    """A source whose `check` notes where the entry point put the HTTP cache."""

    seen: list[str] = []

    def spec(self, logger):
        return ConnectorSpecification(connectionSpecification={"type": "object"})

    def check(self, logger, config):
        self.seen.append(os.environ[ENV_REQUEST_CACHE_PATH])
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def discover(self, logger, config):
        return AirbyteCatalog(streams=[])

    def read(self, logger, config, catalog, state=None):
        return iter(())


def test_given_tempfile_tempdir_when_the_entry_point_runs_then_its_http_cache_folder_is_made_there(tmp_path,
                                                                                                    monkeypatch):
    (tmp_path / "config.json").write_text(json.dumps({}))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    probe = CacheFolderProbe()

    list(AirbyteEntrypoint(probe).run(AirbyteEntrypoint.parse_args(["check", "--config", str(tmp_path / "config.json")])))

    assert Path(probe.seen[-1]).parent == tmp_path / "run"
