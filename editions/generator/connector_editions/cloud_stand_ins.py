"""The declarative stand-in of each custom component class, for the Cloud edition (no custom code).

`STAND_INS` maps each class a package manifest names (`components.<Class>` in the self-contained manifest) to a
function that builds its stand-in from the component's own fields: the package manifest stays the one source, and
what each instance says (token URL, header, contract, page size) carries over. A function returns the stock
component, or None when nothing takes the component's place (the key is then left out), and records in `Context`
what the package does that the stand-in does not (`lose`), each loss once per edition.

Why a table here and not a key next to each component in the package manifests: the CDK builds every mapping with a
`type` that a custom component holds as a component, whether the class takes the field or not
(`ModelToComponentFactory.create_custom_component`), so a stand-in written inside a custom component would be built
at every run of the package. A class missing from the table fails the build, naming the class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Mapping, Optional

from connector_kit.settings import DEFAULT_BACKOFF_SECONDS, DEFAULT_MAX_RETRIES

from connector_editions import cloud_filters
from connector_editions.schemas import BuildError

# The kit's renewal margin before a token's expiry: min(5 minutes, a tenth of its lifetime) (connector_kit.auth).
RENEWAL_MARGIN = timedelta(minutes=5)
# OAuth error codes (RFC 6749 5.2) that mean the client or its grant is wrong: a config error, not a retry.
REFUSED_LOGIN = ["invalid_client", "unauthorized_client", "invalid_grant", "invalid_scope", "access_denied"]
MAX_WAIT_SECONDS = 3600  # the kit waits at most an hour for a Retry-After


@dataclass
class Context:
    """What the stand-ins of one manifest share: the vendor's answer contract, how it logs in, the losses."""

    vendor: str = "The API"
    contract: Optional[Mapping[str, Any]] = None
    session_token: bool = False  # the login is a SessionTokenAuthenticator: nothing renews the key on a 401
    link_fields: list[str] = field(default_factory=list)  # answer fields followed as links (RequestPath)
    extra_filters: list[dict[str, Any]] = field(default_factory=list)  # paginator checks every handler gets
    call_budget: Optional[list[Mapping[str, Any]]] = None
    page_parameter: Optional[tuple[str, Any]] = None  # (name, value): `limit`, sent by the requesters instead
    losses: dict[str, str] = field(default_factory=dict)
    stand_ins: dict[str, set[str]] = field(default_factory=dict)  # each custom class -> the stock types replacing it

    def lose(self, key: str, text: str) -> None:
        self.losses.setdefault(key, text)

    def add_filter(self, entry: dict[str, Any]) -> None:
        if entry not in self.extra_filters:
            self.extra_filters.append(entry)


# (the component with its $refs resolved, the edition's context, the component that holds it, resolved)
StandIn = Callable[[Mapping[str, Any], Context, Mapping[str, Any]], Optional[dict[str, Any]]]


def expression(template: Any, where: str) -> str:
    """The Jinja expression of an interpolated string `{{ X }}` (a plain string becomes a literal)."""
    text = str(template).strip()
    found = re.fullmatch(r"\{\{(.*)\}\}", text, re.DOTALL)
    if found and "{{" not in found.group(1) and "{%" not in text:
        return f"({found.group(1).strip()})"
    if "{{" in text or "{%" in text:
        raise BuildError(f"{where}: {text!r} is not one `{{{{ expression }}}}`; the Cloud edition cannot combine it")
    return cloud_filters.jinja_str(text)


def iso_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return "PT" + "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n) if \
        hours or minutes or seconds else "PT0S"


def _with_parameters(node: Mapping[str, Any], stand_in: dict[str, Any]) -> dict[str, Any]:
    if node.get("$parameters"):
        stand_in["$parameters"] = node["$parameters"]
    return stand_in


