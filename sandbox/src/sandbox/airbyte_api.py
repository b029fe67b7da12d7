"""Airbyte's public API (v1) stand-in: the calls `airbyte-pipeline deploy` makes, as Airbyte's published document
describes them, in two flavours: "cloud" and "self-managed".

Written from the document Airbyte's API reference is rendered from, read at airbytehq/airbyte-platform commit
310e6cb6ac0e7bd310fe99bfd505d5c36ba71f2e (the repository's head when read; the file last changed in 5c00290a):
- `airbyte-api/server-api/src/main/openapi/api.yaml`: paths, request and answer shapes (components/schemas);
- `airbyte-api/problems-api/src/main/openapi/api-problems.yaml`: the error answers (RFC 9457 problems: `type`,
  `title`, `status`, `detail`, `data`).
The request schemas below are our own transcription of what that document requires (required fields, types, enums,
uuid formats); nothing of it is copied here. Where the document contradicts itself, the comment says which reading
we took.

What it serves, under /v1:
- `POST /applications/token` (form or JSON: client_id, client_secret, grant_type): a Bearer token with expires_in.
  Unknown credentials: 403 `forbidden` (the document lists 400 and 403 for this path). Every other path needs
  `Authorization: Bearer <token>`: 401 `invalid-api-key` otherwise.
- `GET /workspaces/{id}`: 404 `resource-not-found` for a workspace that is not there (or not the caller's).
- Definitions per workspace: declarative sources (`/definitions/declarative_sources`: name + manifest, `version`
  counting up on each PUT), Docker sources and destinations (`/definitions/sources|destinations`: name,
  dockerRepository, dockerImageTag). List, create, get, update. The lists hold this workspace's custom definitions
  and a few catalog ones (Airbyte lists the whole catalog there).
- `/sources`, `/destinations` (list by workspaceIds with limit/offset paging and `next`, create, get, put, patch) and
  `/connections` (list, create, get, patch). A source or destination config is checked against its definition's
  spec when the stand-in knows it (a declarative manifest's `spec`, or `docker_specs` given to the constructor);
  secret fields (`airbyte_secret`) come back as `**********`.
- Connections: stream names unique (the document says the streams are a set), sync modes from its enum, a Quartz
  cron schedule (6 or 7 fields, `?` in day-of-month or day-of-week) answered with the documented
  `error:cron-validation/invalid-expression` problem when it is not one.

Flavours (the docs: Docker-based custom connectors are "not available" on Airbyte Cloud):
- "cloud": creating or updating a Docker definition answers 400 `bad-request`; a cron schedule more frequent than
  once an hour answers the documented `error:cron-validation/under-one-hour-not-allowed` problem.
- "self-managed": both allowed.

Request bodies are validated against the schemas below by a small validator of our own (required, type, enum,
format uuid, nested properties and items): the sandbox package depends on nothing, and these few keywords are all
the document's request schemas use. A body that breaks them answers 400 `bad-request` naming the field.

Test helpers: `add_source_definition`, `add_destination_definition`, `add_declarative_definition`, `objects(kind)`,
`write_calls()` (every call but the token's that is not a GET).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any, Optional
from urllib.parse import parse_qs

from sandbox import seed
from sandbox.core import Emulator, Request, Response, route

API = "/v1"
CLIENT_ID = "sandbox-airbyte-client"
CLIENT_SECRET = "sandbox-airbyte-client-secret"
TOKEN_SECONDS = 180  # Airbyte's application tokens last 3 minutes
MASK = "**********"
FLAVOURS = ("cloud", "self-managed")
PROBLEM_TYPE = "application/problem+json"
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# ---- request schemas (components/schemas of api.yaml, transcribed) -------------------------------------------
STRING, OBJECT, BOOLEAN, INTEGER = {"type": "string"}, {"type": "object"}, {"type": "boolean"}, {"type": "integer"}
UUID = {"type": "string", "format": "uuid"}
SYNC_MODES = ["full_refresh_overwrite", "full_refresh_overwrite_deduped", "full_refresh_append", "full_refresh_update",
              "full_refresh_soft_delete", "incremental_append", "incremental_deduped_history", "incremental_update",
              "incremental_soft_delete"]  # ConnectionSyncModeEnum
NAMESPACE_DEFINITIONS = ["source", "destination", "custom_format"]  # NamespaceDefinitionEnum
NON_BREAKING = ["ignore", "disable_connection", "propagate_columns", "propagate_fully"]
CONNECTION_STATUS = ["active", "inactive", "deprecated", "locked"]  # ConnectionStatusEnum
STRING_LIST = {"type": "array", "items": STRING}
STREAM_CONFIGURATION = {"type": "object", "required": ["name"], "properties": {  # StreamConfiguration
    "name": STRING, "namespace": STRING, "syncMode": {"type": "string", "enum": SYNC_MODES},
    "cursorField": STRING_LIST, "primaryKey": {"type": "array", "items": STRING_LIST}, "includeFiles": BOOLEAN,
    "destinationObjectName": STRING,
    "selectedFields": {"type": "array", "items": {"type": "object", "properties": {"fieldPath": STRING_LIST}}},
    "mappers": {"type": "array", "items": {"type": "object", "required": ["type", "mapperConfiguration"]}}}}
STREAM_CONFIGURATIONS = {"type": "object", "properties": {"streams": {"type": "array", "items": STREAM_CONFIGURATION}}}
SCHEDULE = {"type": "object", "required": ["scheduleType"], "properties": {  # AirbyteApiConnectionSchedule
    "scheduleType": {"type": "string", "enum": ["manual", "cron"]}, "cronExpression": STRING}}
RESOURCES = {"type": "object"}  # ScopedResourceRequirements: accepted, not kept
SCHEMAS: dict[str, dict[str, Any]] = {
    # ApplicationTokenRequestWithGrant. The document spells the enum property `grant-type` but requires
    # `grant_type`; we require `grant_type` (OAuth's name, and what every client sends) and check its value.
    "token": {"type": "object", "required": ["client_id", "client_secret", "grant_type"], "properties": {
        "client_id": STRING, "client_secret": STRING, "grant_type": {"type": "string", "enum": ["client_credentials"]}}},
    # CreateDeclarativeSourceDefinitionRequest lists workspaceId as required but not among its properties: the
    # workspace is the path's {workspaceId}, as the SDK generated from the same document sends it.
    "declarative_create": {"type": "object", "required": ["name", "manifest"],
                           "properties": {"name": STRING, "manifest": OBJECT}},
    "declarative_update": {"type": "object", "required": ["manifest"], "properties": {"manifest": OBJECT}},
    "definition_create": {"type": "object", "required": ["name", "dockerRepository", "dockerImageTag"],
                          "properties": {"name": STRING, "dockerRepository": STRING, "dockerImageTag": STRING,
                                         "documentationUrl": STRING}},
    "definition_update": {"type": "object", "required": ["name", "dockerImageTag"],
                          "properties": {"name": STRING, "dockerImageTag": STRING}},
    "source_create": {"type": "object", "required": ["name", "workspaceId", "configuration"], "properties": {
        "name": STRING, "definitionId": UUID, "workspaceId": UUID, "configuration": OBJECT, "secretId": STRING,
        "resourceAllocation": RESOURCES}},
    "source_put": {"type": "object", "required": ["name", "configuration"], "properties": {
        "name": STRING, "configuration": OBJECT, "resourceAllocation": RESOURCES}},
    "source_patch": {"type": "object", "properties": {
        "name": STRING, "workspaceId": UUID, "configuration": OBJECT, "secretId": STRING,
        "resourceAllocation": RESOURCES}},
    "destination_create": {"type": "object", "required": ["name", "workspaceId", "configuration"], "properties": {
        "name": STRING, "definitionId": UUID, "workspaceId": UUID, "configuration": OBJECT,
        "resourceAllocation": RESOURCES}},
    "destination_put": {"type": "object", "required": ["name", "configuration"], "properties": {
        "name": STRING, "configuration": OBJECT, "resourceAllocation": RESOURCES}},
    "destination_patch": {"type": "object", "properties": {
        "name": STRING, "configuration": OBJECT, "resourceAllocation": RESOURCES}},
    "connection_create": {"type": "object", "required": ["sourceId", "destinationId"], "properties": {
        "name": STRING, "sourceId": UUID, "destinationId": UUID, "configurations": STREAM_CONFIGURATIONS,
        "schedule": SCHEDULE, "dataResidency": STRING,
        "namespaceDefinition": {"type": "string", "enum": NAMESPACE_DEFINITIONS}, "namespaceFormat": STRING,
        "prefix": STRING, "nonBreakingSchemaUpdatesBehavior": {"type": "string", "enum": NON_BREAKING},
        "status": {"type": "string", "enum": CONNECTION_STATUS}, "tags": {"type": "array", "items": OBJECT}}},
    "connection_patch": {"type": "object", "properties": {
        "name": STRING, "configurations": STREAM_CONFIGURATIONS, "schedule": SCHEDULE, "dataResidency": STRING,
        "namespaceDefinition": {"type": "string", "enum": NAMESPACE_DEFINITIONS}, "namespaceFormat": STRING,
        "prefix": STRING, "nonBreakingSchemaUpdatesBehavior": {"type": "string", "enum": NON_BREAKING},
        "status": {"type": "string", "enum": CONNECTION_STATUS}, "tags": {"type": "array", "items": OBJECT}}},
}
JSON_TYPES = {"string": str, "object": dict, "array": list, "boolean": bool, "integer": int, "number": (int, float)}


def shape_errors(schema: dict[str, Any], value: Any, where: str = "") -> list[str]:
    """What breaks `schema` in `value`, each naming its field (`configurations.streams[0].syncMode: ...`)."""
    expected = schema.get("type")
    label = where or "the body"
    kind = JSON_TYPES.get(expected) if expected else None
    if kind and (not isinstance(value, kind) or (expected in ("integer", "number") and isinstance(value, bool))):
        return [f"{label}: expected {'an' if expected[0] in 'aeiou' else 'a'} {expected}, got {type(value).__name__}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{label}: {value!r} is not one of {', '.join(map(str, schema['enum']))}")
    if schema.get("format") == "uuid" and isinstance(value, str) and not UUID_PATTERN.match(value):
        errors.append(f"{label}: {value!r} is not a UUID")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where + '.' if where else ''}{name}: required")
        for name, sub in schema.get("properties", {}).items():
            if name in value and value[name] is not None:
                errors += shape_errors(sub, value[name], f"{where + '.' if where else ''}{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += shape_errors(schema["items"], item, f"{where}[{index}]")
    return errors


# ---- problems (api-problems.yaml) ------------------------------------------------------------------------------
def problem(status: int, type_: str, title: str, detail: str, data: Optional[dict] = None) -> Response:
    body = {"status": status, "type": type_, "title": title, "detail": detail}
    if data is not None:
        body["data"] = data
    return Response(status, body, {"Content-Type": PROBLEM_TYPE})


def bad_request(message: str) -> Response:  # BadRequestProblemResponse
    return problem(400, "https://reference.airbyte.com/reference/errors#bad-request", "bad-request",
                   "The request could not be understood by the server due to malformed syntax.", {"message": message})


def not_found(resource_type: str, resource_id: str) -> Response:  # ResourceNotFoundProblemResponse
    return problem(404, "https://reference.airbyte.com/reference/errors#resource-not-found", "resource-not-found",
                   "The requested resource could not be found.",
                   {"resourceType": resource_type, "resourceId": resource_id})


def forbidden(message: str) -> Response:  # ForbiddenProblemResponse
    return problem(403, "https://reference.airbyte.com/reference/errors#forbidden", "forbidden",
                   "The request is forbidden.", {"message": message})


def invalid_api_key() -> Response:  # InvalidApiKeyProblemResponse
    return problem(401, "https://reference.airbyte.com/reference/errors#invalid-api-key", "invalid-api-key",
                   "The API key in the Authorization header is invalid.")


def invalid_cron(expression: str, reason: str) -> Response:  # CronValidationInvalidExpressionProblemResponse
    return problem(400, "error:cron-validation/invalid-expression", "Invalid cron expression",
                   "The cron expression is invalid", {"cronExpression": expression, "validationErrorMessage": reason})


def cron_under_one_hour(expression: str) -> Response:  # CronValidationUnderOneHourNotAllowedProblemResponse
    return problem(400, "error:cron-validation/under-one-hour-not-allowed",
                   "Cron sync schedules more frequent than once per hour are not allowed", "Syncs",
                   {"cronExpression": expression})


# ---- Quartz cron: enough to refuse what Airbyte refuses (its scheduler is Quartz; UTC) ----------------------------
QUARTZ_FIELD = re.compile(r"^[0-9A-Za-z*?/,\-#LW]+$")


def quartz_problem(expression: str) -> Optional[str]:
    fields = expression.split()
    if len(fields) not in (6, 7):
        return f"a Quartz cron expression has 6 or 7 fields (seconds first), not {len(fields)}"
    if not all(QUARTZ_FIELD.match(field) for field in fields):
        return "a field holds a character Quartz does not know"
    if (fields[3] == "?") == (fields[5] == "?"):
        return "exactly one of day-of-month and day-of-week must be '?'"
    return None


def more_than_hourly(expression: str) -> bool:
    """More than one run an hour: the seconds or the minutes field names more than one value."""
    seconds, minutes = expression.split()[:2]
    return not (seconds.isdigit() and minutes.isdigit())


def _walk_secrets(spec: dict[str, Any], config: Any) -> Any:
    """`config` with every `airbyte_secret` value of `spec` replaced by the mask."""
    if isinstance(config, dict):
        properties = spec.get("properties", {}) if isinstance(spec, dict) else {}
        return {key: MASK if isinstance(properties.get(key), dict) and properties[key].get("airbyte_secret")
                else _walk_secrets(properties.get(key, {}), value) for key, value in config.items()}
    return config


class AirbyteApiEmulator(Emulator):
    name = "airbyte_api"

    def __init__(self, size: str | int = "small", seed: int = 42, flavour: str = "self-managed",
                 docker_specs: Optional[dict[str, dict]] = None) -> None:
        super().__init__()
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour must be one of {FLAVOURS}")
        self.flavour = flavour
        self.seed = seed
        self.docker_specs = dict(docker_specs or {})  # dockerRepository -> connectionSpecification (Airbyte runs `spec`)
        self._lock = threading.RLock()
        self._seed_data()

    # ---- data -------------------------------------------------------------------------------------------------
    def _seed_data(self) -> None:
        r = seed.rng(self.seed, "airbyte_api")
        self.workspace_id = seed.det_uuid(r)
        self.applications = {CLIENT_ID: CLIENT_SECRET}
        self.tokens: dict[str, float] = {}
        self.workspaces = {self.workspace_id: {"workspaceId": self.workspace_id, "name": "Sandbox workspace",
                                               "dataResidency": "auto", "notifications": {}}}
        self.declarative: dict[str, dict[str, Any]] = {}
        self.source_definitions: dict[str, dict[str, Any]] = {}
        self.destination_definitions: dict[str, dict[str, Any]] = {}
        self.catalog_definitions: set[str] = set()  # not the workspace's own: listed, not editable
        self.sources: dict[str, dict[str, Any]] = {}
        self.destinations: dict[str, dict[str, Any]] = {}
        self.connections: dict[str, dict[str, Any]] = {}
        self._uuids = r
        for store, name, repository in ((self.source_definitions, "Faker", "airbyte/source-faker"),
                                        (self.destination_definitions, "Postgres", "airbyte/destination-postgres")):
            definition_id = self._new_id()
            store[definition_id] = {"id": definition_id, "name": name, "dockerRepository": repository,
                                    "dockerImageTag": "1.0.0", "workspaceId": None}
            self.catalog_definitions.add(definition_id)

    def _new_id(self) -> str:
        return seed.det_uuid(self._uuids)

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._seed_data()

    def connector_config(self) -> dict[str, Any]:
        """What a deploy target needs (`python -m sandbox` prints it)."""
        return {"kind": self.flavour, "api_root": f"{self.url}{API}", "workspace_id": self.workspace_id,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    # ---- test helpers -----------------------------------------------------------------------------------------
    def add_declarative_definition(self, name: str, manifest: dict[str, Any]) -> str:
        with self._lock:
            definition_id = self._new_id()
            self.declarative[definition_id] = {"id": definition_id, "name": name, "manifest": manifest, "version": 1,
                                               "workspaceId": self.workspace_id}
            return definition_id

    def add_source_definition(self, name: str, repository: str, tag: str) -> str:
        return self._add_docker(self.source_definitions, name, repository, tag)

    def add_destination_definition(self, name: str, repository: str, tag: str) -> str:
        return self._add_docker(self.destination_definitions, name, repository, tag)

    def _add_docker(self, store: dict, name: str, repository: str, tag: str) -> str:
        with self._lock:
            definition_id = self._new_id()
            store[definition_id] = {"id": definition_id, "name": name, "dockerRepository": repository,
                                    "dockerImageTag": tag, "workspaceId": self.workspace_id}
            return definition_id

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """The stored objects of a kind (sources, destinations, connections, declarative, source_definitions,
        destination_definitions), as stored: configurations unmasked."""
        with self._lock:
            return [dict(item) for item in getattr(self, kind).values()
                    if kind not in ("source_definitions", "destination_definitions")
                    or item["id"] not in self.catalog_definitions]

    def write_calls(self) -> list:
        return [c for c in self.call_log if c.method != "GET" and not c.path.endswith("/applications/token")]

    # ---- auth -------------------------------------------------------------------------------------------------
    def before_route(self, request: Request) -> Optional[Response]:
        if request.path == f"{API}/applications/token":
            return None
        header = request.headers.get("authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        with self._lock:
            expires = self.tokens.get(token)
        if expires is None or expires < time.time():
            return invalid_api_key()
        return None

    def not_found(self, request: Request) -> Response:
        return problem(404, "https://reference.airbyte.com/reference/errors#resource-not-found", "resource-not-found",
                       f"No operation {request.method} {request.path}.")

    @route("POST", rf"{API}/applications/token")
    def token(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            body: Any = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items()}
        else:
            body, error = self._body(request)
            if error:
                return error
        errors = shape_errors(SCHEMAS["token"], body)
        if errors:
            return bad_request("; ".join(errors))
        if self.applications.get(body["client_id"]) != body["client_secret"]:
            return forbidden("unknown client_id or client_secret")
        token = uuid.uuid4().hex
        with self._lock:
            self.tokens[token] = time.time() + TOKEN_SECONDS
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS})

    # ---- helpers of the routes --------------------------------------------------------------------------------
    @staticmethod
    def _body(request: Request) -> tuple[Any, Optional[Response]]:
        try:
            return request.json(), None
        except ValueError:
            return None, bad_request("the body is not JSON")

    def _checked(self, request: Request, schema: str) -> tuple[Any, Optional[Response]]:
        body, error = self._body(request)
        if error:
            return None, error
        errors = shape_errors(SCHEMAS[schema], body)
        return body, (bad_request("; ".join(errors)) if errors else None)

    def _workspace(self, workspace_id: str) -> Optional[Response]:
        return None if workspace_id in self.workspaces else not_found("workspace", workspace_id)

    def _page(self, request: Request, items: list[dict[str, Any]], path: str) -> Response:
        try:
            limit = int(request.arg("limit", "20") or 20)
            offset = int(request.arg("offset", "0") or 0)
        except ValueError:
            return bad_request("limit and offset are integers")
        if not 1 <= limit <= 100 or offset < 0:
            return bad_request("limit is between 1 and 100, offset 0 or more")
        body: dict[str, Any] = {"data": items[offset: offset + limit]}
        wanted = ",".join(self._workspace_filter(request))
        query = f"workspaceIds={wanted}&" if wanted else ""
        if offset + limit < len(items):
            body["next"] = f"{self.url}{API}{path}?{query}limit={limit}&offset={offset + limit}"
        if offset:
            body["previous"] = f"{self.url}{API}{path}?{query}limit={limit}&offset={max(0, offset - limit)}"
        return Response(200, body)

    @staticmethod
    def _workspace_filter(request: Request) -> list[str]:
        return [w for value in request.query.get("workspaceIds", []) for w in value.split(",") if w]

    def _spec_of(self, definition_id: str) -> Optional[dict[str, Any]]:
        if definition_id in self.declarative:
            spec = self.declarative[definition_id]["manifest"].get("spec", {})
            return spec.get("connection_specification") or spec.get("connectionSpecification")
        for store in (self.source_definitions, self.destination_definitions):
            if definition_id in store:
                return self.docker_specs.get(store[definition_id]["dockerRepository"])
        return None

    def _config_errors(self, definition_id: str, config: dict[str, Any]) -> list[str]:
        """The configuration against the definition's spec: required fields and types (as Airbyte checks it)."""
        spec = self._spec_of(definition_id)
        return shape_errors(_spec_subset(spec), config, "configuration") if spec else []

    def _masked(self, item: dict[str, Any]) -> dict[str, Any]:
        spec = self._spec_of(item["definitionId"]) or {}
        return {**item, "configuration": _walk_secrets(spec, item["configuration"])}

    # ---- workspaces -------------------------------------------------------------------------------------------
    @route("GET", rf"{API}/workspaces/(?P<workspace>[^/]+)")
    def get_workspace(self, request: Request) -> Response:
        workspace_id = request.match["workspace"]
        return self._workspace(workspace_id) or Response(200, self.workspaces[workspace_id])

    # ---- definitions ------------------------------------------------------------------------------------------
    @route("GET", rf"{API}/workspaces/(?P<workspace>[^/]+)/definitions/declarative_sources")
    def list_declarative(self, request: Request) -> Response:
        workspace_id = request.match["workspace"]
        missing = self._workspace(workspace_id)
        if missing:
            return missing
        with self._lock:
            data = [_public(d) for d in self.declarative.values() if d["workspaceId"] == workspace_id]
        return Response(200, {"data": data})

    @route("POST", rf"{API}/workspaces/(?P<workspace>[^/]+)/definitions/declarative_sources")
    def create_declarative(self, request: Request) -> Response:
        workspace_id = request.match["workspace"]
        body, error = self._checked(request, "declarative_create")
        error = error or self._workspace(workspace_id) or _manifest_problem(body["manifest"])
        if error:
            return error
        with self._lock:
            definition_id = self._new_id()
            self.declarative[definition_id] = {"id": definition_id, "name": body["name"], "manifest": body["manifest"],
                                               "version": 1, "workspaceId": workspace_id}
            return Response(200, _public(self.declarative[definition_id]))

    @route("GET", rf"{API}/workspaces/(?P<workspace>[^/]+)/definitions/declarative_sources/(?P<id>[^/]+)")
    def get_declarative(self, request: Request) -> Response:
        found = self._declarative(request)
        return found if isinstance(found, Response) else Response(200, _public(found))

    @route("PUT", rf"{API}/workspaces/(?P<workspace>[^/]+)/definitions/declarative_sources/(?P<id>[^/]+)")
    def update_declarative(self, request: Request) -> Response:
        body, error = self._checked(request, "declarative_update")
        found = error or self._declarative(request)
        if isinstance(found, Response):
            return found
        error = _manifest_problem(body["manifest"])
        if error:
            return error
        with self._lock:
            found.update(manifest=body["manifest"], version=found["version"] + 1)
            return Response(200, _public(found))

    def _declarative(self, request: Request) -> dict[str, Any] | Response:
        workspace_id, definition_id = request.match["workspace"], request.match["id"]
        missing = self._workspace(workspace_id)
        if missing:
            return missing
        found = self.declarative.get(definition_id)
        if not found or found["workspaceId"] != workspace_id:
            return not_found("declarative_source_definition", definition_id)
        return found

    @route("GET", rf"{API}/workspaces/(?P<workspace>[^/]+)/definitions/(?P<kind>sources|destinations)")
    def list_definitions(self, request: Request) -> Response:
        workspace_id = request.match["workspace"]
        missing = self._workspace(workspace_id)
        if missing:
            return missing
        with self._lock:
            data = [_public(d) for d in self._definitions(request).values()
                    if d["workspaceId"] in (None, workspace_id)]
        return Response(200, {"data": data})

    @route("POST", rf"{API}/workspaces/(?P<workspace>[^/]+)/definitions/(?P<kind>sources|destinations)")
    def create_definition(self, request: Request) -> Response:
        workspace_id = request.match["workspace"]
        body, error = self._checked(request, "definition_create")
        error = error or self._workspace(workspace_id) or self._cloud_refuses_docker()
        if error:
            return error
        with self._lock:
            store = self._definitions(request)
            definition_id = self._new_id()
            store[definition_id] = {"id": definition_id, "name": body["name"],
                                    "dockerRepository": body["dockerRepository"],
                                    "dockerImageTag": body["dockerImageTag"], "workspaceId": workspace_id}
            if body.get("documentationUrl"):
                store[definition_id]["documentationUrl"] = body["documentationUrl"]
            return Response(200, _public(store[definition_id]))

    @route("GET", rf"{API}/workspaces/(?P<workspace>[^/]+)/definitions/(?P<kind>sources|destinations)/(?P<id>[^/]+)")
    def get_definition(self, request: Request) -> Response:
        found = self._definition(request)
        return found if isinstance(found, Response) else Response(200, _public(found))

    @route("PUT", rf"{API}/workspaces/(?P<workspace>[^/]+)/definitions/(?P<kind>sources|destinations)/(?P<id>[^/]+)")
    def update_definition(self, request: Request) -> Response:
        body, error = self._checked(request, "definition_update")
        found = error or self._cloud_refuses_docker() or self._definition(request)
        if isinstance(found, Response):
            return found
        if found["id"] in self.catalog_definitions:
            return forbidden("a catalog definition cannot be changed from a workspace")
        with self._lock:
            found.update(name=body["name"], dockerImageTag=body["dockerImageTag"])
            return Response(200, _public(found))

    def _definitions(self, request: Request) -> dict[str, dict[str, Any]]:
        return self.source_definitions if request.match["kind"] == "sources" else self.destination_definitions

    def _definition(self, request: Request) -> dict[str, Any] | Response:
        workspace_id, definition_id = request.match["workspace"], request.match["id"]
        missing = self._workspace(workspace_id)
        if missing:
            return missing
        found = self._definitions(request).get(definition_id)
        if not found or found["workspaceId"] not in (None, workspace_id):
            return not_found(f"{request.match['kind'][:-1]}_definition", definition_id)
        return found

    def _cloud_refuses_docker(self) -> Optional[Response]:
        if self.flavour == "cloud":
            return bad_request("Docker-based custom connector definitions are not available on Airbyte Cloud")
        return None

    # ---- sources and destinations -----------------------------------------------------------------------------
    @route("GET", rf"{API}/(?P<kind>sources|destinations)")
    def list_actors(self, request: Request) -> Response:
        wanted = self._workspace_filter(request)
        with self._lock:
            items = [self._masked(item) for item in self._actors(request).values()
                     if not wanted or item["workspaceId"] in wanted]
        return self._page(request, items, f"/{request.match['kind']}")

    @route("POST", rf"{API}/(?P<kind>sources|destinations)")
    def create_actor(self, request: Request) -> Response:
        kind = request.match["kind"][:-1]
        body, error = self._checked(request, f"{kind}_create")
        if error:
            return error
        error = self._workspace(body["workspaceId"])
        if error:
            return error
        definitions = ({**self.declarative, **self.source_definitions} if kind == "source"
                       else self.destination_definitions)
        definition_id = body.get("definitionId")
        if not definition_id:
            return bad_request(f"definitionId: required for a custom {kind} (configuration.{kind}Type names only "
                               "catalog connectors)")
        definition = definitions.get(definition_id)
        if definition is None or definition["workspaceId"] not in (None, body["workspaceId"]):
            return not_found(f"{kind}_definition", definition_id)
        errors = self._config_errors(definition_id, body["configuration"])
        if errors:
            return bad_request("; ".join(errors))
        with self._lock:
            actor_id = self._new_id()
            item = {f"{kind}Id": actor_id, "name": body["name"], f"{kind}Type": _type_name(definition),
                    "definitionId": definition_id, "workspaceId": body["workspaceId"],
                    "configuration": body["configuration"], "createdAt": int(time.time())}
            self._actors(request)[actor_id] = item
            return Response(200, self._masked(item))

    @route("GET", rf"{API}/(?P<kind>sources|destinations)/(?P<id>[^/]+)")
    def get_actor(self, request: Request) -> Response:
        found = self._actor(request)
        return found if isinstance(found, Response) else Response(200, self._masked(found))

    @route("PUT", rf"{API}/(?P<kind>sources|destinations)/(?P<id>[^/]+)")
    def put_actor(self, request: Request) -> Response:
        return self._update_actor(request, "put")

    @route("PATCH", rf"{API}/(?P<kind>sources|destinations)/(?P<id>[^/]+)")
    def patch_actor(self, request: Request) -> Response:
        return self._update_actor(request, "patch")

    def _update_actor(self, request: Request, verb: str) -> Response:
        kind = request.match["kind"][:-1]
        body, error = self._checked(request, f"{kind}_{verb}")
        found = error or self._actor(request)
        if isinstance(found, Response):
            return found
        configuration = body.get("configuration")
        if verb == "patch" and configuration is not None:
            configuration = {**found["configuration"], **configuration}  # a PATCH merges what it names
        if configuration is not None:
            errors = self._config_errors(found["definitionId"], configuration)
            if errors:
                return bad_request("; ".join(errors))
        with self._lock:
            if "name" in body:
                found["name"] = body["name"]
            if configuration is not None:
                found["configuration"] = configuration
            return Response(200, self._masked(found))

    def _actors(self, request: Request) -> dict[str, dict[str, Any]]:
        return self.sources if request.match["kind"] == "sources" else self.destinations

    def _actor(self, request: Request) -> dict[str, Any] | Response:
        found = self._actors(request).get(request.match["id"])
        return found or not_found(request.match["kind"][:-1], request.match["id"])

    # ---- connections ------------------------------------------------------------------------------------------
    @route("GET", rf"{API}/connections")
    def list_connections(self, request: Request) -> Response:
        wanted = self._workspace_filter(request)
        with self._lock:
            items = [dict(c) for c in self.connections.values() if not wanted or c["workspaceId"] in wanted]
        return self._page(request, items, "/connections")

    @route("POST", rf"{API}/connections")
    def create_connection(self, request: Request) -> Response:
        body, error = self._checked(request, "connection_create")
        if error:
            return error
        source, destination = self.sources.get(body["sourceId"]), self.destinations.get(body["destinationId"])
        if source is None:
            return not_found("source", body["sourceId"])
        if destination is None:
            return not_found("destination", body["destinationId"])
        if source["workspaceId"] != destination["workspaceId"]:
            return bad_request("the source and the destination are in different workspaces")
        error = self._connection_problem(body)
        if error:
            return error
        with self._lock:
            connection_id = self._new_id()
            schedule = body.get("schedule") or {"scheduleType": "manual"}
            self.connections[connection_id] = {
                "connectionId": connection_id, "name": body.get("name") or f"{source['name']} → {destination['name']}",
                "sourceId": source["sourceId"], "destinationId": destination["destinationId"],
                "workspaceId": source["workspaceId"], "status": body.get("status", "active"),
                "schedule": schedule, "configurations": body.get("configurations") or {"streams": []},
                "namespaceDefinition": body.get("namespaceDefinition", "destination"),
                "namespaceFormat": body.get("namespaceFormat"), "prefix": body.get("prefix", ""),
                "nonBreakingSchemaUpdatesBehavior": body.get("nonBreakingSchemaUpdatesBehavior", "ignore"),
                "createdAt": int(time.time()), "tags": body.get("tags", [])}
            return Response(200, dict(self.connections[connection_id]))

    @route("GET", rf"{API}/connections/(?P<id>[^/]+)")
    def get_connection(self, request: Request) -> Response:
        found = self.connections.get(request.match["id"])
        return Response(200, dict(found)) if found else not_found("connection", request.match["id"])

    @route("PATCH", rf"{API}/connections/(?P<id>[^/]+)")
    def patch_connection(self, request: Request) -> Response:
        body, error = self._checked(request, "connection_patch")
        if error:
            return error
        found = self.connections.get(request.match["id"])
        if not found:
            return not_found("connection", request.match["id"])
        error = self._connection_problem(body)
        if error:
            return error
        with self._lock:
            found.update({k: v for k, v in body.items() if k != "dataResidency"})
            return Response(200, dict(found))

    def _connection_problem(self, body: dict[str, Any]) -> Optional[Response]:
        names = [s["name"] for s in (body.get("configurations") or {}).get("streams", [])]
        if len(names) != len(set(names)):
            return bad_request("configurations.streams: a stream is named twice (the streams are a set)")
        schedule = body.get("schedule")
        if schedule and schedule["scheduleType"] == "cron":
            expression = schedule.get("cronExpression") or ""
            reason = quartz_problem(expression)
            if reason:
                return invalid_cron(expression, reason)
            if self.flavour == "cloud" and more_than_hourly(expression):
                return cron_under_one_hour(expression)
        return None


def _public(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k != "workspaceId"}


def _type_name(definition: dict[str, Any]) -> str:
    return "custom" if "manifest" in definition else definition["dockerRepository"].rsplit("/", 1)[-1]


def _manifest_problem(manifest: dict[str, Any]) -> Optional[Response]:
    """What Airbyte needs of a manifest to publish it: a DeclarativeSource with its spec."""
    if manifest.get("type") != "DeclarativeSource" or "version" not in manifest:
        return bad_request("manifest: a DeclarativeSource with a version")
    spec = manifest.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("connection_specification"), dict):
        return bad_request("manifest.spec.connection_specification: required")
    return None


def _spec_subset(spec: dict[str, Any]) -> dict[str, Any]:
    """The parts of a connector spec the stand-in's validator reads: required, types, nested properties."""
    if not isinstance(spec, dict):
        return {}
    subset: dict[str, Any] = {}
    if isinstance(spec.get("type"), str):
        subset["type"] = spec["type"]
    if spec.get("required"):
        subset["required"] = list(spec["required"])
    if isinstance(spec.get("properties"), dict):
        subset["properties"] = {k: _spec_subset(v) for k, v in spec["properties"].items()}
    if "enum" in spec:
        subset["enum"] = spec["enum"]
    return subset
