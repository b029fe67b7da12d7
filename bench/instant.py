"""A server that answers instantly: the Pluggy emulator's answers, replayed from memory by a process of their own.

The emulator builds each page (selects, slices, serialises 500 transactions: ~6 ms) in the bench process, which
shares the two cores with the program measured. `InstantServer` stands in front of it: the first time a request
is seen (method, path and query, in any order) it is passed on and the answer's bytes are kept; every later one is
written back from memory by a separate process, so a page costs only its bytes on the loopback. Each side runs
once unmeasured (the warm-up fills the memory), then measured: neither side waits for the server, and the server's
CPU is no longer the bench process's.

It stands where the emulator stood for `reads.measure` (`url`, `calls()`, `reset_calls()`, `stop()`), so a sweep
runs on it unchanged.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class _Call:
    def __init__(self, method: str, path: str, at: float) -> None:
        self.method, self.path, self.at, self.status = method, path, at, 200


def _key(method: str, target: str, body: bytes) -> str:
    parts = urlsplit(target)
    return json.dumps([method, parts.path, sorted(parse_qsl(parts.query, keep_blank_values=True)), body.decode()])


def _serve(port: int, upstream: str, ready: Any) -> None:
    """The server process: answers from memory, passes a request it has not seen to `upstream` once."""
    answers: dict[str, tuple[int, str, bytes]] = {}
    calls: list[tuple[str, str, float]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/__bench/"):
                return self._control()
            key = _key(self.command, self.path, body)
            with lock:
                calls.append((self.command, urlsplit(self.path).path, time.time()))
                known = answers.get(key)
            if known is None:
                request = urllib.request.Request(upstream + self.path, data=body or None, method=self.command,
                                                 headers={k: v for k, v in self.headers.items()
                                                          if k.lower() not in ("host", "content-length", "connection")})
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                try:
                    with opener.open(request, timeout=120) as reply:
                        known = (reply.status, reply.headers.get("Content-Type", "application/json"), reply.read())
                except urllib.error.HTTPError as error:  # not kept: an error is passed on each time
                    self._write(error.code, "application/json", error.read())
                    return
                with lock:
                    answers[key] = known
            self._write(*known)

        def _write(self, status: int, content_type: str, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _control(self) -> None:
            with lock:
                if self.path == "/__bench/calls":
                    payload = json.dumps(calls).encode()
                else:  # /__bench/reset
                    calls.clear()
                    payload = b"[]"
            self._write(200, "application/json", payload)

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    ready.set()
    server.serve_forever()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class InstantServer:
    def __init__(self, upstream: Any) -> None:
        self.upstream = upstream  # the seeded emulator: its data, its config
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ready = multiprocessing.get_context("spawn").Event()
        self.process = multiprocessing.get_context("spawn").Process(target=_serve, args=(self.port, upstream.url, ready),
                                                                     daemon=True)
        self.process.start()
        if not ready.wait(60):
            raise RuntimeError("the instant server did not start")

    def _get(self, path: str) -> Any:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url + path, timeout=60) as reply:
            return json.loads(reply.read())

    def calls(self) -> list[_Call]:
        return [_Call(method, path, at) for method, path, at in self._get("/__bench/calls")]

    def reset_calls(self) -> None:
        self._get("/__bench/reset")

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)
        self.upstream.stop()

    def __getattr__(self, name: str) -> Any:  # the emulator's data (transactions, accounts, ...) for the probes
        return getattr(self.upstream, name)