# ---- connector_kit.auth.SharedTokenAuthenticator ---------------------------------------------------------------
def authenticator(node: Mapping[str, Any], ctx: Context, _: Mapping[str, Any]) -> dict[str, Any]:
    """OAuthAuthenticator (client credentials, `Authorization: Bearer`) or SessionTokenAuthenticator (a login whose
    answer holds a key sent in another header)."""
    ctx.vendor = str(node.get("vendor") or ctx.vendor)
    ctx.contract = node.get("response_contract") or ctx.contract
    ctx.call_budget = node.get("call_budget") or ctx.call_budget
    body = dict(node.get("request_body") or {})
    header, prefix = node.get("header", "Authorization"), node.get("header_prefix", "Bearer ")
    ctx.lose("shared token", (
        "One token for the whole sync: the CDK's authenticators hold a token each, so every stream (and every parent "
        "stream read for a child) logs in on its own: one token call per stream and lifetime instead of one per "
        "lifetime."))
    if node.get("api_url") and header != "Authorization":
        ctx.lose("other hosts", (
            f"API calls kept on their host: an API call redirected to another host is followed, and requests keeps "
            f"a custom credential header ({header}) on the way (it drops only `Authorization`), where the package "
            "refuses the redirect naming the host."))
    elif node.get("api_url"):
        ctx.lose("other hosts", (
            "Redirects to another host refused in words: an API call redirected to another host is followed "
            "without the token (requests drops `Authorization`), where the package refuses it naming the host."))
    if header == "Authorization" and prefix.strip() == "Bearer" and body.get("grant_type") == "client_credentials":
        return _oauth(node, body, ctx)
    if (node.get("body_format") or "form") == "json":
        return _session_token(node, body, header, prefix, ctx)
    raise BuildError(f"{ctx.vendor}: a SharedTokenAuthenticator with header {header!r} and a form body has no Cloud "
                     "stand-in (OAuthAuthenticator takes client credentials with a Bearer header, "
                     "SessionTokenAuthenticator a JSON login)")


def _oauth(node: Mapping[str, Any], body: dict[str, Any], ctx: Context) -> dict[str, Any]:
    stand_in: dict[str, Any] = {
        "type": "OAuthAuthenticator",
        "token_refresh_endpoint": node["token_url"],
        "grant_type": "client_credentials",
        "client_id": body.pop("client_id", ""),
        "client_secret": body.pop("client_secret", ""),
    }
    body.pop("grant_type", None)
    # `scope` stays in the body as the package sends it (RFC 6749: one space-separated `scope`): the CDK's `scopes`
    # list goes out as repeated `scopes=` fields, which a standard token endpoint does not read.
    if body.get("scope"):
        ctx.lose("scopes", (
            "A token asking only the scopes of the selected streams: a Builder manifest sends a fixed scope, so every "
            "token asks for the scopes of all streams, and a client that lacks one of them is refused "
            "a token for every stream (the package narrows the scope to the catalog)."))
    if body:
        stand_in["refresh_request_body"] = body
    if node.get("request_headers"):
        stand_in["refresh_request_headers"] = dict(node["request_headers"])
    stand_in["access_token_name"] = node.get("token_field") or "access_token"
    if node.get("expires_at_field"):
        stand_in["expires_in_name"] = node["expires_at_field"]
        stand_in["token_expiry_date_format"] = "%Y-%m-%dT%H:%M:%S.%fZ"  # an ISO moment, not seconds
    elif node.get("expires_in_field"):
        stand_in["expires_in_name"] = node["expires_in_field"]
    ctx.lose("token calls", (
        "Token calls bounded and kept on their host: the CDK's OAuth token request has no timeout and no deadline, "
        "follows redirects (a 307 or 308 posts the client secret again to wherever it points) and is retried by "
        "the CDK's own policy, not `max_retries`."))
    stand_in["refresh_token_error_status_codes"] = [400, 401, 403]
    stand_in["refresh_token_error_key"] = "error"
    stand_in["refresh_token_error_values"] = list(REFUSED_LOGIN)
    ctx.lose("renewal", (
        "Renewal ahead of expiry: the CDK renews an OAuth token once it has expired, not a few minutes before, so "
        "a call made at the edge of its lifetime is answered 401 and retried with a new token."))
    ctx.lose("refused login", (
        "A refused login in words: the CDK reports a refused token request as \"Refresh token was rejected by the "
        f"OAuth provider\" with the vendor's error code, where the package names the fields to check "
        f"({node.get('credentials_hint') or 'the credentials'})."))
    return _with_parameters(node, stand_in)


