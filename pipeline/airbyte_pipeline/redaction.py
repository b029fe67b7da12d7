"""Secrets out of every line the pipeline prints or lets PyAirbyte log.

The secrets are the values that ${VARIABLE}s were replaced by, and any value written in the file for a field
that the connector's spec marks secret. Values shorter than MIN_LENGTH are not masked: they would blank out
ordinary numbers and words, and no credential is that short.
"""

from __future__ import annotations

import logging
from typing import Iterable

MASK = "****"
MIN_LENGTH = 4


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        found = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_LENGTH} | set(self._secrets)
        self._secrets = sorted(found, key=len, reverse=True)  # the longest first: a secret may contain another

    def clean(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def guard(self, logger: logging.Logger) -> None:
        """Mask every record that reaches `logger`'s handlers (PyAirbyte's log files)."""
        for handler in logger.handlers:
            if not any(isinstance(f, _RedactingFilter) for f in handler.filters):
                handler.addFilter(_RedactingFilter(self))


class _RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.clean(record.getMessage())
        record.args = None
        return True
