"""Secrets out of everything a person reads: short, secret-free descriptions of requests and bodies, and the
masking of every form of every secret (connector_kit.secret_forms) in what a connector prints.

Every secret is registered here once: the config's `airbyte_secret` values (by the entry point, for sources and
the destination alike) and each token or API key the connector obtains (by the authenticator). Registering a
secret adds each of its forms to the CDK's filter (`airbyte_secrets_utils`, which the CDK applies to its own
log lines and error messages) and to the kit's own list, which the entry point applies to every line it prints
but records (`mask_line`) and every log record (`MaskSecrets`). The kit keeps its own list because the CDK's
is replaced by the plain config values whenever a CDK entry point starts a command.
"""


import logging
import threading
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

import orjson
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets, filter_secrets, get_secrets, update_secrets

from connector_kit.secret_forms import basic_auth_forms, secret_forms

BODY_QUOTE_CHARS = 160
BODY_MASK_WINDOW = 1024 * 1024  # how much of a body is masked before its start is quoted (a secret is never cut)
MASK = "****"  # what the CDK's filter writes too

_SECRETS_LOCK = threading.Lock()
_KNOWN_FORMS: set[str] = set()
_FORMS_LONGEST_FIRST: tuple[str, ...] = ()  # replaced whole, so a reader never sees it half updated


def endpoint_of(request: Any) -> str:
    """`GET /accounts` for a prepared request (query strings are left out: they may carry ids and cursors)."""
    method = getattr(request, "method", None) or "GET"
    url = getattr(request, "url", None) or ""
    return f"{method} {urlsplit(str(url)).path or '/'}"


def body_start(content: Any, limit: int = BODY_QUOTE_CHARS) -> str:
    """The first characters of a body, on one line, with known secrets masked; `(empty)` for no body."""
    if isinstance(content, bytes):
        text = content[:BODY_MASK_WINDOW].decode("utf-8", errors="replace")
    else:
        text = str(content if content is not None else "")
    text = " ".join(mask(text).split())  # masked before it is cut: a secret cut in two would no longer match
    if not text:
        return "(empty)"
    return text[:limit] + ("..." if len(text) > limit else "")


# ---- registering secrets ----------------------------------------------------------------------------------------
def _remember(forms: Iterable[str]) -> list[str]:
    """Add forms to the kit's list; returns those that were new."""
    global _FORMS_LONGEST_FIRST
    with _SECRETS_LOCK:
        new = [form for form in dict.fromkeys(forms) if form and form not in _KNOWN_FORMS]
        if new:
            _KNOWN_FORMS.update(new)
            _FORMS_LONGEST_FIRST = tuple(sorted(_KNOWN_FORMS, key=len, reverse=True))
    return new


def register_secret(secret: Any) -> None:
    """Mask `secret` in every form (plain, URL-encoded, JSON-escaped) from now on: a token, an API key."""
    for form in _remember(secret_forms(str(secret)) if secret not in (None, "") else []):
        add_to_secrets(form)


def register_config_secrets(connection_specification: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Mask every `airbyte_secret` value of the config in every form, and the Basic-auth form of each secret with
    each other top-level text of the config (so `base64(username:password)` is masked without naming fields).

    Like the CDK's own `set_up_secret_filter`, it sets the CDK's list afresh: to every form the kit knows."""
    secrets = [str(value) for value in get_secrets(connection_specification, config) if value not in (None, "")]
    users = [value for value in config.values() if isinstance(value, str) and value and value not in secrets]
    forms = [form for secret in secrets for form in secret_forms(secret)]
    forms += [form for user in users for secret in secrets for form in basic_auth_forms(user, secret)]
    _remember(forms)
    update_secrets(list(_FORMS_LONGEST_FIRST))


def forget_all_secrets() -> None:
    """Nothing masked any more (tests start each sync without secrets; a new process starts empty anyway)."""
    global _FORMS_LONGEST_FIRST
    with _SECRETS_LOCK:
        _KNOWN_FORMS.clear()
        _FORMS_LONGEST_FIRST = ()
    update_secrets([])


# ---- masking -------------------------------------------------------------------------------------------------------
def mask(text: str) -> str:
    """`text` with every form of every registered secret replaced by `****` (the longest first: a form may hold
    another), then the CDK's own filter (secrets the CDK registered itself)."""
    for form in _FORMS_LONGEST_FIRST:
        if form in text:
            text = text.replace(form, MASK)
    return filter_secrets(text)


def mask_line(line: str) -> str:
    """A serialized Airbyte message with every secret masked in its texts (message, internal_message, stack_trace,
    a log's message, a connection status...). The masking applies to the strings of the parsed message, never to
    the serialized line, so a secret that looks like JSON syntax cannot break the line.

    The entry point applies it to every message but a RECORD, which it knows by the message's type: records are
    nearly all of a sync's output, so masking each one would cost more than the rest of the run's own work, and a
    record holds what the API returned as data, never a value the connector was given or obtained as a credential."""
    if mask(line) == line:
        return line
    try:
        message = orjson.loads(line)
    except orjson.JSONDecodeError:
        return mask(line)
    return orjson.dumps(_masked(message)).decode()


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


class MaskSecrets(logging.Filter):
    """A log filter: the record's message with every secret masked (the CDK's formatter masks only the forms the
    CDK's list holds, and a destination's CDK entry point resets that list to the plain config values)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = mask(text)
        if masked != text:
            record.msg = masked
            record.args = None
        return True
