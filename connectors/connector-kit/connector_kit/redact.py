"""Short, secret-free descriptions of requests and bodies for messages a person reads."""


from typing import Any
from urllib.parse import urlsplit

from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

BODY_QUOTE_CHARS = 160


def endpoint_of(request: Any) -> str:
    """`GET /accounts` for a prepared request (query strings are left out: they may carry ids and cursors)."""
    method = getattr(request, "method", None) or "GET"
    url = getattr(request, "url", None) or ""
    return f"{method} {urlsplit(str(url)).path or '/'}"


def body_start(content: Any, limit: int = BODY_QUOTE_CHARS) -> str:
    """The first characters of a body, on one line, with known secrets masked; `(empty)` for no body."""
    if isinstance(content, bytes):
        text = content[: limit * 4].decode("utf-8", errors="replace")
    else:
        text = str(content if content is not None else "")
    text = " ".join(text.split())
    if not text:
        return "(empty)"
    quoted = text[:limit] + ("..." if len(text) > limit else "")
    return filter_secrets(quoted)
