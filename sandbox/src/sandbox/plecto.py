"""Plecto registrations API emulator (https://app.plecto.com/api/v2/), as the vendor docs describe it.

What it serves (see shared/research/vendor-apis.md §4):
- HTTP Basic auth with an employee's email and password; 401 otherwise.
- `POST /api/v2/registrations/`: one object or a list (at most 100). A request is validated as a whole and
  rejected atomically with a 400 that names the offending registration: missing mandatory keys
  (`data_source`, `external_id`, and `member` or all of `member_api_provider`/`member_api_id`/`member_name`),
  an unknown data source or member, a date that is not ISO 8601 with date and time, or the same
  `external_id` twice in one request ("Duplicated registrations found"). Registrations are upserted by
  (data_source, external_id), replacing the whole registration; members are created by
  (member_api_provider, member_api_id) and renamed by later posts.
- `GET /api/v2/registrations/?data_source=&reference=&page=`: a Django REST Framework style page envelope
  (`count`, `next`, `previous`, `results`), 404 "Invalid page." past the last page.
- `GET|DELETE /api/v2/registrations/<data_source>/<registration>/`.
- A registration's answer names its member as `{uuid, name, api_provider, api_id}`: the member api provider is
  the system that created the employee (`member_api_provider` of the POST that created it; "Plecto" for an
  employee made in the UI). It is what tells one integration's registrations from another's.
- `GET /api/v2/datasources/` (a bare list of `{uuid, title, fields}`) and `/api/v2/datasources/<uuid>/`. A field
  is `{"name", "input", "default_value"}` (the shape Bullhorn2Plecto sends).
- `POST /api/v2/datasources/` with `{"title", "fields": [...]}`: 201 with the new data source. Titles need not be
  unique (Plecto's UI allows twins), so a client that must not create twice has to look for the title first.
  Fields are fixed once created, as Plecto documents ("fields cannot be added or updated through the API"):
  PUT and PATCH on a data source answer 405.
- Field types: `TextInput` takes anything, `DecimalInput` a number (or numeric text), `CheckboxInput` (Yes/No)
  true or false; a registration that breaks one is rejected with a 400 naming the field. `TextInput` is the one
  name seen in third-party code; `DecimalInput` and `CheckboxInput` are this sandbox's (and the connector's)
  unverified names.
- The published limit: `requests_per_hour` per user on /registrations and on the other endpoints, answered
  with 429 and Retry-After. The window is a constructor argument so tests can shrink it.

Switches for what the docs leave open (constructor arguments, attributes, and the admin action `switches`):
- `unknown_fields="keep"|"drop"`: a registration key that names no field of its data source is stored and
  shown again (`keep`, the default), or silently dropped (`drop`). Plecto does not say which it does.
- `show_fields=True|False`: data-source answers carry their `fields` list, or leave it out (Plecto's answer
  format for fields is only partly documented).
- `show_member_provider=True|False`: a registration's member carries its `api_provider` and `api_id`, or only
  `uuid` and `name` (what Plecto's answer holds is not documented).

Seeded data: four data sources (Transactions, Accounts, Items, Sales); "Sales" holds `legacy-1`..`legacy-5`,
registrations of another integration (member api provider `Legacy CRM`), which the connector must never delete.

Test helpers: `registrations(data_source)`, `insert_registration(...)` (with a `member` UUID, or as another
integration: `provider=`, `api_id=`, `name=`), `add_data_source(...)`, `data_sources_titled(title)`,
`die_after_posts(n)` (the emulator stops answering anything once n more registration POSTs succeeded).

Admin API (`POST /__sandbox/<action>`, JSON body; besides `calls`, `faults`, `reset` of every emulator):
- `registrations` `{"data_source"}`: the stored registrations of a data source.
- `insert-registration` `{"data_source", "external_id", "provider", "api_id"?, "name"?, "date"?, "fields"?}`: store a
  registration as another integration would (its member found or created by provider and api id).
- `die-after-posts` `{"count"}`; `switches` `{"unknown_fields"?, "show_fields"?, "show_member_provider"?}`.
"""

from __future__ import annotations

import base64
import math
import re
import threading
import uuid
from typing import Any
from urllib.parse import urlencode

from sandbox import seed
from sandbox.core import Emulator, Request, Response, SlidingWindowLimit, route

API = "/api/v2"
USERNAME = "sandbox-integration@example.com"
PASSWORD = "sandbox-password"
PROVIDER = "Airbyte"
OTHER_PROVIDER = "Legacy CRM"  # the integration that wrote the seeded Sales registrations
MAX_BULK = 100

