"""`check` guard against a server-side page cap.

Paging ends on a page shorter than `limit`; Plutio does not document its maximum `limit`, so a cap below
`page_size` would end every stream after its first page without any error. The probe reads one page of `people`
with the configured limit and, when it comes back short but not empty, asks for one record past it: if one
exists, the server capped the page. At most two calls, only during `check`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Optional

import requests

logger = logging.getLogger("airbyte")


def find_page_cap(config: Mapping[str, Any], access_token: Callable[[], str], resource: str = "people") -> Optional[int]:
    """The number of records the server returned for a full page if it capped `limit`, else None."""
    page_size = int(config.get("page_size") or 100)
    url = f"{str(config['base_url']).rstrip('/')}/{resource}"
    headers = {"Business": str(config["business"]), "Authorization": f"Bearer {access_token()}"}
    first = _get(url, headers, {"limit": page_size})
    if first is None or not 0 < len(first) < page_size:
        return None
    beyond = _get(url, headers, {"skip": len(first), "limit": 1})
    return len(first) if beyond else None


def _get(url: str, headers: Mapping[str, str], params: Mapping[str, Any]) -> Optional[list]:
    try:
        response = requests.get(url, headers=dict(headers), params=dict(params), timeout=60)
        body = response.json() if response.ok else None
    except (requests.RequestException, ValueError) as exc:
        logger.info(f"page size probe skipped: {type(exc).__name__}")
        return None
    return body if isinstance(body, list) else None