def _session_token(node: Mapping[str, Any], body: dict[str, Any], header: str, prefix: str,
                   ctx: Context) -> dict[str, Any]:
    if prefix:
        raise BuildError(f"{ctx.vendor}: a session key sent as {header!r} with the prefix {prefix!r} has no Cloud "
                         "stand-in (the CDK's API-key injection takes the key alone)")
    ctx.session_token = True
    ctx.lose("token calls", (
        "The login kept on its host: the Cloud login is a stock requester (timeouts, retries and the same error "
        "classes), but it follows redirects, and a 307 or 308 posts the client secret again to wherever it points."))
    lifetime = timedelta(seconds=float(node.get("default_lifetime_seconds") or 1800))
    renew_after = lifetime - min(RENEWAL_MARGIN, lifetime / 10)
    hint = node.get("credentials_hint") or "check the credentials in the connector configuration."
    login_handler = {
        "type": "DefaultErrorHandler",
        "max_retries": f"{{{{ config.get('max_retries', {DEFAULT_MAX_RETRIES}) }}}}",
        "backoff_strategies": backoff_strategies(),
        "response_filters": [
            {"type": "HttpResponseFilter", "http_codes": [400, 401, 403], "action": "FAIL",
             "failure_type": "config_error",
             "error_message": f"{ctx.vendor} refused the login ({{{{ {cloud_filters.VENDOR_CODE} }}}}): {hint}"},
            *cloud_filters.status_filters(ctx.vendor, handled=[400, 401, 403], quoted=cloud_filters.VENDOR_CODE),
        ],
    }
    requester: dict[str, Any] = {
        "type": "HttpRequester",
        "url": node["token_url"],
        "http_method": "POST",
        "request_body": {"type": "RequestBodyJsonObject", "value": body},
        "error_handler": login_handler,
        "connect_timeout_in_seconds": 10,
        "read_timeout_in_seconds": 60,
    }
    if node.get("request_headers"):
        requester["request_headers"] = dict(node["request_headers"])
    ctx.lose("key lifetime", (
        f"Renewal at the key's own expiry: the key is renewed after a fixed {iso_duration(renew_after)} (the "
        "package's lifetime less its margin), not from the `exp` of the key itself; a key revoked during the sync "
        "fails the sync (a 401 is a transient error to run again) where the package logs in again once."))
    return _with_parameters(node, {
        "type": "SessionTokenAuthenticator",
        "login_requester": requester,
        "session_token_path": str(node.get("token_field") or "access_token").split("."),
        "expiration_duration": iso_duration(renew_after),
        "request_authentication": {"type": "ApiKey", "inject_into": {
            "type": "RequestOption", "inject_into": "header", "field_name": header}},
    })


# ---- connector_kit.errors.VendorErrorHandler (and subclasses) ----------------------------------------------------
def backoff_strategies() -> list[dict[str, Any]]:
    """Retry-After (or RateLimit-Reset) where the answer gives one, else exponential from `retry_backoff_seconds`."""
    return [
        {"type": "WaitTimeFromHeader", "header": "Retry-After", "max_waiting_time_in_seconds": MAX_WAIT_SECONDS},
        {"type": "WaitTimeFromHeader", "header": "RateLimit-Reset", "max_waiting_time_in_seconds": MAX_WAIT_SECONDS},
        # The CDK waits factor * 2^attempt (attempt 1 first); the kit waits the setting, then twice as long each time.
        {"type": "ExponentialBackoffStrategy",
         "factor": f"{{{{ config.get('retry_backoff_seconds', {DEFAULT_BACKOFF_SECONDS}) / 2 }}}}"},
    ]


