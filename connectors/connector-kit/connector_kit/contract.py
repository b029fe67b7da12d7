"""The documented shape of a vendor's answers, checked before any record is taken from them.

A `200` can carry a maintenance page, a proxy's error, or JSON of another shape. Read as data, such a body
becomes a bogus record or an empty page that ends a stream early. So every 2xx answer is checked against the
rule for its path, and one that does not match raises `UnexpectedBody`:

- it is raised from a requests response hook, inside `Session.send`, so the CDK's HTTP cache (requests-cache,
  which stores any 200 after `send` returns) never stores it, and the retry reaches the server;
- `errors.VendorErrorHandler` retries it with backoff like a 5xx, then fails the sync with a system error that
  names the endpoint and quotes the start of the body.

A rule, as a manifest declares it:

    - path: "^/v2/"                 # regex on the URL path; the first matching rule applies
      body: object                  # object | array
      fields:                       # for objects: required fields and their JSON types
        results: array
        next: string|null
        totalPages?: integer        # `?`: may be absent, but has this type when present
"""


import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

import orjson
import requests

from connector_kit.redact import body_start, endpoint_of

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "array": (list,),
    "object": (dict,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


# A checked answer keeps its parsed body here, so the extractor and the paginator do not parse it again.
PARSED_BODY = "connector_kit_parsed_body"


def parsed_body(response: requests.Response) -> Any:
    """The answer's JSON body: the one the contract check already parsed, else parsed now."""
    body = getattr(response, PARSED_BODY, _UNSET)
    if body is _UNSET:
        body = orjson.loads(response.content) if response.content else None
    return body


_UNSET = object()


class UnexpectedBody(requests.exceptions.RequestException):
    """A 2xx answer whose body is not the documented shape (or not JSON)."""

    def __init__(self, message: str, response: requests.Response) -> None:
        super().__init__(message, response=response, request=response.request)
        self.message = message


@dataclass(frozen=True)
class FieldRule:
    name: str
    types: tuple[str, ...]
    optional: bool

    def problem(self, body: Mapping[str, Any]) -> Optional[str]:
        if self.name not in body:
            return None if self.optional else f"no `{self.name}`"
        value = body[self.name]
        if any(_is_type(value, t) for t in self.types):
            return None
        return f"`{self.name}` is {_type_name(value)}, not {' or '.join(self.types)}"


@dataclass(frozen=True)
class BodyRule:
    path: re.Pattern[str]
    body: str
    fields: tuple[FieldRule, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> "BodyRule":
        body = str(raw.get("body") or "object")
        if body not in ("object", "array"):
            raise ValueError(f"response contract: body must be object or array, got {body!r}")
        fields = []
        for name, types in (raw.get("fields") or {}).items():
            optional = name.endswith("?")
            wanted = tuple(t.strip() for t in str(types).split("|"))
            unknown = [t for t in wanted if t not in _JSON_TYPES]
            if unknown:
                raise ValueError(f"response contract: unknown type(s) {unknown} for field {name!r}")
            fields.append(FieldRule(name.rstrip("?"), wanted, optional))
        return cls(re.compile(str(raw.get("path") or ".*")), body, tuple(fields))

    def describe(self) -> str:
        if self.body == "array":
            return "a JSON array"
        listed = ", ".join(f"{f.name}{'?' if f.optional else ''} ({'|'.join(f.types)})" for f in self.fields)
        return f"a JSON object with {listed}" if listed else "a JSON object"

    def problem(self, body: Any) -> Optional[str]:
        if self.body == "array":
            return None if isinstance(body, list) else f"the body is {_type_name(body)}"
        if not isinstance(body, dict):
            return f"the body is {_type_name(body)}"
        for field_rule in self.fields:
            problem = field_rule.problem(body)
            if problem:
                return problem
        return None


class ResponseContract:
    """The rules of one vendor; `check` raises `UnexpectedBody` for a 2xx answer that breaks its rule."""

    def __init__(self, vendor: str, rules: Iterable[Mapping[str, Any]]) -> None:
        self.vendor = vendor
        self.rules = tuple(BodyRule.parse(rule) for rule in rules)

    @classmethod
    def from_manifest(cls, raw: Optional[Mapping[str, Any]]) -> Optional["ResponseContract"]:
        if not raw:
            return None
        return cls(str(raw.get("vendor") or "The API"), raw.get("rules") or [])

    def rule_for(self, path: str) -> Optional[BodyRule]:
        return next((rule for rule in self.rules if rule.path.search(path)), None)

    def check(self, response: requests.Response) -> None:
        if not 200 <= response.status_code < 300 or response.status_code == 204:
            return
        if hasattr(response, PARSED_BODY):  # already checked (requests-cache runs the hooks of a fetch twice)
            return
        rule = self.rule_for(requests.utils.urlparse(response.url or "").path)
        if rule is None:
            return
        try:
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            problem = "the body is not JSON"
        else:
            problem = rule.problem(body)
            if not problem:
                setattr(response, PARSED_BODY, body)
        if problem:
            raise UnexpectedBody(
                f"{self.vendor} answered {endpoint_of(response.request)} with HTTP {response.status_code} but "
                f"{problem}: expected {rule.describe()}. The body starts: {body_start(response.content)!r}",
                response,
            )

    def arm(self, request: requests.PreparedRequest) -> None:
        """Register the check as a response hook of `request` (once, however often the request is re-signed)."""
        hooks = request.hooks.setdefault("response", [])
        if self._hook not in hooks:
            hooks.append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.check(response)
        return response


def _is_type(value: Any, json_type: str) -> bool:
    if json_type in ("integer", "number") and isinstance(value, bool):
        return False
    if json_type == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _JSON_TYPES[json_type])


def _type_name(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return {"null": "null", "array": "an array", "object": "an object", "integer": "an integer"}.get(
                name, f"a {name}")
    return type(value).__name__
