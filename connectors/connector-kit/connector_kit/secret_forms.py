"""The forms a secret takes on its way out: the one definition of what "mask a secret" covers.

A secret leaves a program not only as itself. A token endpoint that echoes a form POST shows it URL-encoded,
a JSON error body shows it JSON-escaped, a Python traceback shows its repr, and an HTTP Basic header shows
`user:password` in base64. Masking only the plain value lets every one of those through, so every secret is
masked in each of these forms:

- plain, and as a Python repr writes it inside quotes;
- URL-encoded: `quote` (keeps `/`), `quote(safe="")`, `quote_plus` and `quote_plus(safe="/")` (what a form body,
  a query string or a URL holds), with the hex digits of each escape in either case (`%2F` and `%2f`);
- JSON-escaped: as `json.dumps` writes it inside a string, with and without `ensure_ascii`, and with `/`
  escaped as `\\/` (serializers that do so);
- Basic auth: `base64("<user>:<secret>")` in UTF-8 and Latin-1 (`basic_auth_forms`), for a secret sent with a
  user name (Plecto).

Standard library only, on purpose: this module imports nothing of the kit or the CDK, so the connectors (through
connector_kit.redact) and the pipeline's redactor (airbyte_pipeline.redaction) mask exactly the same forms.
"""

import base64
import json
import re
from urllib.parse import quote, quote_plus

_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def secret_forms(secret: str) -> list[str]:
    """Every form of `secret` in which it may appear in a text, longest first; [] for an empty secret."""
    if not secret:
        return []
    encoded = {quote(secret), quote(secret, safe=""), quote_plus(secret), quote_plus(secret, safe="/")}
    encoded |= {_PERCENT_ESCAPE.sub(lambda m: m[0].lower(), form) for form in encoded}
    in_json = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    in_json |= {form.replace("/", "\\/") for form in in_json}
    forms = {secret, repr(secret)[1:-1], *encoded, *in_json}
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
