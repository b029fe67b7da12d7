"""The shared machinery of every vendor emulator: an HTTP server on loopback, routing, a call log,
fault injection and an admin API.

An emulator subclasses `Emulator`, registers its routes with `@route(METHOD, r"regex")` and keeps its own
seeded data. Tests drive it in-process (the object itself: `emulator.faults`, `emulator.calls(...)`, data
mutation methods); `make sandbox` users drive it over HTTP under `/__sandbox/` (see `_admin`).

Faults are one-shot counters or switches, scoped to a path prefix, so a test can say "the next two calls
to /accounts get 503" without touching the others (pending faults apply in the order they were added):

    emulator.faults.add(status=429, count=1, headers={"Retry-After": "1"}, path_prefix="/accounts")
    emulator.faults.add(status=503, count=3)
    emulator.faults.add(malformed=True, count=1)                 # a 200 whose body is not JSON
    emulator.faults.add(status=200, raw=b"<html>...</html>")     # any body, as is (an HTML maintenance page)
    emulator.faults.add(stall_seconds=5)                         # answer only after 5 s (a stalled socket)
    emulator.faults.add(reset_mid_body=True)                     # headers and half the body, then the connection drops
    emulator.faults.add(expire_tokens=True, count=1)             # credentials die now; the call then runs normally
    emulator.faults.delay_seconds = 0.5                          # every answer, until cleared
    emulator.expire_tokens()

Hostile faults, the behaviours a misbehaving vendor, a proxy or a second host shows (every emulator has them):

    emulator.faults.add(redirect=307, path_prefix="/auth")       # 301/302/307/308 to the second host (same path, query)
    emulator.faults.add(redirect=302, redirect_to="same")        # a redirect to this emulator itself (same origin)
    emulator.faults.add(echo=True, path_prefix="/auth")          # 401 whose body echoes the request's headers and body
    emulator.faults.add(drip_seconds=2)                          # the real answer, its body one byte every 2 s
    emulator.faults.add(gzip_bomb_mb=400)                        # 200, Content-Encoding: gzip, ~400 KB inflating to 400 MB
    emulator.faults.add(foreign_links=["nextLink", "deltaLink"]) # the real answer with these links on the second host
    emulator.second_host.requests                                # everything the second host received
    emulator.credentials_seen                                    # every token or key a client sent to the emulator

The second host (`SecondHost`) is a listener on another loopback address (127.0.0.2, any free port) that records
every request (method, path, query, headers, body) and answers `200 {}`: a test asserts it received nothing, or
nothing that carries a credential. Over HTTP: POST `/__sandbox/faults` takes the same fields, GET
`/__sandbox/second-host` lists what the second host received, `/__sandbox/reset` also empties that list.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

JsonBody = Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    match: re.Match | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> JsonBody:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}


@dataclass
class Response:
    status: int = 200
    body: JsonBody = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of JSON-encoding `body`
    cut_body: bool = False  # send only half of the body, then drop the connection (a reset mid-body)
    drip_seconds: float = 0.0  # send the body one byte at a time, this long apart (a slow-drip body)

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    at: float


@dataclass
class Fault:
    count: int  # how many more matching requests it hits
    path_prefix: str = ""
    method: str | None = None
    status: int | None = None
    body: JsonBody = None
    headers: dict[str, str] = field(default_factory=dict)
    malformed: bool = False  # 200 with a body that is not JSON
    drop: bool = False  # close the connection without an answer
    raw: bytes | None = None  # this body, as is, with `status` (default 200)
    stall_seconds: float = 0.0  # wait this long before answering (normally, unless another field says otherwise)
    reset_mid_body: bool = False  # send the headers and half of the real answer's body, then close the connection
    expire_tokens: bool = False  # invalidate every credential, then answer the call normally
    redirect: int | None = None  # answer this 3xx with a Location on the second host (or this emulator: redirect_to)
    redirect_to: str = "second-host"  # second-host | same
    echo: bool = False  # answer `status` (default 401) with the request's method, path, headers and body echoed
    drip_seconds: float = 0.0  # the real answer, its body sent one byte every this many seconds
    gzip_bomb_mb: int = 0  # 200 with a gzip body (about a thousandth of it on the wire) that inflates to this many MB
    foreign_links: list[str] | None = None  # the real answer, with these top-level JSON links moved to the second host


class Faults:
    """One-shot faults and the global delay. Thread-safe: the server answers on many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []
        self.delay_seconds = 0.0

    def add(self, count: int = 1, **kwargs: Any) -> None:
        with self._lock:
            self._pending.append(Fault(count=count, **kwargs))

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self.delay_seconds = 0.0

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._pending:
                if path.startswith(fault.path_prefix) and fault.method in (None, method):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._pending.remove(fault)
                    return fault
        return None


