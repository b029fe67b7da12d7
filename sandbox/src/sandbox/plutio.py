"""Plutio API emulator (docs.plutio.com, see shared/research/vendor-apis.md §2).

What it reproduces, unpleasant parts included:
- OAuth2 client credentials at `POST /v1.x/oauth/token`, FORM-encoded only (a JSON body gets 400
  `invalid_request`, as community clients report); the answer uses camelCase `accessToken` /
  `accessTokenExpiresAt` (ISO datetime). Tokens live `token_lifetime_seconds` (72 h at the vendor).
- Every data call needs `Authorization: Bearer <token>` AND `Business: <subdomain>`; a missing or foreign
  business gets 403 with a message naming the Business header.
- Lists are bare JSON arrays paged with `skip`/`limit`; `limit` is silently capped at `max_limit` (the
  vendor's maximum is undocumented) and defaults to `default_limit` when absent.
- Filters: key=value pairs (dotted paths, array membership) and `q`, a URL-encoded MongoDB query of which
  the subset `$gte $lte $gt $lt $in $ne $eq $or $and` is understood (anything else: 400).
- 1000 calls per hour per client (token calls included), a sliding window; past it 429 with a JSON body and,
  like the vendor, no Retry-After unless `retry_after_seconds` (fixed) or `retry_after_from_window` is given.
- `comments` can only be listed with `entityType` + `entityId` (or `_id`).
- Records are schemaless documents with `_id` (Meteor-style), `createdAt`, and `updatedAt` on the main
  entities; the settings-like resources (`statuses`, `categories`, `custom-fields`) carry no `updatedAt`.
Records are served in insertion order (updates do not move them), as a Mongo natural-order scan would.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sandbox import seed as seeding
from sandbox.core import Emulator, Request, Response, SlidingWindowLimit, route

API_PREFIX = r"/v1\.(?:8|11)"
ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
PAGING_KEYS = {"skip", "limit", "q", "sort"}

# resource path -> records per unit of size ("small" = 1 unit); several exceed one page of 10 on purpose.
BASE_COUNTS = {
    "custom-fields": 5,
    "statuses": 4,
    "categories": 5,
    "file-folders": 3,
    "people": 23,
    "companies": 8,
    "projects": 12,
    "task-boards": 4,
    "task-groups": 9,
    "tasks": 31,
    "time-tracks": 27,
    "invoices": 14,
    "invoice-subscriptions": 3,
    "proposals": 5,
    "contracts": 4,
    "items": 11,
    "notes": 6,
    "events": 7,
    "forms": 3,
    "form-responses": 8,
    "files": 8,
}
WITHOUT_UPDATED_AT = {"statuses", "categories", "custom-fields"}
COMMENT_ENTITY_TYPES = {"task", "project", "invoice", "proposal", "contract", "conversation", "file"}


def _meteor_id(r: Any) -> str:
    return "".join(r.choice(ID_ALPHABET) for _ in range(17))


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _get_path(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(doc, dict):
            doc = doc.get(part)
        else:
            return None
    return doc


class QueryError(ValueError):
    pass


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Mongo compares within one type only; ISO strings are compared as dates (Plutio stores Dates)."""
    da, db = _parse_iso(a), _parse_iso(b)
    if da is not None and db is not None:
        return da, db
    if isinstance(a, bool) or isinstance(b, bool):
        return (a, b) if isinstance(a, bool) and isinstance(b, bool) else None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return None


def _equal(value: Any, wanted: Any) -> bool:
    if isinstance(value, list):
        return any(_equal(v, wanted) for v in value) or value == wanted
    pair = _comparable(value, wanted)
    return pair is not None and pair[0] == pair[1]


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$gte": lambda a, b: a >= b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$lt": lambda a, b: a < b,
}