def error_handler(node: Mapping[str, Any], ctx: Context, _: Mapping[str, Any]) -> dict[str, Any]:
    """DefaultErrorHandler: the manifest's filters, then the kit's decisions as filters (cloud_filters)."""
    vendor = str(node.get("vendor") or ctx.vendor)
    own = [_own_filter(dict(f), vendor, ctx) for f in node.get("response_filters") or []]
    filters = own + cloud_filters.status_filters(vendor, handled=cloud_filters.handled_codes(own))
    filters += [cloud_filters.link_guard(name, vendor) for name in ctx.link_fields]
    filters += ctx.extra_filters
    if ctx.contract:
        filters += cloud_filters.shape_filters(ctx.contract, vendor)
    ctx.lose("answer checks", (
        "Answer checks beyond what a response filter can say: a filter sees the parsed body (a body that is not JSON "
        "reads as an empty object), so a 2xx answer of another shape is retried and then fails as in the package, "
        "but the message cannot quote the body, and every filter parses the body again."))
    ctx.lose("error words", (
        "Timeouts and dropped connections in words: the CDK retries them with its own messages; a redirect or an "
        "answer too large is not recognized."))
    ctx.lose("waits", (
        "Waits capped at 60 s and an HTTP-date Retry-After: the CDK's exponential wait has no cap "
        "(`retry_backoff_seconds` x 2^n) and reads a numeric Retry-After only; a Retry-After of an hour or more fails "
        "the call where the package waits an hour."))
    return _with_parameters(node, {
        "type": "DefaultErrorHandler",
        "max_retries": f"{{{{ config.get('max_retries', {DEFAULT_MAX_RETRIES}) }}}}",
        "backoff_strategies": backoff_strategies(),
        "response_filters": filters,
    })


def _own_filter(entry: dict[str, Any], vendor: str, ctx: Context) -> dict[str, Any]:
    """A filter of the manifest; a 401 that asks for a new token fails instead when nothing can renew it."""
    if ctx.session_token and entry.get("action") == "REFRESH_TOKEN_THEN_RETRY":
        entry.update(action="FAIL", failure_type="transient_error", error_message=(
            f"{vendor} answered 401 to {{{{ request_url }}}}: the key was revoked or expired during the sync. The "
            "Cloud edition cannot log in again on a 401; run the sync again (it starts with a new key)."))
    return entry


def pluggy_error_handler(node: Mapping[str, Any], ctx: Context, resolved: Mapping[str, Any]) -> dict[str, Any]:
    ctx.lose("deleted item", (
        "One WARNING naming each item deleted during the sync: the item is still skipped and the other items sync "
        "(the manifest's filter), but the CDK logs each skipped answer at INFO, without the item's id."))
    return error_handler(node, ctx, resolved)


# ---- connector_kit.records ------------------------------------------------------------------------------------------
def key_extractor(node: Mapping[str, Any], ctx: Context, _: Mapping[str, Any]) -> dict[str, Any]:
    key = str(node.get("key") or "")
    return _with_parameters(node, {"type": "DpathExtractor", "field_path": [key] if key else []})


