"""Secrets out of every line the pipeline prints or writes, and out of the log files PyAirbyte writes for it.

The secrets are the values that ${VARIABLE}s were replaced by, any value written in the file for a field that the
connector's spec marks secret, and the Basic-auth credential of each username/password pair (Plecto's login).
Each is masked in every form a program may write it in: the one definition the connectors use as well
(connector_kit.secret_forms: plain, URL-encoded, JSON-escaped, repr, Basic auth). Values shorter than MIN_LENGTH
are not masked: they would blank out ordinary numbers and words, and no credential is that short.

The connectors mask their own output (connector_kit); this redactor does not rely on it, since the pipeline runs
them as programs and also writes what they said into its state and log files.
"""

from __future__ import annotations

import logging
import re
from typing import Iterable, Optional

from connector_kit.secret_forms import basic_auth_forms, secret_forms

MASK = "****"
MIN_LENGTH = 4


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._forms: set[str] = set()
        self._pattern: Optional[re.Pattern[str]] = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if isinstance(secret, str) and len(secret) >= MIN_LENGTH:
                self._forms |= set(secret_forms(secret))
        # One pass over the text, the longest form first: a secret may contain another.
        forms = sorted(self._forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, forms))) if forms else None

    def add_login(self, username: object, password: object) -> None:
        """A username/password pair sent as Basic auth: the password, and the pair as the header encodes it."""
        if isinstance(password, str) and len(password) >= MIN_LENGTH:
            self.add([password])
            if isinstance(username, str):
                self.add(basic_auth_forms(username, password))

    def clean(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern is not None else text

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
        if record.exc_info and not record.exc_text:  # the traceback a handler would print, masked too
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.clean(record.stack_info)
        return True