def matches(doc: dict, query: Any) -> bool:
    """The `q` subset: field conditions, $or, $and, and the operators in _OPS plus $in, $ne, $eq."""
    if not isinstance(query, dict):
        raise QueryError("q must be a JSON object")
    for key, cond in query.items():
        if key in ("$or", "$and"):
            if not isinstance(cond, list) or not cond:
                raise QueryError(f"{key} needs a non-empty array")
            results = [matches(doc, sub) for sub in cond]
            if not (any(results) if key == "$or" else all(results)):
                return False
            continue
        if key.startswith("$"):
            raise QueryError(f"unsupported top-level operator {key}")
        value = _get_path(doc, key)
        if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
            for op, operand in cond.items():
                if op in _OPS:
                    pair = _comparable(value, operand)
                    if pair is None or not _OPS[op](*pair):
                        return False
                elif op == "$in":
                    if not isinstance(operand, list):
                        raise QueryError("$in needs an array")
                    if not any(_equal(value, o) for o in operand):
                        return False
                elif op == "$ne":
                    if _equal(value, operand):
                        return False
                elif op == "$eq":
                    if not _equal(value, operand):
                        return False
                else:
                    raise QueryError(f"unsupported operator {op} (the sandbox knows $gte $lte $gt $lt $in $ne $eq $or $and)")
        elif not _equal(value, cond):
            return False
    return True


def _plain_filter_matches(doc: dict, key: str, raw: str) -> bool:
    value = _get_path(doc, key)
    candidates = value if isinstance(value, list) else [value]
    for candidate in candidates:
        if isinstance(candidate, bool):
            if raw.lower() == str(candidate).lower():
                return True
        elif candidate is not None and str(candidate) == raw:
            return True
    return False


