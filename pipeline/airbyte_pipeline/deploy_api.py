"""The calls `deploy` makes to Airbyte's public API (never the internal Config API), each failure one line that
names its cause.

Which client does what, and why (checked against the installed PyAirbyte 0.71.3 and airbyte-api 0.53.0):
- PyAirbyte (`airbyte.cloud.CloudWorkspace`) lists, publishes and updates the declarative (YAML manifest) source
  definitions: `list_custom_source_definitions`, `publish_custom_source_definition`,
  `CustomCloudSourceDefinition.update_definition` do that job through the public API. Its `check()`, testing
  values and organisation info go to the Config API: not used.
- Airbyte's generated SDK (`airbyte_api`) does the rest, where PyAirbyte falls short:
  - Docker source definitions: `publish_custom_source_definition(docker_image=...)` raises NotImplementedError,
    and PyAirbyte has no call for destination definitions;
  - destinations: `deploy_destination` drops the `definition_id` of a custom destination;
  - connections: `deploy_connection` sends stream names only (every stream full refresh, no cursor, no primary
    key, no schedule) and creates a second connection on a second deploy;
  - sources: `deploy_source` wants a local `Source` object; and reading a source back decodes its configuration
    as an unrelated connector's class (the SDK's configuration union), so this module reads every source,
    destination and connection as the raw JSON of the SDK's response (`raw_response`).
  The SDK also takes our HTTP session, so each of its calls has a timeout (PyAirbyte builds sessions without one).
Both share the SDK's token cache (one token per client id and secret per process).
"""

from __future__ import annotations

import json
import re
import warnings
from contextlib import redirect_stdout
from dataclasses import dataclass
from io import StringIO
from typing import Any, Callable, Optional, TypeVar

import airbyte_api
import requests
from airbyte_api import api, errors, models

from airbyte_pipeline.deploy_target import DeployTarget

TIMEOUT_SECONDS = (10, 60)  # connect, read
PAGE_SIZE = 100  # the API's largest page
TOKEN_FAILURE = re.compile(r"Unexpected status code (\d+) from token endpoint")
T = TypeVar("T")


class DeployError(Exception):
    """One line: what failed and why. `changed` is True when an earlier call of this deploy wrote something."""


