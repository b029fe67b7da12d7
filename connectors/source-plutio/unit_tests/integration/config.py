"""Connector configs for the mock-server tests (obviously fake credentials)."""

from __future__ import annotations

from typing import Any

BASE_URL = "https://api.plutio.com/v1.8"
CLIENT_ID = "mock-client-id"
CLIENT_SECRET = "mock-client-secret"
BUSINESS = "acme"
START_DATE = "2024-01-01T00:00:00Z"


class ConfigBuilder:
    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "business": BUSINESS,
            "base_url": BASE_URL,
            "start_date": START_DATE,
        }

    def with_page_size(self, page_size: int) -> "ConfigBuilder":
        self._config["page_size"] = page_size
        return self

    def with_lookback_minutes(self, minutes: int) -> "ConfigBuilder":
        self._config["lookback_minutes"] = minutes
        return self

    def with_requests_per_hour(self, limit: int) -> "ConfigBuilder":
        self._config["requests_per_hour"] = limit
        return self

    def with_business(self, business: str) -> "ConfigBuilder":
        self._config["business"] = business
        return self

    def build(self) -> dict[str, Any]:
        return dict(self._config)