def slice_window_filter(node: Mapping[str, Any], ctx: Context, _: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """RecordFilter: the slice's window as the kit keeps it (a resumed slice excludes its own start), and the
    condition; the dedup window has no stand-in."""
    where = "SliceWindowFilter"
    conditions = []
    cursor = str(node.get("cursor_field") or "")
    if cursor:
        conditions.append(window_condition(cursor, node.get("start_date") or "", bool(node.get("resume_inclusive")),
                                           where))
    if node.get("condition"):
        conditions.append(expression(node["condition"], where))
    if node.get("dedup_key"):
        ctx.lose("dedup", (
            f"Each `{node['dedup_key']}` once per sync: skip/limit paging over a live collection shows a record twice "
            "when a write moves it across a page boundary; the Cloud edition emits it twice (a destination in a "
            "deduplicating mode keeps one)."))
    if not conditions:
        return None
    return _with_parameters(node, {"type": "RecordFilter",
                                   "condition": "{{ " + " and ".join(conditions) + " }}"})


def window_condition(cursor: str, start_date: Any, inclusive: bool, where: str) -> str:
    """Jinja: the record's `cursor` inside the slice (a value that is not a date is kept, as the kit keeps it)."""
    value = f"record.get({cloud_filters.jinja_str(cursor)})"
    moment = f"str_to_datetime({value})"
    start = "str_to_datetime(stream_interval.start_time)"
    lower = f"{moment} >= {start}" if inclusive else f"{moment} > {start}"
    if not inclusive and start_date:
        # A first sync starts at the configured start date, which it includes.
        lower = f"({lower} or {start} <= str_to_datetime({expression(start_date, where)}))"
    upper = f"(not stream_interval.get('end_time') or {moment} <= str_to_datetime(stream_interval.end_time))"
    undated = f"({value} | regex_search('^([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})')) == ''"
    return (f"(not stream_interval or not stream_interval.get('start_time') or {value} is not string or {undated}"
            f" or ({lower} and {upper}))")


# ---- pagination ---------------------------------------------------------------------------------------------------------
def next_query_string_cursor(node: Mapping[str, Any], ctx: Context, _: Mapping[str, Any]) -> dict[str, Any]:
    """CursorPagination on Pluggy's `next` query string: its `after`, URL-decoded as far as Jinja can."""
    after = "(response.get('next') | regex_search('(?:^|[?&])after=([^&]*)'))"
    # The CDK's Jinja has no URL-decoding filter: decode the escapes an opaque (base64) cursor can hold.
    for escaped, plain in (("%2B", "+"), ("%2F", "/"), ("%3D", "="), ("%2b", "+"), ("%2f", "/"), ("%3d", "="),
                           ("%25", "%")):
        after += f" | replace('{escaped}', '{plain}')"
    ctx.add_filter({
        "type": "HttpResponseFilter", "action": "FAIL", "failure_type": "system_error",
        "predicate": ("{{ response is mapping and response.get('next') is string and response.next != '' and "
                      "(response.next | regex_search('(?:^|[?&])after=([^&]+)')) == '' }}"),
        "error_message": (f"{ctx.vendor} answered {{{{ request_url }}}} with a `next` link without an `after` cursor "
                          "({{ response.next }}): the read stops rather than skip or repeat pages."),
    })
    if node.get("must_list"):
        ctx.lose("must list", (
            f"`{node['must_list']}` checked against the listing: an id that the listing does not show is skipped "
            "without a word, where the package fails `check` and the sync with a config error naming it."))
    ctx.lose("cursor decoding", (
        "Any URL escape in `next`: the cursor is taken from `next` with Jinja, which decodes the escapes a base64 "
        "cursor holds (%2B, %2F, %3D, %25) and no other."))
    return _with_parameters(node, {
        "type": "CursorPagination",
        "cursor_value": "{{ " + after + " }}",
        "stop_condition": "{{ not response.get('next') }}",
    })


def skip_limit_pagination(node: Mapping[str, Any], ctx: Context, paginator: Mapping[str, Any]) -> dict[str, Any]:
    """OffsetIncrement without a page size: `skip` grows by the records received and only an empty page ends a read,
    so a server cap below `limit` cannot cut it short. The page size goes out as a request parameter instead."""
    option = paginator.get("page_size_option") or {}
    name = option.get("field_name") or "limit"
    ctx.page_parameter = (str(name), node.get("page_size") or 100)
    ctx.lose("empty page", (
        "The last page known without a call: a short page may be a server cap (Plutio documents no largest "
        "`limit`), and a Builder paginator cannot learn the cap, so every read ends on an empty page: one call more "
        "per read (per stream, and per task for comments) than the package, which learns the cap once per sync."))
    return _with_parameters(node, {"type": "OffsetIncrement"})


STAND_INS: dict[str, StandIn] = {
    "SharedTokenAuthenticator": authenticator,
    "VendorErrorHandler": error_handler,
    "PluggyErrorHandler": pluggy_error_handler,
    "KeyExtractor": key_extractor,
    "SliceWindowFilter": slice_window_filter,
    "NextQueryStringCursor": next_query_string_cursor,
    "SkipLimitPagination": skip_limit_pagination,
}
