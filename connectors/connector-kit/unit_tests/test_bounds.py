"""Every answer is bounded: a body that drips ends at the deadline and is retried like a timeout, an answer larger
than `max_response_mb` after decompression is refused without being inflated, and neither is ever cached."""

import gzip
import json
import logging
import threading
import time
import tracemalloc
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from connector_kit.auth import SharedTokenAuthenticator
from connector_kit.bounds import AnswerTooLarge, DeadlineExceeded, arm_bounds
from connector_kit.errors import VendorErrorHandler
from connector_kit.settings import HttpSettings

LOGGER = logging.getLogger("airbyte")
BOMB_MB = 64


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip body of `megabytes` MB of spaces, about a thousandth of that on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    block = b" " * (1024 * 1024)
    return b"".join([*(packer.compress(block) for _ in range(megabytes)), packer.flush()])


class Hostile(BaseHTTPRequestHandler):
    """`/drip`: one byte every 0.2 s; `/silent`: the headers, then 4 s of silence; `/bomb`: a gzip bomb; `/gzip`: a
    small gzip JSON; `/token`: a token."""

    protocol_version = "HTTP/1.1"
    bomb = gzip_bomb(BOMB_MB)
    hits: dict[str, int] = {}

    def log_message(self, *args) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        Hostile.hits[path] = Hostile.hits.get(path, 0) + 1
        if path.endswith("/drip"):
            self._head(200, 100)
            for _ in range(100):
                threading.Event().wait(0.2)  # not time.sleep: the tests record sleeps instead of waiting
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
        elif path.endswith("/silent"):
            self._head(200, 2)
            threading.Event().wait(4)  # the headers, then nothing for 4 s
            try:
                self.wfile.write(b"[]")
            except OSError:
                return
        elif path.endswith("/bomb"):
            self._head(200, len(self.bomb), {"Content-Encoding": "gzip"})
            self.wfile.write(self.bomb)
        elif path.endswith("/gzip"):
            body = gzip.compress(json.dumps([{"id": 1}]).encode())
            self._head(200, len(body), {"Content-Encoding": "gzip"})
            self.wfile.write(body)
        else:
            body = json.dumps({"access_token": "tok-1", "expires_in": 3600}).encode()
            self._head(200, len(body))
            self.wfile.write(body)

    def _head(self, status: int, length: int, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_hits() -> None:
    Hostile.hits.clear()


SHORT = {"request_deadline_seconds": 1, "read_timeout_seconds": 5, "max_retries": 1, "retry_backoff_seconds": 0.01,
         "max_response_mb": 1}


def client(server: str, use_cache: bool = False, **config) -> HttpClient:
    config = {**SHORT, **config}
    auth = SharedTokenAuthenticator(config=config, parameters={}, token_url=f"{server}/token", request_body={},
                                    vendor="Vendor")
    handler = VendorErrorHandler(config=config, parameters={}, vendor="Vendor")
    return HttpClient(name="items", logger=LOGGER, error_handler=handler, authenticator=auth, use_cache=use_cache,
                      backoff_strategy=handler.backoff_strategies)


def session(settings: HttpSettings) -> requests.Session:
    plain = requests.Session()
    arm_bounds(plain, settings)
    return plain


# ---- the deadline ---------------------------------------------------------------------------------------------------
def test_given_a_body_that_drips_when_read_then_it_ends_at_the_deadline(server):
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as error:
        session(HttpSettings(request_deadline_seconds=1, read_timeout_seconds=5)).get(f"{server}/drip", timeout=(5, 5))

    assert time.monotonic() - started < 5  # 100 bytes at one per 0.2 s would take 20 s; each came within 5 s
    assert "`request_deadline_seconds` (1 s) on GET /drip" in error.value.reason


def test_given_a_body_that_does_not_come_when_read_then_the_deadline_cuts_the_wait_short_of_the_read_timeout(server):
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        session(HttpSettings(request_deadline_seconds=1)).get(f"{server}/silent", timeout=(5, 10))

    assert time.monotonic() - started < 3.5  # the socket was shut at the deadline, not left to the 4 s of silence


def test_given_a_body_that_drips_when_a_stream_reads_it_then_retried_like_a_timeout_and_a_readable_error(server):
    with pytest.raises(AirbyteTracedException) as error:
        client(server).send_request("GET", f"{server}/drip", request_kwargs={})

    assert Hostile.hits["/drip"] == 2  # the call and its one retry
    assert error.value.failure_type == FailureType.transient_error
    assert "no complete answer within `request_deadline_seconds` (1 s) on GET /drip" in error.value.message
    assert "raise `request_deadline_seconds`" in error.value.message


def test_given_a_token_endpoint_that_drips_when_fetching_then_retried_and_a_transient_error(server):
    auth = SharedTokenAuthenticator(config=SHORT, parameters={}, token_url=f"{server}/token/drip", request_body={},
                                    vendor="Vendor")
    with pytest.raises(AirbyteTracedException) as error:
        auth.current_token()

    assert Hostile.hits["/token/drip"] == 2
    assert error.value.failure_type == FailureType.transient_error
    assert "no complete answer within `request_deadline_seconds`" in error.value.message


# ---- the size bound -------------------------------------------------------------------------------------------------
def test_given_a_gzip_bomb_when_read_then_refused_after_the_bound_without_inflating_the_rest(server):
    tracemalloc.start()
    try:
        with pytest.raises(AnswerTooLarge) as error:
            session(HttpSettings(max_response_mb=1)).get(f"{server}/bomb", timeout=(5, 5))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert "larger than `max_response_mb` (1 MB, counted decompressed)" in error.value.reason
    assert peak < 8 * 1024 * 1024  # a few chunks around the 1 MB bound, never the 64 MB it inflates to


def test_given_a_gzip_bomb_when_a_stream_reads_it_then_failed_at_once_naming_the_endpoint_and_the_setting(server):
    with pytest.raises(AirbyteTracedException) as error:
        client(server).send_request("GET", f"{server}/bomb", request_kwargs={})

    assert Hostile.hits["/bomb"] == 1  # not retried: the same answer would come again
    assert error.value.failure_type == FailureType.system_error
    assert "the answer to GET /bomb is larger than `max_response_mb` (1 MB" in error.value.message
    assert "raise `max_response_mb`" in error.value.message


def test_given_a_gzip_bomb_from_the_token_endpoint_then_refused_at_once(server):
    auth = SharedTokenAuthenticator(config=SHORT, parameters={}, token_url=f"{server}/token/bomb", request_body={},
                                    vendor="Vendor")
    with pytest.raises(AirbyteTracedException) as error:
        auth.current_token()

    assert Hostile.hits["/token/bomb"] == 1 and "token endpoint" in error.value.message
    assert error.value.failure_type == FailureType.system_error


def test_given_a_small_gzip_answer_when_read_then_content_and_json_as_usual(server):
    answer = session(HttpSettings()).get(f"{server}/gzip", timeout=(5, 5))

    assert answer.json() == [{"id": 1}] and answer.headers["Content-Encoding"] == "gzip"


# ---- the HTTP cache --------------------------------------------------------------------------------------------------
def test_given_a_bounded_answer_then_the_cache_stores_and_replays_it(server):
    http = client(server, use_cache=True)

    _, first = http.send_request("GET", f"{server}/gzip", request_kwargs={})
    _, again = http.send_request("GET", f"{server}/gzip", request_kwargs={})

    assert first.json() == again.json() == [{"id": 1}]
    assert Hostile.hits["/gzip"] == 1 and getattr(again, "from_cache", False)


def test_given_a_refused_answer_then_the_cache_never_stores_it(requests_mock):
    requests_mock.post("https://api.example.com/token", json={"access_token": "t", "expires_in": 3600})
    items = requests_mock.get("https://api.example.com/items", [{"content": b" " * (2 * 1024 * 1024)}, {"json": []}])
    http = client("https://api.example.com", use_cache=True)

    with pytest.raises(AirbyteTracedException):
        http.send_request("GET", "https://api.example.com/items", request_kwargs={})
    _, again = http.send_request("GET", "https://api.example.com/items", request_kwargs={})

    assert again.json() == [] and items.call_count == 2 and not getattr(again, "from_cache", False)
