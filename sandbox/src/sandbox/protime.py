"""Emulator of the myProtime "Protime API" connector API (shared/research/vendor-apis.md §3).

What it reproduces, including the unpleasant parts:
- OAuth client credentials at `/tenants/<tenant>/connect/token` (form-encoded, space-separated `scope`);
  30-minute opaque tokens; a token only carries the requested scopes the client was granted
  (`granted_scopes`), so a collection whose scope is missing answers 403 with the error body.
- Collections under `/connector/protimeapi/api/v1/<collection>` with `{"value": [...], "nextLink": "..."}`
  pages of a small server-chosen size (`page_size`); the second page of every multi-page list is EMPTY but
  still carries a `nextLink`; a bad `continuationToken` answers 409.
- The filter grammar subset `eq`, `ge`, `le`, `in (..)`, joined by `and`; date-filtered collections
  (clockings, absences, paid-presences) answer 400 without a `date ge`/`date le` pair or when the window
  spans more than one year. URIs over 4096 characters answer 414.
- Delta: `&delta` on a list starts a delta (one active delta per collection: starting a new one retires the
  old link), the last page carries a `deltaLink`; `GET /delta/<collection>?deltaToken=..` returns
  `InsertOrUpdate`/`Delete` changes since the link was issued (one entry per change, so an id may appear
  twice) and a fresh `deltaLink`. A link unused for `delta_ttl_seconds` (72 h) answers 410 Gone.
- External references on read: `externalReferences=(people,@badge-number)(people,HRMID)` adds an
  `externalReferences` map to each referenced object (`person`, `shiftDefinition`, ...).
- `changeVersion` is one global, monotonically increasing, fixed-width hex string (string comparison works).

Tests drive it in-process: `insert`, `update`, `delete` (and the clocking shortcuts), `expire_tokens`,
`expire_deltas`, `granted_scopes`, the call log and `user_agents`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox import seed
from sandbox.core import Emulator, Request, Response, SlidingWindowLimit, route

API = "/connector/protimeapi/api/v1"
TENANT = "sandbox"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"

# collection -> the scope name (connector-protimeapi-<scope>.read); paid presences sit under calculated totals.
SCOPES = {
    "people": "people",
    "clockings": "clockings",
    "absences": "absences",
    "absence-definitions": "absence-definitions",
    "contracts": "contracts",
    "paid-presences": "calculated-totals",
    "shift-definitions": "shift-definitions",
    "departments": "departments",
    "break-definitions": "break-definitions",
    "employers": "employers",
    "job-categories": "job-categories",
}
DATE_FILTERED = {"clockings", "absences", "paid-presences"}
DELTA_COLLECTIONS = {"clockings", "people", "contracts", "absence-definitions", "break-definitions"}
# field of a record -> the collection it references (for external references)
REFERENCE_FIELDS = {
    "person": "people",
    "shiftDefinition": "shift-definitions",
    "resultingAbsenceDefinition": "absence-definitions",
    "requestedAbsenceDefinition": "absence-definitions",
    "department": "departments",
    "employer": "employers",
    "jobCategory": "job-categories",
}
# predefined references: collection -> {reference: field of the referenced record}
PREDEFINED_REFERENCES = {
    "people": {"@badge-number": "badgeNumber", "@employee-number": "employeeNumber"},
    "shift-definitions": {"@shift-code": "code"},
    "absence-definitions": {"@absence-code": "code"},
}
MAX_URI = 4096
FIRST_NAMES = ["Anna", "Bram", "Chloe", "Dries", "Eva", "Femke", "Gert", "Hanne", "Ilse", "Jens", "Katrien", "Lars"]
LAST_NAMES = ["Peeters", "Janssens", "Maes", "Jacobs", "Willems", "Claes", "Goossens", "Wouters", "Mertens", "Dubois"]


def scope_of(collection: str) -> str:
    return f"connector-protimeapi-{SCOPES[collection]}.read"


def _b64(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(token: str) -> dict[str, Any]:
    padded = token + "=" * (-len(token) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


def _error(status: int, code: str, message: str, reasons: list[str] | None = None) -> Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if reasons:
        body["error"]["reasons"] = reasons
    return Response(status, body)


class FilterError(ValueError):
    pass


_CLAUSE = re.compile(r"^\s*([A-Za-z][\w.]*)\s+(eq|ge|le)\s+('(?:[^']*)'|-?\d+|true|false)\s*$")
_IN_CLAUSE = re.compile(r"^\s*([A-Za-z][\w.]*)\s+in\s+\(([^()]*)\)\s*$")


def parse_filter(expression: str) -> list[tuple[str, str, Any]]:
    """`date ge '2024-01-01' and person.id in (1,2)` -> [(field, op, value)]; no `or`, as documented."""
    clauses = []
    for part in re.split(r"\s+and\s+", expression.strip()):
        if match := _CLAUSE.match(part):
            field, op, raw = match.groups()
            clauses.append((field, op, _literal(raw)))
        elif match := _IN_CLAUSE.match(part):
            field, raw = match.groups()
            clauses.append((field, "in", [_literal(v.strip()) for v in raw.split(",") if v.strip()]))
        else:
            raise FilterError(f"Unsupported filter clause: {part.strip()!r}")
    return clauses


def _literal(raw: str) -> Any:
    if raw.startswith("'"):
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    return int(raw)


def _get(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def matches(record: dict[str, Any], clauses: list[tuple[str, str, Any]]) -> bool:
    for field, op, expected in clauses:
        actual = _get(record, field)
        if actual is None:
            return False
        if op == "eq" and actual != expected:
            return False
        if op == "ge" and actual < expected:
            return False
        if op == "le" and actual > expected:
            return False
        if op == "in" and actual not in expected:
            return False
    return True


_REFERENCE_PAIR = re.compile(r"\(([^(),]+),([^(),]+)\)")


def parse_external_references(raw: str) -> list[tuple[str, str]]:
    pairs = _REFERENCE_PAIR.findall(raw)
    if not pairs or "".join(f"({c},{r})" for c, r in pairs) != raw:
        raise FilterError(f"Malformed externalReferences parameter: {raw!r}")
    return pairs


class ProtimeEmulator(Emulator):
    name = "protime"

    def __init__(
        self,
        size: str | int = "small",
        seed: int = 42,
        page_size: int = 25,
        token_lifetime_seconds: int = 1800,
        delta_ttl_seconds: float = 72 * 3600,
        rate_limit_per_minute: int | None = None,
        tenant: str = TENANT,
        cache_selections: bool = False,
    ) -> None:
        """`cache_selections` (a bench knob, off by default): keep each list query's matching records and each delta
        read's changes until the data changes through this object's methods, so a page costs the same however
        large the collection (leave it off when a test edits `data` in place)."""
        super().__init__()
        self.cache_selections = cache_selections
        self._selections: dict[tuple, list[dict[str, Any]]] = {}  # (collection, filter) or delta read -> records
        self.scale = size if isinstance(size, int) else seed_sizes(size)
        self.seed = seed
        self.page_size = page_size
        self.token_lifetime_seconds = token_lifetime_seconds
        self.delta_ttl_seconds = delta_ttl_seconds
        self.tenant = tenant
        self.rate_limit = SlidingWindowLimit(rate_limit_per_minute, 60) if rate_limit_per_minute else None
        self.granted_scopes: set[str] = {scope_of(c) for c in SCOPES}
        self.user_agents: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self._lock = threading.RLock()
        self._seed_data()

    # ---- data ------------------------------------------------------------------------------------------
    def _seed_data(self) -> None:
        with self._lock:
            self._seq = 0
            self._selections.clear()
            self.data: dict[str, dict[int, dict[str, Any]]] = {c: {} for c in SCOPES}
            self.changes: list[dict[str, Any]] = []  # {seq, collection, changeType, id, data}
            self.deltas: dict[str, dict[str, Any]] = {}
            self.active_delta: dict[str, str] = {}
            self.custom_references: dict[tuple[str, str], dict[int, str]] = {("people", "HRMID"): {}}
            self._tokens: dict[str, tuple[float, set[str]]] = {}
            self._next_id = 100_000
            r = seed.rng(self.seed, "protime")
            self._seed_catalogues(r)
            self._seed_people(r)
            self._seed_time_data(r)

    def _catalogue(self, collection: str, names: list[str], prefix: str, r: Any, **extra: Any) -> None:
        for i, name in enumerate(names):
            record = {
                "id": 10 + i,
                "name": {"default": name, "translations": {"nl": f"{name} (nl)", "fr": f"{name} (fr)"}},
                "code": f"{prefix}{i + 1:02d}",
                "isEnabled": r.random() > 0.1,
            }
            for key, make in extra.items():
                record[key] = make(i)
            self._store(collection, record)

    def _seed_catalogues(self, r: Any) -> None:
        self._catalogue("departments", ["Production", "Logistics", "Finance", "Sales"], "DEP", r)
        self._catalogue("employers", ["Protime Demo NV", "Protime Demo BV"], "EMP", r)
        self._catalogue("job-categories", ["Operator", "Driver", "Clerk", "Manager"], "JOB", r)
        self._catalogue("shift-definitions", ["Early", "Late", "Night", "Day", "Weekend"], "SH", r,
                        startTimeInMinutes=lambda i: [360, 840, 1320, 480, 540][i],
                        durationInMinutes=lambda i: 480)
        self._catalogue("break-definitions", ["Lunch", "Coffee", "Night break"], "BR", r,
                        durationInMinutes=lambda i: [30, 15, 30][i])
        self._catalogue("absence-definitions", ["Holiday", "Sick", "Training", "Parental leave", "Overtime", "Other"],
                        "AB", r,
                        friendlyName=lambda i: f"Absence {i + 1}", friendlyCode=lambda i: f"A{i + 1}",
                        allowedDurations=lambda i: ["FullDay", "HalfDay"],
                        isReasonForClocking=lambda i: i == 4,
                        absenceGroup=lambda i: {"id": 1 + i % 2})

    def _seed_people(self, r: Any) -> None:
        for i in range(8 * self.scale):
            pid = 1001 + i
            in_service = seed.ORIGIN.date() - timedelta(days=r.randint(400, 3000))
            person = {
                "id": pid,
                "firstName": FIRST_NAMES[i % len(FIRST_NAMES)],
                "lastName": LAST_NAMES[r.randrange(len(LAST_NAMES))],
                "email": f"person{pid}@example.com",
                "employeeNumber": f"E{pid:06d}",
                "badgeNumber": str(6_000_000 + pid),
                "inServiceDate": in_service.isoformat(),
                "outOfServiceDate": None,
                "terminalGroup": {"id": 1 + i % 3},
                "department": {"id": 10 + i % 4},
                "employer": {"id": 10 + i % 2},
                "jobCategory": {"id": 10 + i % 4},
                "hourlyRate": round(14 + r.random() * 20, 2),
            }
            self._store("people", person)
            self.custom_references[("people", "HRMID")][pid] = f"HR/{pid}"
            self._store("contracts", {
                "id": 5000 + i,
                "person": {"id": pid},
                "code": f"C{pid}",
                "from": in_service.isoformat(),
                "until": None,
                "contractHoursInMinutes": 2280,
                "fullTimeEquivalentInMinutes": 2280,
                "contractPercentage": 100.0,
                "kind": "Contract",
                "parentContract": None,
            })

    def _seed_time_data(self, r: Any) -> None:
        people = sorted(self.data["people"])
        days = [seed.ORIGIN.date() - timedelta(days=d) for d in range(1, 10) if
                (seed.ORIGIN.date() - timedelta(days=d)).weekday() < 5]
        clocking_id = 39_577_000
        for pid in people:
            for day in days:
                shift = 10 + r.randrange(5)
                start = 420 + r.randint(0, 90)
                for kind_offset in (0, 480 + r.randint(0, 60)):
                    clocking_id += 1
                    self._store("clockings", self._clocking(clocking_id, pid, day.isoformat(), start + kind_offset))
                self._store("paid-presences", {
                    "id": 700_000 + len(self.data["paid-presences"]),
                    "person": {"id": pid},
                    "date": day.isoformat(),
                    "durationInMinutes": 450 + r.randint(0, 60),
                    "shiftDefinition": {"id": shift},
                })
        # absences: two per person, in December and January (two yearly windows from a 2025-01-01 start)
        for n, pid in enumerate(people):
            for day in (seed.ORIGIN.date() - timedelta(days=20 + n), seed.ORIGIN.date() + timedelta(days=10 + n)):
                definition = 10 + r.randrange(6)
                self._store("absences", {
                    "id": 800_000 + len(self.data["absences"]),
                    "person": {"id": pid},
                    "resultingAbsenceDefinition": {"id": definition},
                    "requestedAbsenceDefinition": {"id": definition},
                    "shiftDefinition": {"id": 10 + r.randrange(5)},
                    "date": day.isoformat(),
                    "startTimeInMinutes": 480,
                    "durationInMinutes": 480,
                    "calculatedDurationInMinutes": 456,
                    "dayPart": "FullDay",
                    "request": {"id": f"{self.tenant}-{pid}-{n + 1}"},
                    "status": "Approved",
                    "approvalLevel": 1,
                    "isLocked": False,
                    "periodType": "Day",
                })

    @staticmethod
    def _clocking(cid: int, pid: int, day: str, minutes: int, kind: str = "InOut") -> dict[str, Any]:
        return {
            "id": cid,
            "person": {"id": pid},
            "date": day,
            "timeOfDayInMinutes": minutes,
            "originalTimeOfDayInMinutes": minutes,
            "calculatedTimeOfDayInMinutes": minutes,
            "isGenerated": False,
            "terminal": {"id": 1},
            "geolocation": None,
            "kind": kind,
            "reason": None,
            "isOpen": False,
            "activityLevels": [],
            "status": "Active",
        }

    def _bump(self) -> str:
        self._seq += 1
        return f"{self._seq:016X}"

    def _store(self, collection: str, record: dict[str, Any], change_type: str = "InsertOrUpdate") -> dict[str, Any]:
        with self._lock:
            record = dict(record)
            record["changeVersion"] = self._bump()
            self._selections.clear()
            self.data[collection][record["id"]] = record
            self.changes.append({"seq": self._seq, "collection": collection, "changeType": change_type,
                                 "id": record["id"], "data": dict(record)})
            return record

    # ---- mutations for tests and demos -----------------------------------------------------------------
    def insert(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if "id" not in record:
                self._next_id += 1
                record = {**record, "id": self._next_id}
            return self._store(collection, record)

    def update(self, collection: str, record_id: int, **changes: Any) -> dict[str, Any]:
        with self._lock:
            return self._store(collection, {**self.data[collection][record_id], **changes})

    def delete(self, collection: str, record_id: int) -> None:
        with self._lock:
            old = self.data[collection].pop(record_id)
            self._selections.clear()
            version = self._bump()
            self.changes.append({"seq": self._seq, "collection": collection, "changeType": "Delete",
                                 "id": record_id, "data": {"id": record_id, "changeVersion": version},
                                 "date": old.get("date")})

    def insert_clocking(self, person_id: int, day: str, minutes: int, kind: str = "InOut") -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            return self._store("clockings", self._clocking(40_000_000 + self._next_id, person_id, day, minutes, kind))

    def update_clocking(self, clocking_id: int, **changes: Any) -> dict[str, Any]:
        return self.update("clockings", clocking_id, **changes)

    def delete_clocking(self, clocking_id: int) -> None:
        self.delete("clockings", clocking_id)

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def expire_deltas(self) -> None:
        """Age every delta link past its 72 h lifetime (the next use answers 410)."""
        with self._lock:
            for delta in self.deltas.values():
                delta["last_used"] = time.time() - self.delta_ttl_seconds - 1

    def reset(self) -> None:
        super().reset()
        self.user_agents.clear()
        self.token_requests.clear()
        self.granted_scopes = {scope_of(c) for c in SCOPES}
        if self.rate_limit:
            self.rate_limit.reset()
        self._seed_data()

    def admin(self, action: str, payload: Any) -> Any:
        if action == "insert-clocking":
            return self.insert_clocking(**payload)
        if action == "update-clocking":
            return self.update_clocking(payload.pop("id"), **payload)
        if action == "delete-clocking":
            self.delete_clocking(payload["id"])
            return {"ok": True}
        if action == "expire-deltas":
            self.expire_deltas()
            return {"ok": True}
        raise KeyError(action)

    def connector_config(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "environment": "sandbox",
            "base_url": self.url,
            "token_url": f"{self.url}/tenants/{self.tenant}/connect/token",
            "start_date": "2025-01-01",
        }

    # ---- auth and limits -------------------------------------------------------------------------------
    @route("POST", r"/tenants/(?P<tenant>[^/]+)/connect/token")
    def token(self, request: Request) -> Response:
        form = request.form()
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if request.match["tenant"] != self.tenant:
            return Response(400, {"error": "invalid_request", "error_description": "unknown tenant"})
        if form.get("grant_type") != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Response(400, {"error": "invalid_client"})
        requested = set(form.get("scope", "").split())
        unknown = {s for s in requested if s not in {scope_of(c) for c in SCOPES}}
        if not requested or unknown:
            return Response(400, {"error": "invalid_scope", "error_description": " ".join(sorted(unknown))})
        granted = requested & self.granted_scopes
        token = "sbx-" + secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = (time.time() + self.token_lifetime_seconds, granted)
        return Response(200, {"access_token": token, "expires_in": self.token_lifetime_seconds,
                              "token_type": "Bearer", "scope": " ".join(sorted(granted))})

    def before_route(self, request: Request) -> Response | None:
        if not request.path.startswith(API + "/"):
            return None
        self.user_agents.append(request.headers.get("user-agent", ""))
        uri_length = len(request.path) + 1 + len(urlencode(request.query, doseq=True))
        if uri_length > MAX_URI:
            return _error(414, "UriTooLong", f"The request URI is {uri_length} characters long (max {MAX_URI}).")
        auth = request.headers.get("authorization", "")
        with self._lock:
            expires_at, scopes = self._tokens.get(auth[7:] if auth.startswith("Bearer ") else "", (0.0, set()))
        if expires_at < time.time():
            return _error(401, "Unauthorized", "The access token is missing, invalid or expired.")
        if self.rate_limit and (wait := self.rate_limit.hit(auth)) is not None:
            return Response(429, {"error": {"code": "TooManyRequests", "message": "Too many requests."}},
                            {"Retry-After": str(max(1, int(wait + 0.999)))})
        collection = request.path[len(API) + 1:].removeprefix("delta/").split("/")[0]
        if collection in SCOPES and scope_of(collection) not in scopes:
            return _error(403, "Forbidden", f"The access token lacks the scope {scope_of(collection)}.")
        return None

    # ---- reads -----------------------------------------------------------------------------------------
    def _window(self, collection: str, clauses: list[tuple[str, str, Any]], delta: bool) -> Response | None:
        lower = [v for f, op, v in clauses if f == "date" and op in ("ge", "eq")]
        upper = [v for f, op, v in clauses if f == "date" and op in ("le", "eq")]
        if not lower or (not upper and not delta):
            return _error(400, "BadRequest", "The request is invalid.",
                          [f"A date filter (date ge '..' and date le '..') is required on {collection}."])
        if upper:
            try:
                start, end = date.fromisoformat(lower[0]), date.fromisoformat(upper[0])
            except ValueError:
                return _error(400, "BadRequest", "The request is invalid.", ["Dates must be YYYY-MM-DD."])
            if end >= _add_year(start):
                return _error(400, "BadRequest", "The request is invalid.",
                              [f"The date range of {collection} can span at most one year."])
        return None

    def _references(self, raw: str | None) -> list[tuple[str, str]] | Response:
        if not raw:
            return []
        try:
            pairs = parse_external_references(raw)
        except FilterError as error:
            return _error(400, "BadRequest", "The request is invalid.", [str(error)])
        for collection, reference in pairs:
            known = PREDEFINED_REFERENCES.get(collection, {})
            if reference.startswith("@") and reference not in known:
                return _error(400, "BadRequest", "The request is invalid.",
                              [f"Unknown external reference {reference} for {collection}."])
            if not reference.startswith("@") and (collection, reference) not in self.custom_references:
                return _error(400, "BadRequest", "The request is invalid.",
                              [f"Unknown custom external reference {reference} for {collection}."])
        return pairs

    def _decorate(self, record: dict[str, Any], pairs: list[tuple[str, str]]) -> dict[str, Any]:
        if not pairs:
            return record
        record = json.loads(json.dumps(record))
        for field, target in REFERENCE_FIELDS.items():
            ref = record.get(field)
            if not isinstance(ref, dict) or "id" not in ref:
                continue
            values: dict[str, Any] = {}
            for collection, reference in pairs:
                if collection != target:
                    continue
                if reference.startswith("@"):
                    referenced = self.data[target].get(ref["id"], {})
                    values[reference] = referenced.get(PREDEFINED_REFERENCES[target][reference])
                else:
                    values[reference] = self.custom_references[(target, reference)].get(ref["id"])
            if values:
                ref["externalReferences"] = values
        return record

    def _page(self, request: Request, items: list[dict[str, Any]], pairs: list[tuple[str, str]],
              cont: dict[str, Any], last_extra: dict[str, Any]) -> Response:
        """One page of `items` from position cont['o']; the page after the first is empty (as the docs warn)."""
        offset = cont.get("o", 0)
        if cont.get("empty"):
            chunk: list[dict[str, Any]] = []
            next_offset = offset
        else:
            chunk = items[offset: offset + self.page_size]
            next_offset = offset + len(chunk)
        body: dict[str, Any] = {"value": [self._decorate(x, pairs) for x in chunk]}
        if next_offset < len(items):
            token = _b64({**cont, "o": next_offset, "empty": offset == 0 and not cont.get("empty")})
            query = {k: v for k, v in request.query.items() if k != "continuationToken"}
            body["nextLink"] = f"{request.path}?{urlencode(query, doseq=True)}&continuationToken={token}".replace("?&", "?")
        else:
            body.update(last_extra)
        return Response(200, body)

    def _continuation(self, request: Request) -> dict[str, Any] | Response:
        raw = request.arg("continuationToken")
        if raw is None:
            return {}
        try:
            cont = _unb64(raw)
            assert isinstance(cont.get("o"), int)
            return cont
        except Exception:
            return _error(409, "Conflict", "The continuation token is invalid or no longer valid.")

    @route("GET", API + r"/(?P<collection>[a-z-]+)")
    def list_collection(self, request: Request) -> Response:
        collection = request.match["collection"]
        if collection not in SCOPES:
            return _error(404, "NotFound", f"Unknown collection {collection}.")
        delta = "delta" in request.query
        if delta and collection not in DELTA_COLLECTIONS:
            return _error(400, "BadRequest", "The request is invalid.", [f"Delta is not supported on {collection}."])
        try:
            clauses = parse_filter(request.arg("filter")) if request.arg("filter") else []
        except FilterError as error:
            return _error(400, "BadRequest", "The request is invalid.", [str(error)])
        if collection in DATE_FILTERED and (bad := self._window(collection, clauses, delta)) is not None:
            return bad
        if delta and any(f.startswith("person") for f, _, _ in clauses):
            return _error(400, "BadRequest", "The request is invalid.", ["People cannot be used in the delta."])
        paging = self._paging_arguments(request)
        if isinstance(paging, Response):
            return paging
        pairs, cont = paging
        with self._lock:
            if delta and not cont:  # first page of a delta initial load: open a new delta for this collection
                delta_id = secrets.token_hex(8)
                lower = [v for f, op, v in clauses if f == "date" and op in ("ge", "eq")]
                self.deltas[delta_id] = {"collection": collection, "from": lower[0] if lower else None,
                                         "cursor": self._seq, "last_used": time.time()}
                self.active_delta[collection] = delta_id
                cont = {"delta": delta_id}
            items = self._cached(("list", collection, request.arg("filter")),
                                 lambda: [r for _, r in sorted(self.data[collection].items()) if matches(r, clauses)])
            last_extra: dict[str, Any] = {}
            if delta:
                info = self.deltas.get(cont.get("delta", ""))
                if info is None:
                    return _error(409, "Conflict", "The continuation token is invalid or no longer valid.")
                last_extra["deltaLink"] = self._delta_link(collection, cont["delta"], info["cursor"])
        return self._page(request, items, pairs, cont, last_extra)

    def _paging_arguments(self, request: Request) -> tuple[Any, dict[str, Any]] | Response:
        """The external-reference pairs and the continuation of a list or delta request, or the error to answer."""
        pairs = self._references(request.arg("externalReferences"))
        if isinstance(pairs, Response):
            return pairs
        cont = self._continuation(request)
        if isinstance(cont, Response):
            return cont
        return pairs, cont

    def _cached(self, key: tuple, work: Any) -> list[dict[str, Any]]:
        """`work()`, or with `cache_selections` its kept answer for `key` (the caller holds the lock)."""
        if not self.cache_selections:
            return work()
        if key not in self._selections:
            self._selections[key] = work()
        return self._selections[key]

    def _changes(self, collection: str, from_day: str | None, since: int, upto: int,
                 pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The delta entries of `collection` after change `since` up to `upto`, from `from_day` on."""
        entries = []
        for change in self.changes:
            if change["collection"] != collection or not since < change["seq"] <= upto:
                continue
            day = change["data"].get("date") or change.get("date")
            if from_day and day and day < from_day:
                continue
            entries.append(change)
        return [{"changeType": c["changeType"], "data": self._decorate(c["data"], pairs)} for c in entries]

    def _delta_link(self, collection: str, delta_id: str, cursor: int) -> str:
        token = _b64({"DeltaId": delta_id, "StartingCursor": cursor, "TimeStamp": int(time.time())})
        return f"{API}/delta/{collection}?deltaToken={token}"

    @route("GET", API + r"/delta/(?P<collection>[a-z-]+)")
    def read_delta(self, request: Request) -> Response:
        collection = request.match["collection"]
        try:
            token = _unb64(request.arg("deltaToken") or "")
            delta_id, since = token["DeltaId"], int(token["StartingCursor"])
        except Exception:
            return _error(400, "BadRequest", "The request is invalid.", ["The deltaToken is malformed."])
        paging = self._paging_arguments(request)
        if isinstance(paging, Response):
            return paging
        pairs, cont = paging
        with self._lock:
            info = self.deltas.get(delta_id)
            if (info is None or info["collection"] != collection or self.active_delta.get(collection) != delta_id
                    or time.time() - info["last_used"] > self.delta_ttl_seconds):
                return _error(410, "Gone", "The delta has expired; start a new delta with an initial load.")
            info["last_used"] = time.time()
            upto = cont.get("upto", self._seq)
            value = self._cached(("delta", collection, info["from"], since, upto, request.arg("externalReferences")),
                                 lambda: self._changes(collection, info["from"], since, upto, pairs))
            info["cursor"] = upto
        cont = {**cont, "upto": upto}
        offset = cont.get("o", 0)
        chunk = value[offset: offset + self.page_size]
        body: dict[str, Any] = {"value": chunk}
        if offset + len(chunk) < len(value):
            nxt = _b64({**cont, "o": offset + len(chunk)})
            body["nextLink"] = f"{API}/delta/{collection}?deltaToken={request.arg('deltaToken')}&continuationToken={nxt}"
        else:
            body["deltaLink"] = self._delta_link(collection, delta_id, upto)
        return Response(200, body)


def _add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def seed_sizes(size: str) -> int:
    return seed.SIZES[size]
