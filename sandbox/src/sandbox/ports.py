"""The sandbox's fixed loopback URLs, and the same configs, files and texts moved to the ports a sandbox really took.

The example configs of the repository (connectors/*/examples/, pipeline/examples/, acceptance-test-config/) name
the fixed ports of `EMULATORS` (18701-18704). A sandbox or a test that took other ports (an offset, or free ports
from the system) rewrites every such URL with `relocate`, so the examples stay the one copy of each config.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from sandbox import EMULATORS

LOOPBACK = "127.0.0.1"


def fixed_url(name: str) -> str:
    """The URL of emulator `name` on its fixed port, as the example configs name it."""
    return f"http://{LOOPBACK}:{EMULATORS[name][1]}"


def _pattern(urls: Mapping[str, str]) -> re.Pattern | None:
    fixed = [re.escape(fixed_url(name)) for name in urls]
    # Not followed by a digit: http://127.0.0.1:18701 is not the start of http://127.0.0.1:187012.
    return re.compile(f"({'|'.join(fixed)})(?![0-9])") if fixed else None


def relocate_text(text: str, urls: Mapping[str, str]) -> str:
    """`text` with each fixed URL of an emulator in `urls` (name -> the URL it really has) replaced by that URL."""
    pattern = _pattern(urls)
    if pattern is None:
        return text
    by_fixed = {fixed_url(name): url.rstrip("/") for name, url in urls.items()}
    return pattern.sub(lambda match: by_fixed[match.group(1)], text)


def relocate(value: Any, urls: Mapping[str, str]) -> Any:
    """A JSON value (a config) with every string relocated as `relocate_text` does; other values as they are."""
    if isinstance(value, str):
        return relocate_text(value, urls)
    if isinstance(value, dict):
        return {key: relocate(item, urls) for key, item in value.items()}
    if isinstance(value, list):
        return [relocate(item, urls) for item in value]
    return value


def fixed_urls_in(text: str) -> set[str]:
    """The emulators whose fixed URL `text` names."""
    return {name for name in EMULATORS if re.search(re.escape(fixed_url(name)) + "(?![0-9])", text)}