class PlutioEmulator(Emulator):
    name = "plutio"

    def __init__(
        self,
        size: str | int = "small",
        seed: int = 42,
        *,
        client_id: str = "sandbox-client-id",
        client_secret: str = "sandbox-client-secret",
        business: str = "sandbox",
        token_lifetime_seconds: float = 72 * 3600,
        requests_per_hour: int = 1000,
        window_seconds: float = 3600,
        max_limit: int = 100,
        default_limit: int = 100,
        retry_after_seconds: int | None = None,
        retry_after_from_window: bool = False,
        counts: dict[str, int] | None = None,
        cache_selections: bool = False,
    ) -> None:
        """Bench knobs (defaults leave the emulator as tests know it): `counts` seeds exactly this many records of
        the resources it names (the others follow `size`); `cache_selections` keeps each list query's matching
        records until the data changes through this object's methods, so a page costs the same however large the
        collection (leave it off when a test edits `data` in place)."""
        super().__init__()
        self.size = size
        self.seed = seed
        self.scale = seed_scale(size)
        self.counts = dict(counts or {})
        self.cache_selections = cache_selections
        self._selections: dict[tuple, list[dict]] = {}  # (resource, q, plain filters) -> matching records
        self.client_id = client_id
        self.client_secret = client_secret
        self.business = business
        self.token_lifetime_seconds = token_lifetime_seconds
        self.requests_per_hour = requests_per_hour
        self.rate_limit = SlidingWindowLimit(requests_per_hour, window_seconds)
        self.max_limit = max_limit
        self.default_limit = default_limit
        self.retry_after_seconds = retry_after_seconds
        self.retry_after_from_window = retry_after_from_window  # Retry-After = seconds until a slot frees
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, datetime]] = {}  # token -> (client_id, expires at)
        self.tokens_issued = 0
        self.data: dict[str, list[dict]] = {}
        self._build()

    # ---- seeded data -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.data = {}
        self._selections = {}
        self._id_rng = seeding.rng(self.seed, "plutio-live-ids")
        for resource, base in BASE_COUNTS.items():
            r = seeding.rng(self.seed, f"plutio:{resource}")
            count = self.counts.get(resource, base * self.scale)
            self.data[resource] = [self._record(resource, r, i) for i in range(count)]
        r = seeding.rng(self.seed, "plutio:comments")
        comments = []
        for task in self.data["tasks"]:
            for i in range(r.choice([0, 1, 1, 2, 3])):
                comment = self._record("comments", r, i)
                comment.update(entityType="task", entityId=task["_id"])
                comments.append(comment)
        self.data["comments"] = comments

    def _record(self, resource: str, r: Any, i: int) -> dict:
        created = seeding.past(r, 700)
        updated = created + timedelta(seconds=r.randint(0, 30 * 86400), milliseconds=r.randint(0, 999))
        updated = min(updated, seeding.ORIGIN - timedelta(milliseconds=1))
        doc: dict[str, Any] = {"_id": _meteor_id(r), "createdAt": seeding.iso_ms(created), "createdBy": "sandboxOwnerId001"}
        if resource not in WITHOUT_UPDATED_AT:
            doc["updatedAt"] = seeding.iso_ms(updated)
        doc.update(self._fields(resource, r, i, created))
        return doc

    def _ref(self, resource: str, r: Any) -> str | None:
        rows = self.data.get(resource) or []
        return r.choice(rows)["_id"] if rows else None

    def _fields(self, resource: str, r: Any, i: int, created: datetime) -> dict:
        first = r.choice(["Ana", "Leo", "Mia", "Tom", "Eva", "Noah", "Zoe", "Ivan"])
        last = r.choice(["Doe", "Silva", "Kim", "Novak", "Berg", "Rossi"])
        due = seeding.iso_ms(created + timedelta(days=r.randint(1, 90)))
        amount = round(r.uniform(50, 5000), 2)
        if resource == "people":
            return {"name": {"first": first, "last": last}, "role": r.choice(["client", "contributor", "lead"]),
                    "contactEmails": [{"address": f"{first.lower()}.{last.lower()}{i}@example.com", "type": "work"}],
                    "contactPhones": [{"number": f"+1555{r.randint(1000000, 9999999)}", "type": "mobile"}],
                    "address": {"street": f"{r.randint(1, 99)} Main St", "city": "Springfield", "country": "US", "zipCode": "12345"},
                    "customFields": [], "status": "active"}
        if resource == "companies":
            return {"title": f"{last} & Co {i}", "industry": r.choice(["design", "software", "retail"]),
                    "people": [{"_id": p, "isManager": r.random() < 0.3, "role": "client"} for p in [self._ref("people", r)] if p]}
        if resource == "projects":
            return {"name": f"Project {i}", "clients": [{"_id": self._ref("companies", r), "entityType": "company"}],
                    "contributors": [self._ref("people", r)], "budget": {"amount": amount}, "startDate": seeding.iso_ms(created),
                    "dueDate": due, "billingRate": r.choice([50, 75, 100]), "isBillable": r.random() < 0.7, "isArchived": False}
        if resource == "task-boards":
            return {"title": f"Board {i}", "projectId": self._ref("projects", r), "position": i}
        if resource == "task-groups":
            return {"title": f"Group {i}", "taskBoardId": self._ref("task-boards", r), "position": i}
        if resource == "tasks":
            return {"title": f"Task {i}", "descriptionHTML": f"<p>Do thing {i}</p>", "projectId": self._ref("projects", r),
                    "taskBoardId": self._ref("task-boards", r), "taskGroupId": self._ref("task-groups", r),
                    "assignedTo": [self._ref("people", r)], "status": r.choice(["incomplete", "completed", "overdue"]),
                    "startDate": seeding.iso_ms(created), "dueDate": due, "parentTaskId": None, "position": i}
        if resource == "time-tracks":
            minutes = r.randint(5, 480)
            return {"startedAt": seeding.iso_ms(created), "stoppedAt": seeding.iso_ms(created + timedelta(minutes=minutes)),
                    "time": minutes, "projectId": self._ref("projects", r), "taskId": self._ref("tasks", r),
                    "billingStatus": r.choice(["billable", "non-billable", "billed"]), "categoryId": self._ref("categories", r)}
        if resource == "invoices":
            return {"name": f"INV-{1000 + i}", "currency": "USD", "client": {"_id": self._ref("companies", r), "entityType": "company"},
                    "amount": amount, "subTotal": amount, "tax": [], "discount": 0, "issueDate": seeding.iso_ms(created),
                    "dueDate": due, "status": r.choice(["draft", "pending", "paid", "overdue"]),
                    "items": [{"title": "Consulting", "quantity": 1, "price": amount}]}
        if resource == "invoice-subscriptions":
            return {"repeat": {"intervalType": "month", "interval": 1}, "status": r.choice(["draft", "active", "paused"]),
                    "startDate": seeding.iso_ms(created), "upcomingInvoiceDate": due, "mainInvoiceId": self._ref("invoices", r)}
        if resource in ("proposals", "contracts"):
            return {"name": f"{resource[:-1].title()} {i}", "client": {"_id": self._ref("companies", r), "entityType": "company"},
                    "status": r.choice(["draft", "sent", "accepted", "declined"]), "projectId": self._ref("projects", r)}
        if resource == "items":
            return {"title": f"Item {i}", "descriptionHTML": "", "price": amount, "currency": "USD", "unit": "hour"}
        if resource == "notes":
            return {"title": f"Note {i}", "bodyHTML": f"<p>Note body {i}</p>", "projectId": self._ref("projects", r)}
        if resource == "events":
            return {"title": f"Meeting {i}", "startDate": due, "endDate": due, "allDay": r.random() < 0.2,
                    "attendees": [self._ref("people", r)]}
        if resource == "forms":
            return {"title": f"Form {i}", "status": "active", "fields": [{"_id": _meteor_id(r), "title": "Email", "inputType": "text"}]}
        if resource == "form-responses":
            return {"formId": self._ref("forms", r), "personId": self._ref("people", r), "values": [{"fieldId": "f1", "value": "yes"}]}
        if resource == "custom-fields":
            return {"title": f"Field {i}", "entityType": r.choice(["person", "company", "project"]),
                    "inputType": r.choice(["text", "select", "date", "currency"]), "options": []}
        if resource == "statuses":
            return {"title": ["To do", "Doing", "Review", "Done"][i % 4], "entityType": "task", "color": "#336699", "position": i}
        if resource == "categories":
            return {"title": f"Category {i}", "entityType": "time-track", "color": "#aa3366"}
        if resource == "file-folders":
            return {"title": f"Folder {i}", "parentFolderId": None}
        if resource == "files":
            return {"name": f"file{i}.pdf", "size": r.randint(1000, 900000), "mimeType": "application/pdf",
                    "folderId": self._ref("file-folders", r), "url": f"https://files.example.com/file{i}.pdf"}
        if resource == "comments":
            return {"bodyHTML": f"<p>Comment {i}</p>", "entityType": "task", "entityId": None}
        return {}

    # ---- public mutation API (tests, demo, admin) --------------------------------------------------------
    def now_iso(self) -> str:
        return seeding.iso_ms(seeding.now_utc())

    def insert(self, resource: str, **fields: Any) -> dict:
        with self._lock:
            stamp = self.now_iso()
            doc = {"_id": _meteor_id(self._id_rng), "createdAt": stamp, "createdBy": "sandboxOwnerId001"}
            if resource not in WITHOUT_UPDATED_AT:
                doc["updatedAt"] = stamp
            doc.update(fields)
            self.data.setdefault(resource, []).append(doc)
            self._selections.clear()
            return dict(doc)

    def update(self, resource: str, record_id: str, **fields: Any) -> dict:
        with self._lock:
            for doc in self.data[resource]:
                if doc["_id"] == record_id:
                    doc.update(fields)
                    if resource not in WITHOUT_UPDATED_AT:
                        doc["updatedAt"] = self.now_iso()
                    self._selections.clear()
                    return dict(doc)
        raise KeyError(record_id)

    def delete(self, resource: str, record_id: str) -> None:
        with self._lock:
            self.data[resource] = [d for d in self.data[resource] if d["_id"] != record_id]
            self._selections.clear()

    def records(self, resource: str) -> list[dict]:
        with self._lock:
            return [dict(d) for d in self.data.get(resource, [])]

    def connector_config(self) -> dict:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "business": self.business,
            "base_url": f"{self.url}/v1.8",
            "start_date": "2020-01-01T00:00:00Z",
        }

    # ---- hooks ------------------------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def reset(self) -> None:
        super().reset()
        self.expire_tokens()
        self.rate_limit.reset()
        self.tokens_issued = 0
        self._build()

    def admin(self, action: str, payload: Any) -> Any:
        if action == "insert":
            return self.insert(payload["resource"], **payload.get("fields", {}))
        if action == "update":
            return self.update(payload["resource"], payload["_id"], **payload.get("fields", {}))
        if action == "delete":
            self.delete(payload["resource"], payload["_id"])
            return {"ok": True}
        raise KeyError(action)

    def _limited(self, client: str) -> Response | None:
        wait = self.rate_limit.hit(client)
        if wait is None:
            return None
        headers = {"Retry-After": str(self.retry_after_seconds)} if self.retry_after_seconds is not None else {}
        if self.retry_after_from_window:
            headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        return Response(429, {"status": 429, "message": "Too Many Requests. Your API limits have been reached."}, headers)

    def before_route(self, request: Request) -> Response | None:
        if request.path.endswith("/oauth/token"):
            client = request.form().get("client_id", "") if request.body else ""
            return self._limited(f"client:{client}")
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or entry[1] <= seeding.now_utc():
            return Response(401, {"status": 401, "message": "Unauthorized. Access token is invalid or missing."})
        limited = self._limited(f"client:{entry[0]}")
        if limited is not None:
            return limited
        if request.headers.get("business") != self.business:
            return Response(403, {"status": 403, "message": "Forbidden. The Business header is missing or names a business "
                                                            "this API client cannot access."})
        return None

    # ---- routes -----------------------------------------------------------------------------------------
    @route("POST", API_PREFIX + r"/oauth/token")
    def token(self, request: Request) -> Response:
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return Response(400, {"error": "invalid_request", "message": "Invalid request: content must be application/x-www-form-urlencoded"})
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type", "message": "Invalid grant type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response(401, {"error": "invalid_client", "message": "Invalid client: client is invalid"})
        token = secrets.token_urlsafe(24)
        expires = seeding.now_utc() + timedelta(seconds=self.token_lifetime_seconds)
        with self._lock:
            self._tokens[token] = (self.client_id, expires)
            self.tokens_issued += 1
        return Response(200, {"accessToken": token, "accessTokenExpiresAt": seeding.iso_ms(expires),
                              "client": {"id": self.client_id, "businesses": [self.business], "grants": ["client_credentials"]}})

    @route("GET", API_PREFIX + r"/(?P<resource>[a-z-]+)")
    def list_resource(self, request: Request) -> Response:
        resource = request.match.group("resource")
        if resource not in self.data:
            return Response(404, {"status": 404, "message": f"Not found: /{resource}"})
        if resource == "comments" and not (request.arg("_id") or (request.arg("entityType") and request.arg("entityId"))):
            return Response(400, {"status": 400, "message": "comments can only be listed with _id or entityType and entityId"})
        try:
            skip = int(request.arg("skip", "0") or 0)
            limit = int(request.arg("limit", str(self.default_limit)) or self.default_limit)
        except ValueError:
            return Response(400, {"status": 400, "message": "skip and limit must be integers"})
        if skip < 0 or limit < 1:
            return Response(400, {"status": 400, "message": "skip must be >= 0 and limit >= 1"})
        limit = min(limit, self.max_limit)
        query = None
        if request.arg("q"):
            try:
                query = json.loads(request.arg("q") or "")
            except json.JSONDecodeError:
                return Response(400, {"status": 400, "message": "q must be valid JSON"})
        plain = {k: v[0] for k, v in request.query.items() if k not in PAGING_KEYS}
        try:
            selected = self._selected(resource, query, request.arg("q"), plain)
        except QueryError as exc:
            return Response(400, {"status": 400, "message": f"Bad request: {exc}"})
        return Response(200, [dict(d) for d in selected[skip: skip + limit]])

    def _selected(self, resource: str, query: Any, raw_query: str | None, plain: dict[str, str]) -> list[dict]:
        """The records of `resource` that match the filters, in insertion order. With `cache_selections`, worked
        out once under the lock (no write can slip in between) and kept until a write clears it."""
        key = (resource, raw_query, tuple(sorted(plain.items())))
        with self._lock:
            if self.cache_selections:
                if key not in self._selections:
                    self._selections[key] = _matching(self.data[resource], query, plain)
                return self._selections[key]
            docs = list(self.data[resource])
        return _matching(docs, query, plain)


def _matching(docs: list[dict], query: Any, plain: dict[str, str]) -> list[dict]:
    return [d for d in docs
            if all(_plain_filter_matches(d, k, v) for k, v in plain.items()) and (query is None or matches(d, query))]

def seed_scale(size: str | int) -> int:
    return size if isinstance(size, int) else seeding.SIZES[size]
