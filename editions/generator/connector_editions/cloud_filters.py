"""The response filters of the Cloud edition: what the kit's error handler, answer check and link guard decide, said
as stock `HttpResponseFilter`s, as far as a filter can say it.

A filter sees the answer's parsed JSON body (`response`, `{}` when the body is not JSON), its `headers` and the URL
it came from without the query string (`request_url`); neither the status code nor the config reaches a predicate.
So the Cloud error handler lists, after the manifest's own filters:

1. one filter per class of status, by `http_codes` (401/403 config errors, 429 waits, 408 and 5xx retry, any other
   4xx fails with the vendor's words), so that no error answer reaches the predicates below;
2. the link guard: an answer whose link field (Protime's `nextLink`) leads to another host fails before the
   paginator follows it, since the next request would carry the token there;
3. the paginator checks (Pluggy's `next` without an `after`);
4. one filter per rule of the kit's answer contract: a 2xx answer of another shape (or not JSON) is retried, then
   fails the sync, instead of being read as an empty page.

The rules match the URL path as the kit does (`re.search`, the first rule whose path matches applies); a path is
matched in Jinja by `regex_replace` with a marker: a URL path holds no raw space, so the marker appears only
where the rule's pattern matched.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from connector_kit.contract import BodyRule

# The registered HTTP status codes (RFC 9110 and the IANA registry): an unregistered code falls to the CDK's own
# mapping after every filter below, a shape filter included, which may retry it rather than fail it.
CLIENT_ERRORS = (*range(400, 419), *range(421, 427), 428, 429, 431, 451)
SERVER_ERRORS = (*range(500, 509), 510, 511)

URL_PATH = "(request_url | regex_replace('^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*', ''))"
URL_ORIGIN = "(request_url | regex_search('^([a-zA-Z][a-zA-Z0-9+.-]*://[^/]*)'))"
ABSOLUTE_LINK = "^((?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//)"
LINK_HOST = "^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//(?:[^/@]*@)?([^/?#]*)"
# The vendor's own words from an error body: the keys of the usual JSON error envelopes (connector_kit.errors).
VENDOR_WORDS = ("(((response.get('message') or response.get('error_description') or (response.error.get('message') "
                "if response.get('error') is mapping else response.get('error')) or response.get('detail') or "
                "response.get('codeDescription') or '') if response is mapping else '') | string)")

# Only the error code of an answer (a short word such as invalid_client or CLIENT_KEYS_UNAUTHORIZED): a login answer
# may echo the secret it was sent, in a form Airbyte does not mask (URL-encoded, JSON-escaped).
VENDOR_CODE = ("(((response.get('codeDescription') or response.get('error') or response.get('code') or '') if response "
               "is mapping else '') | string | regex_search('^([A-Za-z0-9_.:-]{1,64})$'))")

_JINJA_TYPE = {
    "array": "({v} is sequence and {v} is not string and {v} is not mapping)",
    "object": "{v} is mapping",
    "string": "{v} is string",
    "integer": "({v} is integer or ({v} is float and {v} % 1 == 0))",
    "number": "({v} is number and {v} is not boolean)",
    "boolean": "{v} is boolean",
    "null": "{v} is none",
}


def jinja_str(text: str) -> str:
    """`text` as a Jinja string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def path_matches(pattern: str) -> Optional[str]:
    """A Jinja test that the request's URL path matches `pattern` (re.search); None when every path does."""
    if pattern in ("", ".*"):
        return None
    return f"' ' in ({URL_PATH} | regex_replace({jinja_str(pattern)}, ' '))"


def _one_of(value: str, types: Iterable[str]) -> str:
    tests = [_JINJA_TYPE[name].format(v=value) for name in types]
    return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"


def shape_holds(rule: BodyRule) -> str:
    """A Jinja expression: the parsed body (`response`) has the shape the rule documents."""
    if rule.body == "array":
        return _one_of("response", ["array"])
    checks = ["response is mapping"]
    for field in rule.fields:
        value = f"response[{jinja_str(field.name)}]"
        typed = _one_of(value, field.types)
        if field.optional:
            checks.append(f"({jinja_str(field.name)} not in response or {typed})")
        else:
            checks.append(f"({jinja_str(field.name)} in response and {typed})")
    return " and ".join(checks)