class TimeoutSession(requests.Session):
    """Every request bounded (the SDK sends without a timeout of its own)."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT_SECONDS
        kwargs["allow_redirects"] = False  # the bearer token goes to the API root only
        return super().send(request, **kwargs)


@dataclass(frozen=True)
class DeclarativeDefinition:
    id: str
    name: str
    manifest: dict[str, Any]
    version: Optional[int]


class AirbyteApi:
    def __init__(self, target: DeployTarget) -> None:
        self.target = target
        self.sdk = airbyte_api.AirbyteAPI(
            security=models.Security(client_credentials=models.SchemeClientCredentials(
                client_id=target.client_id, client_secret=target.client_secret,
                token_url=f"{target.api_root}/applications/token")),
            server_url=target.api_root, client=TimeoutSession())
        self._workspace = None

    # ---- the workspace ----------------------------------------------------------------------------------------
    def check_workspace(self) -> dict[str, Any]:
        """The first call: bad credentials and a missing workspace end the deploy here, before any write."""
        response = self._call(f"workspace {self.target.workspace_id}", lambda: self.sdk.workspaces.get_workspace(
            api.GetWorkspaceRequest(workspace_id=self.target.workspace_id)))
        return response.raw_response.json()

    def _pyairbyte_workspace(self):
        if self._workspace is None:
            from airbyte.cloud import CloudWorkspace

            self._workspace = CloudWorkspace(workspace_id=self.target.workspace_id, client_id=self.target.client_id,
                                             client_secret=self.target.client_secret, api_root=self.target.api_root)
        return self._workspace

    # ---- definitions ------------------------------------------------------------------------------------------
    def declarative_definitions(self) -> list[DeclarativeDefinition]:
        definitions = self._call("the declarative source definitions", lambda: self._pyairbyte_workspace()
                                 .list_custom_source_definitions(definition_type="yaml"))
        return [DeclarativeDefinition(d.definition_id, d.name, d.manifest or {}, _int(d.version)) for d in definitions]

    def publish_declarative(self, name: str, manifest: dict[str, Any]) -> DeclarativeDefinition:
        published = self._call(f"declarative source definition '{name}'", lambda: self._pyairbyte_workspace()
                               .publish_custom_source_definition(name, manifest_yaml=manifest, unique=False))
        return DeclarativeDefinition(published.definition_id, name, manifest, _int(published.version))

    def update_declarative(self, definition_id: str, name: str, manifest: dict[str, Any]) -> DeclarativeDefinition:
        from airbyte.cloud.connectors import CustomCloudSourceDefinition

        definition = CustomCloudSourceDefinition(self._pyairbyte_workspace(), definition_id, "yaml")
        updated = self._call(f"declarative source definition '{name}'",
                             lambda: definition.update_definition(manifest_yaml=manifest))
        return DeclarativeDefinition(definition_id, name, manifest, _int(updated.version))

    def docker_definitions(self, role: str) -> list[dict[str, Any]]:
        workspace = self.target.workspace_id
        if role == "source":
            call = lambda: self.sdk.source_definitions.list_source_definitions(  # noqa: E731
                api.ListSourceDefinitionsRequest(workspace_id=workspace))
        else:
            call = lambda: self.sdk.destination_definitions.list_destination_definitions(  # noqa: E731
                api.ListDestinationDefinitionsRequest(workspace_id=workspace))
        return self._call(f"the {role} definitions", call).raw_response.json().get("data", [])

    def create_docker_definition(self, role: str, name: str, repository: str, tag: str) -> dict[str, Any]:
        body = models.CreateDefinitionRequest(docker_image_tag=tag, docker_repository=repository, name=name)
        workspace = self.target.workspace_id
        if role == "source":
            call = lambda: self.sdk.source_definitions.create_source_definition(  # noqa: E731
                api.CreateSourceDefinitionRequest(create_definition_request=body, workspace_id=workspace))
        else:
            call = lambda: self.sdk.destination_definitions.create_destination_definition(  # noqa: E731
                api.CreateDestinationDefinitionRequest(create_definition_request=body, workspace_id=workspace))
        return self._call(f"{role} definition '{name}'", call).raw_response.json()

    def update_docker_definition(self, role: str, definition_id: str, name: str, tag: str) -> dict[str, Any]:
        body = models.UpdateDefinitionRequest(docker_image_tag=tag, name=name)
        workspace = self.target.workspace_id
        if role == "source":
            call = lambda: self.sdk.source_definitions.update_source_definition(  # noqa: E731
                api.UpdateSourceDefinitionRequest(definition_id=definition_id, update_definition_request=body,
                                                  workspace_id=workspace))
        else:
            call = lambda: self.sdk.destination_definitions.update_destination_definition(  # noqa: E731
                api.UpdateDestinationDefinitionRequest(definition_id=definition_id, update_definition_request=body,
                                                       workspace_id=workspace))
        return self._call(f"{role} definition '{name}'", call).raw_response.json()

    # ---- sources and destinations -----------------------------------------------------------------------------
    def actors(self, role: str) -> list[dict[str, Any]]:
        """Every source (or destination) of the workspace, configuration as Airbyte shows it (secrets masked)."""
        items: list[dict[str, Any]] = []
        while True:
            request = dict(workspace_ids=[self.target.workspace_id], limit=PAGE_SIZE, offset=len(items))
            if role == "source":
                call = lambda request=request: self.sdk.sources.list_sources(  # noqa: E731
                    api.ListSourcesRequest(**request))
            else:
                call = lambda request=request: self.sdk.destinations.list_destinations(  # noqa: E731
                    api.ListDestinationsRequest(**request))
            page = self._call(f"the {role}s", call).raw_response.json()
            items += page.get("data", [])
            if not page.get("next") or not page.get("data"):
                return items

    def create_actor(self, role: str, name: str, definition_id: str, config: dict[str, Any]) -> dict[str, Any]:
        workspace = self.target.workspace_id
        if role == "source":
            call = lambda: self.sdk.sources.create_source(models.SourceCreateRequest(  # noqa: E731
                configuration=config, name=name, workspace_id=workspace, definition_id=definition_id))
        else:
            call = lambda: self.sdk.destinations.create_destination(models.DestinationCreateRequest(  # noqa: E731
                configuration=config, name=name, workspace_id=workspace, definition_id=definition_id))
        return self._call(f"{role} '{name}'", call).raw_response.json()

    def put_actor(self, role: str, actor_id: str, name: str, config: dict[str, Any]) -> dict[str, Any]:
        """The whole configuration (secrets included): a PUT overwrites, so nothing stale stays behind."""
        if role == "source":
            call = lambda: self.sdk.sources.put_source(api.PutSourceRequest(  # noqa: E731
                source_id=actor_id, source_put_request=models.SourcePutRequest(configuration=config, name=name)))
        else:
            call = lambda: self.sdk.destinations.put_destination(api.PutDestinationRequest(  # noqa: E731
                destination_id=actor_id,
                destination_put_request=models.DestinationPutRequest(configuration=config, name=name)))
        return self._call(f"{role} '{name}'", call).raw_response.json()

    # ---- connections ------------------------------------------------------------------------------------------
    def connections(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            request = api.ListConnectionsRequest(workspace_ids=[self.target.workspace_id], limit=PAGE_SIZE,
                                                 offset=len(items))
            page = self._call("the connections",
                              lambda request=request: self.sdk.connections.list_connections(request))
            body = page.raw_response.json()
            items += body.get("data", [])
            if not body.get("next") or not body.get("data"):
                return items

    def create_connection(self, name: str, source_id: str, destination_id: str, streams: list[dict[str, Any]],
                          schedule: dict[str, Any]) -> dict[str, Any]:
        request = models.ConnectionCreateRequest(
            destination_id=destination_id, source_id=source_id, name=name, configurations=_streams(streams),
            schedule=_schedule(schedule))
        return self._call(f"connection '{name}'", lambda: self.sdk.connections.create_connection(request)
                          ).raw_response.json()

    def patch_connection(self, connection_id: str, name: str, streams: Optional[list[dict[str, Any]]],
                         schedule: Optional[dict[str, Any]]) -> dict[str, Any]:
        patch = models.ConnectionPatchRequest(name=name, configurations=_streams(streams) if streams else None,
                                              schedule=_schedule(schedule) if schedule else None)
        request = api.PatchConnectionRequest(connection_patch_request=patch, connection_id=connection_id)
        return self._call(f"connection '{name}'", lambda: self.sdk.connections.patch_connection(request)
                          ).raw_response.json()

    # ---- failures in words ------------------------------------------------------------------------------------
    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            # PyAirbyte prints progress lines of its own; the SDK warns when it cannot decode a configuration into
            # one of its connector classes, and its warning holds the whole configuration, secrets included.
            with redirect_stdout(StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    return call()
                except errors.SDKError as error:
                    if error.status_code != 401:
                        raise
                    # A token that died before its time (revoked, or the server restarted): the SDK's token hook
                    # dropped it on the 401, so one more try fetches a new one. Once: a second 401 is an answer.
                    return call()
        except errors.SDKError as error:
            raise DeployError(f"{what}: {self._answer(error.status_code, error.body)}") from None
        except requests.RequestException as error:
            raise DeployError(f"{what}: cannot reach {self.target.api_root}: {type(error).__name__}: "
                              f"{str(error).splitlines()[0] if str(error) else ''}") from None
        except Exception as error:  # noqa: BLE001 - the SDK's token hook and PyAirbyte raise plain exceptions
            token = TOKEN_FAILURE.search(str(error))
            if token:
                raise DeployError(self._credentials_refused(int(token.group(1)))) from None
            status = getattr(error, "context", None) or {}
            if isinstance(status, dict) and status.get("status_code"):
                raise DeployError(f"{what}: {self._answer(status['status_code'], '')}") from None
            raise DeployError(f"{what}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
                              ) from None

    def _credentials_refused(self, status: int) -> str:
        names = " and ".join(self.target.credential_variables) or "the client id and secret"
        return (f"Airbyte refused the client id and secret ({status} from {self.target.api_root}/applications/token): "
                f"check {names} (an application of the workspace's user: Settings > Applications)")

    def _answer(self, status: int, body: str) -> str:
        """A problem answer (RFC 9457, api-problems.yaml) in one line: its title and its message or detail."""
        try:
            problem = json.loads(body) if body else {}
        except ValueError:
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        data = problem.get("data") if isinstance(problem.get("data"), dict) else {}
        said = data.get("message") or data.get("validationErrorMessage") or problem.get("detail") or ""
        title = problem.get("title") or ""
        if status == 401:
            return f"Airbyte refused the token (401 {title}): check the client id and secret"
        if status == 404 and data.get("resourceType") == "workspace":
            return (f"workspace {self.target.workspace_id} was not found at {self.target.api_root} (404): check "
                    "workspace_id in the deploy target, and that the application belongs to that workspace's user")
        text = f"Airbyte answered {status}" + (f" {title}" if title else "") + (f": {said}" if said else "")
        return text.replace("\n", " ")


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _streams(streams: list[dict[str, Any]]) -> models.StreamConfigurations:
    return models.StreamConfigurations(streams=[models.StreamConfiguration(
        name=s["name"], sync_mode=models.ConnectionSyncModeEnum(s["syncMode"]), cursor_field=s.get("cursorField"),
        primary_key=s.get("primaryKey")) for s in streams])


def _schedule(schedule: dict[str, Any]) -> models.AirbyteAPIConnectionSchedule:
    return models.AirbyteAPIConnectionSchedule(schedule_type=models.ScheduleTypeEnum(schedule["scheduleType"]),
                                               cron_expression=schedule.get("cronExpression"))
