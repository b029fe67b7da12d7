"""The HTTP settings every connector shares, read from its config: one definition of the fields, their
defaults and their spec entries (`SPEC_PROPERTIES` is added to each connector's spec by the kit)."""


from dataclasses import dataclass
from typing import Any, Mapping

CONNECT_TIMEOUT_SECONDS = 10.0
DEFAULT_READ_TIMEOUT_SECONDS = 60
DEFAULT_MAX_RETRIES = 5
DEFAULT_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 60.0
DEFAULT_REQUEST_DEADLINE_SECONDS = 300
DEFAULT_MAX_RESPONSE_MB = 32

SPEC_PROPERTIES: dict[str, dict[str, Any]] = {
    "read_timeout_seconds": {
        "type": "integer",
        "title": "Read Timeout (seconds)",
        "description": (
            "How long to wait for the API to send data before the call counts as failed and is retried. "
            "Raise it only if the API is known to answer slower than this."
        ),
        "default": DEFAULT_READ_TIMEOUT_SECONDS,
        "minimum": 1,
        "maximum": 600,
        "examples": [DEFAULT_READ_TIMEOUT_SECONDS],
        "order": 100,
    },
    "max_retries": {
        "type": "integer",
        "title": "Max Retries",
        "description": (
            "How often a call is retried after a 429, a 5xx, a timeout, a dropped connection or an answer that is "
            "not the documented shape, with exponential backoff, before the sync fails."
        ),
        "default": DEFAULT_MAX_RETRIES,
        "minimum": 0,
        "maximum": 10,
        "examples": [DEFAULT_MAX_RETRIES],
        "order": 101,
    },
    "retry_backoff_seconds": {
        "type": "number",
        "title": "First Retry Wait (seconds)",
        "description": (
            "The wait before the first retry; each further retry waits twice as long, at most 60 s per wait. "
            "A 429 waits for the API's Retry-After (or RateLimit-Reset) instead."
        ),
        "default": DEFAULT_BACKOFF_SECONDS,
        "minimum": 0,
        "maximum": 60,
        "examples": [DEFAULT_BACKOFF_SECONDS],
        "order": 102,
    },
    "request_deadline_seconds": {
        "type": "integer",
        "title": "Request Deadline (seconds)",
        "description": (
            "The longest one call may take, its whole answer included, however the API drips it. A call past it "
            "is retried like a timeout. Raise it only for an API known to send large answers slowly."
        ),
        "default": DEFAULT_REQUEST_DEADLINE_SECONDS,
        "minimum": 1,
        "maximum": 3600,
        "examples": [DEFAULT_REQUEST_DEADLINE_SECONDS],
        "order": 103,
    },
    "max_response_mb": {
        "type": "integer",
        "title": "Largest Answer (MB)",
        "description": (
            "An answer larger than this, counted after decompression, is refused and the sync fails naming the "
            "endpoint: it keeps a broken or hostile server from exhausting memory. Raise it only if the API really "
            "sends pages this large."
        ),
        "default": DEFAULT_MAX_RESPONSE_MB,
        "minimum": 1,
        "maximum": 1024,
        "examples": [DEFAULT_MAX_RESPONSE_MB],
        "order": 104,
    },
}


@dataclass(frozen=True)
class HttpSettings:
    read_timeout_seconds: float = DEFAULT_READ_TIMEOUT_SECONDS
    connect_timeout_seconds: float = CONNECT_TIMEOUT_SECONDS
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS
    max_backoff_seconds: float = MAX_BACKOFF_SECONDS
    request_deadline_seconds: float = DEFAULT_REQUEST_DEADLINE_SECONDS
    max_response_mb: float = DEFAULT_MAX_RESPONSE_MB

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "HttpSettings":
        config = config or {}

        def number(key: str, default: float) -> float:
            value = config.get(key)
            return default if value is None or isinstance(value, bool) else float(value)

        return cls(
            read_timeout_seconds=number("read_timeout_seconds", DEFAULT_READ_TIMEOUT_SECONDS),
            max_retries=int(number("max_retries", DEFAULT_MAX_RETRIES)),
            # The CDK treats a zero wait as "no strategy answered": keep a floor above zero.
            backoff_seconds=max(0.01, number("retry_backoff_seconds", DEFAULT_BACKOFF_SECONDS)),
            request_deadline_seconds=number("request_deadline_seconds", DEFAULT_REQUEST_DEADLINE_SECONDS),
            max_response_mb=number("max_response_mb", DEFAULT_MAX_RESPONSE_MB),
        )

    @property
    def max_response_bytes(self) -> int:
        return int(self.max_response_mb * 1024 * 1024)

    @property
    def timeout(self) -> tuple[float, float]:
        """requests' (connect, read) timeout."""
        return (self.connect_timeout_seconds, self.read_timeout_seconds)


def with_http_settings(connection_specification: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a connector's connection specification with the shared HTTP settings added."""
    spec = dict(connection_specification)
    properties = dict(spec.get("properties") or {})
    for name, schema in SPEC_PROPERTIES.items():
        properties.setdefault(name, dict(schema))
    spec["properties"] = properties
    return spec