# ISO 8601 with both date and time; the offset is optional (UTC assumed), as the Plecto docs say.
ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$"
)
MEMBER_KEYS = ("member_api_provider", "member_api_id", "member_name")
RESERVED = {"id", "data_source", "external_id", "member", "date", "team", *MEMBER_KEYS}  # not custom fields
INPUTS = ("TextInput", "DecimalInput", "CheckboxInput")  # the field types a data source can be created with
UNKNOWN_FIELDS = ("keep", "drop")


def _is_decimal(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _json_body(request: Request) -> tuple[Any, Response | None]:
    """The request's JSON body, or the 400 that answers a body that is not JSON."""
    try:
        return request.json(), None
    except ValueError:
        return None, Response(400, {"message": "JSON parse error"})


def _hex_uuid(r: Any) -> str:
    return uuid.UUID(seed.det_uuid(r)).hex  # Plecto shows UUIDs as 32 hex digits without dashes


class PlectoEmulator(Emulator):
    name = "plecto"

    def __init__(
        self,
        size: str | int = "small",
        seed: int = 42,
        requests_per_hour: int = 3600,
        window_seconds: float = 3600.0,
        page_size: int = 100,
        unknown_fields: str = "keep",
        show_fields: bool = True,
        show_member_provider: bool = True,
    ) -> None:
        super().__init__()
        self.size = size
        self.seed = seed
        self._switches = {"unknown_fields": unknown_fields, "show_fields": show_fields,
                          "show_member_provider": show_member_provider}
        self.set_switches(**self._switches)
        self.scale = size if isinstance(size, int) else _SIZES[size]
        self.page_size = page_size
        self.registrations_limit = SlidingWindowLimit(requests_per_hour, window_seconds)
        self.default_limit = SlidingWindowLimit(requests_per_hour, window_seconds)
        self._lock = threading.RLock()
        self._posts_until_death: int | None = None
        self.dead = False
        self._seed_data()

    # ---- seeded data --------------------------------------------------------------------------------
    def _seed_data(self) -> None:
        r = seed.rng(self.seed, "plecto")
        self.data_sources: dict[str, dict[str, Any]] = {}
        # Typed fields as data sources define them in the UI: a decimal field refuses text that is not a number.
        # Accounts and Transactions have the fields destination-plecto's example config maps (examples/config.json).
        typed = {"Transactions": {"amount": "DecimalInput"}, "Accounts": {"name": "TextInput", "balance": "DecimalInput"},
                 "Sales": {"Value": "DecimalInput"}}
        for title in ("Transactions", "Accounts", "Items", "Sales"):
            self.add_data_source(title, uuid_=_hex_uuid(r), fields=typed.get(title))
        self.members: dict[str, dict[str, Any]] = {}  # uuid -> member
        for i in range(3 * self.scale):
            member_uuid = _hex_uuid(r)
            self.members[member_uuid] = {
                "uuid": member_uuid,
                "name": f"Employee {i + 1}",
                "api_provider": "Plecto",
                "api_id": None,
            }
        self._registrations: dict[tuple[str, str], dict[str, Any]] = {}
        # "Sales" holds registrations sent by another integration: an overwrite sync must leave them alone.
        sales = self.data_source_uuid("Sales")
        for i in range(5 * self.scale):
            self.insert_registration(
                sales, f"legacy-{i + 1}", provider=OTHER_PROVIDER, api_id="sales-team", name="Sales team",
                date=seed.past(r, 90).strftime("%Y-%m-%dT%H:%M:%S+00:00"), fields={"Value": r.randint(1, 500)},
            )

    def data_source_uuid(self, title: str) -> str:
        return next(u for u, ds in self.data_sources.items() if ds["title"] == title)

    def data_sources_titled(self, title: str) -> list[dict[str, Any]]:
        with self._lock:
            return [ds for ds in self.data_sources.values() if ds["title"] == title]

    def add_data_source(self, title: str, uuid_: str | None = None, fields: dict[str, str] | None = None) -> str:
        """`fields`: name -> input type (one of INPUTS)."""
        uuid_ = uuid_ or uuid.uuid4().hex
        with self._lock:
            self.data_sources[uuid_] = {
                "uuid": uuid_,
                "title": title,
                "fields": [{"name": n, "input": t, "default_value": ""} for n, t in (fields or {}).items()],
            }
        return uuid_

    def connector_config(self) -> dict[str, Any]:
        return {
            "username": USERNAME,
            "password": PASSWORD,
            "base_url": f"{self.url}{API}",
            "member_api_provider": PROVIDER,
            "streams": [{"stream": "transactions", "data_source": self.data_source_uuid("Transactions")}],
        }

    def set_switches(self, unknown_fields: str | None = None, show_fields: bool | None = None,
                     show_member_provider: bool | None = None) -> dict[str, Any]:
        """Change the switches given; returns them all."""
        if unknown_fields is not None:
            if unknown_fields not in UNKNOWN_FIELDS:
                raise ValueError(f"unknown_fields must be one of {UNKNOWN_FIELDS}, not {unknown_fields!r}")
            self.unknown_fields = unknown_fields
        if show_fields is not None:
            self.show_fields = bool(show_fields)
        if show_member_provider is not None:
            self.show_member_provider = bool(show_member_provider)
        return {"unknown_fields": self.unknown_fields, "show_fields": self.show_fields,
                "show_member_provider": self.show_member_provider}

    def reset(self) -> None:
        super().reset()
        self.set_switches(**self._switches)  # back to the constructor's
        with self._lock:
            self._posts_until_death = None
            self.dead = False
            self.registrations_limit.reset()
            self.default_limit.reset()
            self._seed_data()

    # ---- test helpers -------------------------------------------------------------------------------
    def registrations(self, data_source: str) -> list[dict[str, Any]]:
        """Stored registrations of one data source, in their API representation."""
        with self._lock:
            return [self._present(reg) for (ds, _), reg in self._registrations.items() if ds == data_source]

    def registration(self, data_source: str, external_id: str) -> dict[str, Any] | None:
        with self._lock:
            reg = self._registrations.get((data_source, external_id))
            return self._present(reg) if reg else None

    def insert_registration(
        self, data_source: str, external_id: str, member: str | None = None, date: str | None = None,
        fields: dict[str, Any] | None = None, *, provider: str | None = None, api_id: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Store a registration as another integration would: for an existing `member` UUID, or for the member of
        (`provider`, `api_id`), created with `name` when new (as a POST with member_api_* keys does)."""
        item: dict[str, Any] = {"data_source": data_source, "external_id": external_id,
                                **({"date": date} if date else {}), **(fields or {})}
        with self._lock:
            if member is None:
                if provider is None:
                    raise ValueError("insert_registration needs a member UUID or a provider")
                api_id = api_id or provider
                member = self._member_for({**item, "member_api_provider": provider, "member_api_id": api_id,
                                           "member_name": name or api_id})
            return self._upsert({**item, "member": member}, member)

    def die_after_posts(self, count: int) -> None:
        """Stop answering (every connection dropped) once `count` more registration POSTs succeeded."""
        with self._lock:
            self._posts_until_death = count
            self.dead = count <= 0

    def admin(self, action: str, payload: Any) -> Any:
        if action == "registrations":
            return self.registrations(payload["data_source"])
        if action == "insert-registration":
            fields = payload.get("fields") or {}
            stored = self.insert_registration(
                payload["data_source"], str(payload["external_id"]), date=payload.get("date"), fields=fields,
                provider=payload["provider"], api_id=payload.get("api_id"), name=payload.get("name"))
            return self._present(stored)
        if action == "die-after-posts":
            self.die_after_posts(int(payload["count"]))
            return {"ok": True}
        if action == "switches":
            return self.set_switches(**payload)
        raise KeyError(action)

    # ---- auth and limits ----------------------------------------------------------------------------
    def _answer(self, request: Request) -> Response | None:
        if self.dead:
            return None  # a killed server: the connection closes without an answer
        return super()._answer(request)

    def before_route(self, request: Request) -> Response | None:
        if not self._authenticated(request):
            return Response(401, {"detail": "Invalid username/password."},
                            {"WWW-Authenticate": 'Basic realm="api"'})
        limit = self.registrations_limit if request.path.startswith(f"{API}/registrations") else self.default_limit
        wait = limit.hit(USERNAME)
        if wait is not None:
            return Response(429, {"detail": "Request was throttled."}, {"Retry-After": str(max(1, math.ceil(wait)))})
        return None

    @staticmethod
    def _authenticated(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return False
        return user == USERNAME and password == PASSWORD

    # ---- registrations ------------------------------------------------------------------------------
    @route("POST", rf"{API}/registrations/?")
    def post_registrations(self, request: Request) -> Response:
        body, unreadable = _json_body(request)
        if unreadable:
            return unreadable
        bulk = isinstance(body, list)
        items = body if bulk else [body]
        if bulk and len(items) > MAX_BULK:
            return Response(400, {"message": f"You can send at most {MAX_BULK} registrations per request, got {len(items)}."})
        with self._lock:
            seen: set[tuple[str, str]] = set()
            members: list[str] = []
            for index, item in enumerate(items):
                error = self._validate(item)
                if error:
                    return Response(400, {"message": error, "index": index,
                                          "external_id": item.get("external_id") if isinstance(item, dict) else None})
                key = (item["data_source"], str(item["external_id"]))
                if key in seen:
                    return Response(400, {"message": "Duplicated registrations found", "id": key[1]})
                seen.add(key)
                members.append(self._member_for(item))
            stored = [self._upsert(item, member) for item, member in zip(items, members)]
            if self._posts_until_death is not None:
                self._posts_until_death -= 1
                if self._posts_until_death <= 0:
                    self.dead = True
        result = [{"id": reg["id"], "external_id": reg["external_id"], "created": reg["_created"]} for reg in stored]
        return Response(201, result if bulk else result[0])

    def _validate(self, item: Any) -> str | None:
        if not isinstance(item, dict):
            return "Each registration must be a JSON object."
        missing = [k for k in ("data_source", "external_id") if item.get(k) in (None, "")]
        if missing:
            return f"Missing mandatory key(s): {', '.join(missing)}."
        if item["data_source"] not in self.data_sources:
            return f"Data source {item['data_source']} does not exist."
        if not isinstance(item["external_id"], (str, int)):
            return "external_id must be a string or a number."
        if item.get("member"):
            if item["member"] not in self.members:
                return f"Member {item['member']} does not exist."
        elif any(item.get(k) in (None, "") for k in MEMBER_KEYS):
            return "Either member or member_api_provider, member_api_id and member_name are required."
        for spec in self.data_sources[item["data_source"]]["fields"]:
            value = item.get(spec["name"])
            if value in (None, ""):
                continue
            if spec["input"] == "DecimalInput" and not _is_decimal(value):
                return f"Field {spec['name']!r} expects a decimal number, got {value!r}."
            if spec["input"] == "CheckboxInput" and not isinstance(value, bool):
                return f"Field {spec['name']!r} expects true or false, got {value!r}."
        date = item.get("date")
        if date is not None and (not isinstance(date, str) or not ISO_DATETIME.match(date)):
            return f"Invalid date {date!r}: use ISO 8601 with date and time, e.g. 2018-12-31T22:33:44+00:00."
        return None

    def _member_for(self, item: dict[str, Any]) -> str:
        if item.get("member"):
            return item["member"]
        provider, api_id, name = (str(item[k]) for k in MEMBER_KEYS)
        for member in self.members.values():
            if member["api_provider"] == provider and member["api_id"] == api_id:
                member["name"] = name
                return member["uuid"]
        member_uuid = uuid.uuid4().hex
        self.members[member_uuid] = {"uuid": member_uuid, "name": name, "api_provider": provider, "api_id": api_id}
        return member_uuid

    def _upsert(self, item: dict[str, Any], member: str) -> dict[str, Any]:
        key = (item["data_source"], str(item["external_id"]))
        now = seed.now_utc().strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
        previous = self._registrations.get(key)
        reg = {
            "id": previous["id"] if previous else uuid.uuid4().hex,
            "data_source": key[0],
            "external_id": key[1],
            "member": member,
            "date": item.get("date") or (previous["date"] if previous else now),
            "created": previous["created"] if previous else now,
            "modified": now,
            "fields": {k: v for k, v in item.items() if k not in RESERVED and self._keeps(key[0], k)},
            "_created": previous is None,
        }
        self._registrations[key] = reg
        return reg

    def _keeps(self, data_source: str, key: str) -> bool:
        """Whether a registration key is stored: always under `keep`, only for a field of the data source under `drop`."""
        if self.unknown_fields == "keep":
            return True
        return any(spec["name"] == key for spec in self.data_sources[data_source]["fields"])

    def _present(self, reg: dict[str, Any]) -> dict[str, Any]:
        member = self.members[reg["member"]]
        shown = {"uuid": member["uuid"], "name": member["name"]}
        if self.show_member_provider:
            shown.update(api_provider=member["api_provider"], api_id=member["api_id"])
        return {
            **reg["fields"],
            "id": reg["id"],
            "data_source": reg["data_source"],
            "external_id": reg["external_id"],
            "member": shown,
            "date": reg["date"],
            "created": reg["created"],
            "modified": reg["modified"],
        }

    @route("GET", rf"{API}/registrations/?")
    def list_registrations(self, request: Request) -> Response:
        data_source = request.arg("data_source")
        reference = request.arg("reference")
        with self._lock:
            regs = [self._present(reg) for (ds, ext), reg in self._registrations.items()
                    if (data_source is None or ds == data_source) and (reference is None or ext == reference)]
        try:
            page = int(request.arg("page", "1") or "1")
        except ValueError:
            return Response(404, {"detail": "Invalid page."})
        pages = max(1, math.ceil(len(regs) / self.page_size))
        if page < 1 or page > pages:
            return Response(404, {"detail": "Invalid page."})

        def link(n: int) -> str | None:
            if n < 1 or n > pages:
                return None
            query = {k: v[0] for k, v in request.query.items()}
            query["page"] = str(n)
            return f"{self.url}{request.path}?{urlencode(query)}"

        start = (page - 1) * self.page_size
        return Response(200, {"count": len(regs), "next": link(page + 1), "previous": link(page - 1),
                              "results": regs[start:start + self.page_size]})

    @route("GET", rf"{API}/registrations/(?P<ds>[0-9a-fA-F-]+)/(?P<reg>[0-9a-fA-F-]+)/?")
    def get_registration(self, request: Request) -> Response:
        found = self._find(request.match["ds"], request.match["reg"])
        return Response(200, self._present(found)) if found else Response(404, {"detail": "Not found."})

    @route("DELETE", rf"{API}/registrations/(?P<ds>[0-9a-fA-F-]+)/(?P<reg>[0-9a-fA-F-]+)/?")
    def delete_registration(self, request: Request) -> Response:
        with self._lock:
            found = self._find(request.match["ds"], request.match["reg"])
            if not found:
                return Response(404, {"detail": "Not found."})
            del self._registrations[(found["data_source"], found["external_id"])]
        return Response(204)

    def _find(self, data_source: str, registration: str) -> dict[str, Any] | None:
        with self._lock:
            return next((reg for (ds, _), reg in self._registrations.items()
                         if ds == data_source and reg["id"] == registration), None)

    # ---- data sources -------------------------------------------------------------------------------
    @route("GET", rf"{API}/datasources/?")
    def list_data_sources(self, request: Request) -> Response:
        with self._lock:
            return Response(200, [self._present_data_source(ds) for ds in self.data_sources.values()])

    @route("GET", rf"{API}/datasources/(?P<uuid>[0-9a-zA-Z-]+)/?")
    def get_data_source(self, request: Request) -> Response:
        found = self.data_sources.get(request.match["uuid"])
        return Response(200, self._present_data_source(found)) if found else Response(404, {"detail": "Not found."})

    @route("POST", rf"{API}/datasources/?")
    def create_data_source(self, request: Request) -> Response:
        body, unreadable = _json_body(request)
        if unreadable:
            return unreadable
        if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"].strip():
            return Response(400, {"message": "title: this field is required."})
        fields = body.get("fields") or []
        error = self._invalid_field_list(fields)
        if error:
            return Response(400, {"message": error})
        uuid_ = self.add_data_source(body["title"], fields={f["name"]: f.get("input", "TextInput") for f in fields})
        return Response(201, self._present_data_source(self.data_sources[uuid_]))

    @route("PUT", rf"{API}/datasources/(?P<uuid>[0-9a-zA-Z-]+)/?")
    @route("PATCH", rf"{API}/datasources/(?P<uuid>[0-9a-zA-Z-]+)/?")
    def update_data_source(self, request: Request) -> Response:
        return Response(405, {"detail": f'Method "{request.method}" not allowed.'})  # fields are fixed once created

    @staticmethod
    def _invalid_field_list(fields: Any) -> str | None:
        if not isinstance(fields, list):
            return "fields: expected a list of fields."
        names: set[str] = set()
        for index, spec in enumerate(fields):
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"].strip():
                return f"fields[{index}]: each field needs a name."
            if spec["name"] in names:
                return f"fields[{index}]: the name {spec['name']!r} is used twice."
            if spec.get("input", "TextInput") not in INPUTS:
                return f"fields[{index}]: unknown input {spec.get('input')!r}; use one of {', '.join(INPUTS)}."
            names.add(spec["name"])
        return None

    def _present_data_source(self, data_source: dict[str, Any]) -> dict[str, Any]:
        if self.show_fields:
            return data_source
        return {k: v for k, v in data_source.items() if k != "fields"}


_SIZES = seed.SIZES
