"""Every answer bounded: an overall deadline per call, its body included, and a size bound after decompression.

requests' timeouts bound each socket read, not a call: a server that drips one byte every few seconds keeps a
call alive forever, and a small gzip body can inflate to gigabytes in `response.content`. So `ResponseBounds`
reads the body itself, from a requests response hook (armed on every request), before anyone else does:

- requests runs response hooks inside `Session.send` before it follows redirects and before it reads the body
  (`stream=False`, as the CDK's HttpClient sends for JSON answers: a kit test pins both); requests-cache stores
  an answer only after `Session.send` returns, so a refused answer is never cached;
- it reads with urllib3's `read1`, which returns as soon as some bytes arrived and inflates at most that many
  bytes per call (urllib3 >= 2.6), counting the decompressed bytes; over `max_response_mb` it stops reading and
  raises `AnswerTooLarge` (the sync fails naming the endpoint and the setting; a retry would fetch it again);
- a timer shuts the socket down at the deadline (`request_deadline_seconds` from the call's start: requests'
  `response.elapsed` covers the connection and the headers), which ends a read blocked on a silent server;
  `DeadlineExceeded` is a `requests` Timeout, so the call is retried like any timeout;
- the bytes go back as a fresh urllib3 `HTTPResponse` over them in `response.raw` (public on both sides), so
  `response.content`, `.json()` and requests-cache work unchanged.

What remains unbounded: the header phase. The hook runs once the headers are in, and neither requests nor the
CDK offers a public way to interrupt a server that drips its headers; each header byte still has to come within
the read timeout, and a header phase that took longer than the deadline fails the call as soon as it ends.

destination-plecto's own requests session takes the same bounds with `arm_bounds(session, settings)`.
"""


import io
import threading
import time
from typing import Any, Optional, Union

import requests
from urllib3 import HTTPResponse
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

from connector_kit.redact import endpoint_of
from connector_kit.settings import HttpSettings

READ_CHUNK_BYTES = 256 * 1024
_BOUNDED = "connector_kit_bounded"  # set on a response whose body this module read (requests-cache runs hooks twice)


class DeadlineExceeded(requests.exceptions.Timeout):
    """The call, its body included, took longer than `request_deadline_seconds`."""

    def __init__(self, seconds: float, request: Any) -> None:
        self.reason = (f"no complete answer within `request_deadline_seconds` ({seconds:g} s) on "
                       f"{endpoint_of(request)}")
        super().__init__(self.reason, request=request)


class AnswerTooLarge(requests.exceptions.RequestException):
    """The answer's body, decompressed, is larger than `max_response_mb`."""

    def __init__(self, limit_mb: float, request: Any) -> None:
        self.reason = (f"the answer to {endpoint_of(request)} is larger than `max_response_mb` ({limit_mb:g} MB, "
                       "counted decompressed); it was refused")
        super().__init__(self.reason, request=request)


class _Watchdog:
    """Shuts a response's socket down at the deadline, unless the read finished first."""

    def __init__(self, raw: Any, seconds: float) -> None:
        self._raw = raw
        self._lock = threading.Lock()
        self._finished = False
        self.fired = False
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.fired = True
        try:
            self._raw.shutdown()  # a read blocked on the socket returns at once
        except (ValueError, RuntimeError, OSError, NotImplementedError):
            pass  # no socket to shut (a mocked or cached answer); the read loop still checks the clock

    def finish(self) -> bool:
        """Stop watching; True when the deadline fired first."""
        with self._lock:
            self._finished = True
            fired = self.fired
        self._timer.cancel()
        return fired


class ResponseBounds:
    """The deadline and size bound of one connector's calls; `arm` puts them on a request or a session."""

    def __init__(self, settings: HttpSettings) -> None:
        self.deadline_seconds = float(settings.request_deadline_seconds)
        self.max_response_mb = float(settings.max_response_mb)
        self.max_bytes = settings.max_response_bytes

    @classmethod
    def from_config(cls, config: Any) -> "ResponseBounds":
        return cls(HttpSettings.from_config(config))

    def arm(self, target: Union[requests.PreparedRequest, requests.Session]) -> None:
        """Bound every answer to `target`: a prepared request (once, however often it is re-signed) or a session
        (every request it sends through `session.request`, as destination-plecto's client does)."""
        hooks = target.hooks.setdefault("response", []) if isinstance(target, requests.PreparedRequest) \
            else target.hooks["response"]
        if self.hook not in hooks:
            hooks.append(self.hook)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """The response hook: read the body within the bounds (a streamed call is left to its caller)."""
        if kwargs.get("stream") or getattr(response, "from_cache", False) or getattr(response, _BOUNDED, False):
            return response
        setattr(response, _BOUNDED, True)
        self.read(response)
        return response

    def read(self, response: requests.Response) -> None:
        """Read `response`'s body now, within the deadline and the size bound, and put it back in `response.raw`."""
        raw = response.raw
        if not isinstance(raw, HTTPResponse):
            return
        elapsed = response.elapsed.total_seconds() if response.elapsed else 0.0
        deadline_at = time.monotonic() + self.deadline_seconds - elapsed
        watchdog = _Watchdog(raw, deadline_at - time.monotonic())
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if watchdog.fired or time.monotonic() > deadline_at:
                    raise DeadlineExceeded(self.deadline_seconds, response.request)
                chunk = self._read1(raw, watchdog, response)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise AnswerTooLarge(self.max_response_mb, response.request)
                chunks.append(chunk)
        except BaseException:
            watchdog.finish()
            raw.close()  # the rest of the body is unread: this connection cannot serve another call
            raise
        if watchdog.finish():  # the deadline hit between the last read and now: the socket is shut
            raw.close()
            raise DeadlineExceeded(self.deadline_seconds, response.request)
        raw.release_conn()
        body = b"".join(chunks)
        del chunks
        response.raw = _replayed(raw, body, response.url)

    def _read1(self, raw: HTTPResponse, watchdog: _Watchdog, response: requests.Response) -> bytes:
        # What requests' own body reading (Response.iter_content) turns urllib3's errors into, except that a
        # socket timeout stays a timeout.
        try:
            return raw.read1(READ_CHUNK_BYTES, decode_content=True)
        except (ProtocolError, OSError) as error:
            if watchdog.fired:
                raise DeadlineExceeded(self.deadline_seconds, response.request) from None
            raise requests.exceptions.ChunkedEncodingError(error, request=response.request) from None
        except ReadTimeoutError as error:
            raise requests.exceptions.ReadTimeout(error, request=response.request) from None
        except DecodeError as error:
            raise requests.exceptions.ContentDecodingError(error, request=response.request) from None
        except SSLError as error:
            raise requests.exceptions.SSLError(error, request=response.request) from None


def _replayed(raw: HTTPResponse, body: bytes, url: Optional[str]) -> HTTPResponse:
    """A urllib3 response that serves `body` (already decompressed) with the original's status and headers."""
    headers = raw.headers.copy()
    for name in ("Content-Encoding", "Transfer-Encoding"):
        headers.discard(name)
    headers["Content-Length"] = str(len(body))
    return HTTPResponse(body=io.BytesIO(body), headers=headers, status=raw.status, reason=raw.reason,
                        version=raw.version, preload_content=False, decode_content=False, request_url=url)


def arm_bounds(target: Union[requests.PreparedRequest, requests.Session], settings: HttpSettings) -> ResponseBounds:
    """Bound every answer to `target` (a prepared request or a session) by `settings`; returns the bounds."""
    bounds = ResponseBounds(settings)
    bounds.arm(target)
    return bounds
