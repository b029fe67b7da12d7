"""Find any form of a secret in what a connector printed: the check of every "no secret in output" test.

A secret can hide from a plain substring search of the output: inside a JSON line, a JSON-escaped form is escaped
once more. So the scan looks at the text as printed and at every string of every JSON line, decoded.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

from connector_kit.secret_forms import basic_auth_forms, secret_forms


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _texts(text: str) -> list[str]:
    texts = [text]
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                texts.extend(_strings(json.loads(line)))
            except ValueError:
                continue
    return texts


def leaked_forms(secrets: Iterable[str], text: str, users: Iterable[str] = ()) -> list[str]:
    """Which forms of which secret appear in `text` (e.g. `secret 1, form 3`, never the secret itself); [] when none.
    `users`: the user names a secret goes with in HTTP Basic auth (their `user:secret` base64 is looked for too)."""
    texts = _texts(text)
    found = []
    for number, secret in enumerate(secrets, start=1):
        forms = [*secret_forms(secret), *(form for user in users for form in basic_auth_forms(user, secret))]
        for index, form in enumerate(forms, start=1):
            if any(form in piece for piece in texts):
                found.append(f"secret {number}, form {index} of {len(forms)}")
    return found