class SlidingWindowLimit:
    """A published rate limit, counted per key over a sliding window (per minute, per hour...)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one request; return None when allowed, else the seconds until a slot frees up.

        The hits of a key are kept oldest first and dropped from the front once out of the window, so a call costs
        the same however many calls the window holds (a bench raises the limit to a billion)."""
        with self._lock:
            now = time.monotonic()  # read under the lock: the hits stay in time order
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window_seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.0, self.window_seconds - (now - hits[0]))
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that does not print a traceback when a client hangs up first (a connector that
    stops reading a gzip bomb or a dripping body at its bound does exactly that)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


@dataclass
class Received:
    """One request the second host received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes


class SecondHost:
    """Another host for hostile faults to point at: 127.0.0.2 on a free port, recording every request it gets."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        recorder = self

        class _Recorder(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _record(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                                    {k.lower(): v for k, v in self.headers.items()},
                                    self.rfile.read(length) if length else b"")
                with recorder._lock:
                    recorder._received.append(received)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

        self._server = QuietServer((host, 0), _Recorder)
        threading.Thread(target=self._server.serve_forever, name="second-host", daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@lru_cache(maxsize=4)
def gzip_bomb(megabytes: int) -> bytes:
    """A gzip body of `megabytes` MB of spaces: about 1 KB on the wire per MB inflated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    block = b" " * (1024 * 1024)
    return b"".join([*(packer.compress(block) for _ in range(megabytes)), packer.flush()])


Handler = Callable[["Emulator", Request], Response]


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register an emulator method for METHOD and a full-match path regex."""

    def decorate(func: Handler) -> Handler:
        func.__dict__.setdefault("_routes", []).append((method.upper(), re.compile(pattern)))
        return func

    return decorate


class Emulator:
    """Base of one vendor emulator. Subclasses define routes, data and `authenticate`."""

    name = "vendor"

    def __init__(self) -> None:
        self.faults = Faults()
        self.call_log: list[Call] = []
        # Every credential a client presented (Authorization without its scheme, X-API-KEY): what tests look for in
        # a connector's output and on the second host.
        self.credentials_seen: set[str] = set()
        self._log_lock = threading.Lock()
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        for klass in reversed(type(self).__mro__):
            for attr in vars(klass).values():
                for method, pattern in getattr(attr, "_routes", []):
                    self._routes.append((method, pattern, attr))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._second_host: SecondHost | None = None
        self._second_host_lock = threading.Lock()

    # ---- lifecycle -------------------------------------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> "Emulator":
        emulator = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, the body waits ~40 ms for the
            # client's delayed ACK on every response (keep-alive), which would dominate every test and bench.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def _serve(self) -> None:
                emulator._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = QuietServer((host, port), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"{self.name}-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._second_host is not None:
            self._second_host.stop()
            self._second_host = None

    @property
    def second_host(self) -> SecondHost:
        """The recording second host that hostile faults point at (started on first use)."""
        with self._second_host_lock:
            if self._second_host is None:
                self._second_host = SecondHost()
            return self._second_host

    @property
    def port(self) -> int:
        assert self._server, "emulator not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- call log --------------------------------------------------------------------------------------
    def calls(self, path_prefix: str = "", method: str | None = None, path_regex: str | None = None) -> list[Call]:
        with self._log_lock:
            return [
                c
                for c in self.call_log
                if c.path.startswith(path_prefix)
                and (method is None or c.method == method)
                and (path_regex is None or re.fullmatch(path_regex, c.path))
            ]

    def reset_calls(self) -> None:
        with self._log_lock:
            self.call_log.clear()

    # ---- hooks for subclasses --------------------------------------------------------------------------
    def before_route(self, request: Request) -> Response | None:
        """Auth and rate limits: return a Response to answer instead of the route."""
        return None

    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": f"no route for {request.method} {request.path}"})

    def expire_tokens(self) -> None:
        """Invalidate every issued credential (fault: token expiry)."""

    def reset(self) -> None:
        """Back to the seeded data, no faults, empty call log (and nothing received by the second host)."""
        self.faults.clear()
        self.reset_calls()
        with self._log_lock:
            self.credentials_seen.clear()
        if self._second_host is not None:
            self._second_host.clear()

    def admin(self, action: str, payload: JsonBody) -> JsonBody:
        """Emulator-specific admin actions over HTTP; subclasses extend."""
        raise KeyError(action)

    # ---- dispatch --------------------------------------------------------------------------------------
    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Request(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        if request.path.startswith("/__sandbox/"):
            self._write(handler, self._admin(request))
            return
        for name in ("authorization", "x-api-key"):
            value = request.headers.get(name, "").split(" ")[-1]
            if value:
                with self._log_lock:
                    self.credentials_seen.add(value)
        response = self._answer(request)
        if response is None:  # dropped connection
            handler.close_connection = True
            return
        with self._log_lock:
            self.call_log.append(Call(request.method, request.path, request.query, response.status, time.time()))
        self._write(handler, response)

    def _answer(self, request: Request) -> Response | None:
        if self.faults.delay_seconds:
            time.sleep(self.faults.delay_seconds)
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            if fault.stall_seconds:
                time.sleep(fault.stall_seconds)
            if fault.expire_tokens:
                self.expire_tokens()
            if fault.drop:
                return None
            if fault.malformed:
                return Response(200, raw=b'{"results": [ this is not json', headers={"Content-Type": "application/json"})
            if fault.raw is not None:
                return Response(fault.status or 200, raw=fault.raw, headers=dict(fault.headers))
            if fault.status is not None or fault.body is not None:
                return Response(fault.status or 500, fault.body if fault.body is not None else {"message": "injected fault"},
                                dict(fault.headers))
            if fault.reset_mid_body:
                answer = self._route(request)
                if answer is not None:
                    answer.cut_body = True
                return answer
            hostile = self._hostile(request, fault)
            if hostile is not None:
                return hostile
        return self._route(request)

    def _hostile(self, request: Request, fault: Fault) -> Response | None:
        """The answer of a hostile fault (see the module docstring); None when the fault is none of them."""
        if fault.redirect:
            where = self.url if fault.redirect_to == "same" else self.second_host.url
            query = f"?{urlencode(request.query, doseq=True)}" if request.query else ""
            return Response(fault.redirect, {"message": "moved"}, {"Location": f"{where}{request.path}{query}"})
        if fault.echo:
            body = request.body.decode("utf-8", errors="replace")
            echoed = {"method": request.method, "path": request.path, "query": request.query,
                      "headers": request.headers, "body": body}
            said = f"rejected: {request.method} {request.path} {json.dumps(request.headers)} {body}"
            return Response(fault.status or 401, {"message": said, "echo": echoed})
        if fault.gzip_bomb_mb:
            return Response(200, raw=gzip_bomb(fault.gzip_bomb_mb),
                            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        if fault.drip_seconds or fault.foreign_links:
            answer = self._route(request)
            if answer is None:
                return None
            answer.drip_seconds = fault.drip_seconds
            if fault.foreign_links and isinstance(answer.body, dict):
                answer.body = dict(answer.body)
                for name in fault.foreign_links:
                    if isinstance(answer.body.get(name), str):
                        link = urlsplit(answer.body[name])
                        answer.body[name] = f"{self.second_host.url}{link.path}" + (f"?{link.query}" if link.query else "")
            return answer
        return None

    def _route(self, request: Request) -> Response | None:
        early = self.before_route(request)
        if early is not None:
            return early
        for method, pattern, func in self._routes:
            if method == request.method:
                match = pattern.fullmatch(request.path)
                if match:
                    request.match = match
                    return func(self, request)
        return self.not_found(request)

    def _admin(self, request: Request) -> Response:
        action = request.path[len("/__sandbox/"):].strip("/")
        payload = request.json() if request.body else {}
        if action == "calls":
            return Response(200, [c.__dict__ for c in self.calls(request.arg("path_prefix", "") or "")])
        if action == "faults":
            payload = dict(payload)
            self.faults.delay_seconds = float(payload.pop("delay_seconds", self.faults.delay_seconds))
            if isinstance(payload.get("raw"), str):
                payload["raw"] = payload["raw"].encode()
            if payload:
                self.faults.add(**payload)
            return Response(200, {"ok": True})
        if action == "expire-tokens":
            self.expire_tokens()
            return Response(200, {"ok": True})
        if action == "second-host":
            return Response(200, [{**r.__dict__, "body": r.body.decode("utf-8", errors="replace")}
                                  for r in self.second_host.requests])
        if action == "reset":
            self.reset()
            return Response(200, {"ok": True})
        try:
            return Response(200, self.admin(action, payload))
        except KeyError:
            return Response(404, {"message": f"unknown sandbox action {action!r}"})

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, response: Response) -> None:
        payload = response.encode()
        try:
            handler.send_response(response.status)
            headers = {"Content-Type": "application/json"} if payload else {}
            headers.update(response.headers)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            if response.cut_body:
                handler.wfile.write(payload[: len(payload) // 2])
                handler.wfile.flush()
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if response.drip_seconds:
                handler.close_connection = True
                for index in range(len(payload)):
                    handler.wfile.write(payload[index:index + 1])
                    handler.wfile.flush()
                    time.sleep(response.drip_seconds)
                return
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a stalled or dripping answer past its deadline)
