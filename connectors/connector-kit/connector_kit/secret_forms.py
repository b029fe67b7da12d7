"""The forms a secret takes on its way out: the one definition of what "mask a secret" covers.

A secret leaves a connector not only as itself. A token endpoint that echoes a form POST shows it URL-encoded,
a JSON error body shows it JSON-escaped, and an HTTP Basic header shows `user:password` in base64. Masking
only the plain value lets every one of those through, so every secret is masked in each of these forms:

- plain;
- URL-encoded: `quote` (keeps `/`), `quote(safe="")` and `quote_plus` (what a form body or a query string holds);
- JSON-escaped: as `json.dumps` writes it inside a string, with and without `ensure_ascii`;
- Basic auth: `base64("<user>:<secret>")` in UTF-8 and Latin-1 (`basic_auth_forms`), for a secret sent with a
  user name (Plecto).

Standard library only, on purpose: this module has no dependency (not even on the rest of the kit), so any
program that masks the same secrets (the pipeline's redactor) can use this very file.
"""

import base64
import json
from urllib.parse import quote, quote_plus


def secret_forms(secret: str) -> list[str]:
    """Every form of `secret` in which it may appear in a text, longest first; [] for an empty secret."""
    if not secret:
        return []
    forms = {
        secret,
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    return sorted(forms, key=len, reverse=True)


def basic_auth_forms(user: str, secret: str) -> list[str]:
    """What an `Authorization: Basic ...` header carries for this user and secret: `user:secret` in base64, encoded
    as UTF-8 and, where it can be, as Latin-1 (what requests sends for a text password)."""
    forms = []
    for encoding in ("utf-8", "latin-1"):
        try:
            raw = f"{user}:{secret}".encode(encoding)
        except UnicodeEncodeError:
            continue
        forms.append(base64.b64encode(raw).decode("ascii"))
    return list(dict.fromkeys(forms))