def shape_filters(contract: Mapping[str, Any], vendor: str) -> list[dict[str, Any]]:
    """One RETRY filter per rule of the kit's `response_contract`: a body of another shape is retried, then fails."""
    filters, earlier = [], []
    for raw in contract.get("rules") or []:
        rule = BodyRule.parse(raw)
        pattern = str(raw.get("path") or "")
        conditions = [c for c in [path_matches(pattern)] if c]
        conditions += [f"not {c}" for c in earlier if c]
        conditions.append(f"not ({shape_holds(rule)})")
        filters.append({
            "type": "HttpResponseFilter",
            "action": "RETRY",
            "predicate": "{{ " + " and ".join(conditions) + " }}",
            "error_message": (f"{vendor} answered {{{{ request_url }}}} with a body that is not the documented shape "
                              f"(expected {rule.describe()}; a body that is not JSON counts as an empty object). "
                              "Retried with backoff: such a body is usually a proxy or maintenance page. If it "
                              f"persists, check {vendor}'s status page and run the sync again later."),
        })
        earlier.append(path_matches(pattern))
        if path_matches(pattern) is None:
            break  # this rule takes every path: no later rule applies
    return filters


def link_guard(field: str, vendor: str) -> dict[str, Any]:
    """FAIL an answer whose link `field` leads to another origin than the answer's own (a relative link is fine)."""
    link = f"response.get({jinja_str(field)})"
    return {
        "type": "HttpResponseFilter",
        "action": "FAIL",
        "failure_type": "config_error",
        "predicate": (f"{{{{ response is mapping and {link} is string and "
                      f"({link} | regex_search({jinja_str(ABSOLUTE_LINK)})) != '' and not ({link} ~ '/')"
                      f".startswith({URL_ORIGIN} ~ '/') }}}}"),
        "error_message": (f"{vendor}'s answer on {{{{ request_url }}}} pointed the next page at another host "
                          f"({{{{ {link} | regex_search({jinja_str(LINK_HOST)}) }}}}); it was not followed, so that "
                          f"the credentials stay on their host. If {vendor} really serves this account from that host, "
                          "point the configuration at it."),
    }


def status_filters(vendor: str, handled: Iterable[int] = (), quoted: str = VENDOR_WORDS) -> list[dict[str, Any]]:
    """What the kit's VendorErrorHandler does by status, for the codes the manifest's own filters leave; `quoted`: what
    of the answer the messages quote (VENDOR_CODE for a login)."""
    taken = set(handled)

    def codes(wanted: Iterable[int]) -> list[int]:
        return [code for code in wanted if code not in taken]

    words = "{{ " + quoted + " }}"
    candidates = [
        ([401], "FAIL", "config_error",
         f"{vendor} refused {{{{ request_url }}}} (401: {words}): check the credentials in the connector "
         "configuration."),
        ([403], "FAIL", "config_error",
         f"{vendor} refused {{{{ request_url }}}} (403: {words}): check the credentials in the connector "
         "configuration and what they are allowed to read."),
        ([429], "RATE_LIMITED", None,
         f"{vendor} is rate limiting {{{{ request_url }}}} (429: {words}); waiting as it asks."),
        ([408, *SERVER_ERRORS], "RETRY", None,
         f"{vendor} answered {{{{ request_url }}}} with a server error ({words}); retried with backoff. If it "
         "persists the vendor may be down or in maintenance: run the sync again later."),
        ([c for c in CLIENT_ERRORS if c not in (401, 403, 408, 429)], "FAIL", "system_error",
         f"{vendor} answered {{{{ request_url }}}} with an error: {words}."),
    ]
    filters = []
    for wanted, action, failure_type, message in candidates:
        left = codes(wanted)
        if not left:
            continue
        entry: dict[str, Any] = {"type": "HttpResponseFilter", "http_codes": left, "action": action}
        if failure_type:
            entry["failure_type"] = failure_type
        entry["error_message"] = message
        filters.append(entry)
    return filters


def handled_codes(filters: Iterable[Mapping[str, Any]]) -> set[int]:
    """The status codes a list of filters decides by `http_codes` alone (a predicate may leave them undecided)."""
    return {int(code) for entry in filters if not entry.get("predicate") and not entry.get("error_message_contains")
            for code in entry.get("http_codes") or []}
