"""The plan of a deploy: for each object the file asks for, what is already in the workspace and what must change.

An object is found by the id this pipeline recorded for it (airbyte-deploy.json), else by its name, which `deploy`
gives it (a rerun after a lost record, or after a deploy that stopped before it could record an id, adopts it). A
name held by an object that cannot be ours (a definition of another kind or image, a source on another
definition, a connection between other objects, two objects of one name) stops the deploy before any write.

Secrets: Airbyte shows them masked, so a configuration is compared field by field except where the API shows a
mask; secret values are compared by the digest the record keeps (no record: they are sent again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from airbyte_pipeline.deploy_api import DeclarativeDefinition, DeployError
from airbyte_pipeline.deploy_desired import Desired, DesiredActor, DesiredConnection, DesiredDefinition
from airbyte_pipeline.deploy_record import DeployRecord, secrets_digest
from airbyte_pipeline.text_table import render

CREATE, UPDATE, SAME = "create", "update", "same"


@dataclass
class Workspace:
    """What the workspace holds now, as the API shows it."""
    declarative: list[DeclarativeDefinition]
    docker: dict[str, list[dict[str, Any]]]  # role -> Docker definitions (the catalog's included)
    sources: list[dict[str, Any]]
    destinations: list[dict[str, Any]]
    connections: list[dict[str, Any]]


@dataclass
class Step:
    action: str  # create | update | same
    section: str  # definitions | sources | destinations | connections
    key: str  # the desired object's key (connector, source key, push label)
    what: str  # words: "source definition", "source", ...
    name: str
    desired: Any
    existing: Optional[dict[str, Any]] = None  # {"id": ..., ...} of the object found
    changes: list[str] = field(default_factory=list)
    recorded: bool = False  # the record already holds this object's id

    def detail(self) -> str:
        if self.action == UPDATE:
            return "; ".join(self.changes)
        if self.section == "definitions":
            return self.desired.describe()
        if self.section == "connections":
            streams = ", ".join(s.describe() for s in self.desired.streams)
            return f"{streams}; schedule {self.desired.schedule or 'manual'}"
        return f"on '{self.desired.definition}'"


def make_plan(desired: Desired, workspace: Workspace, record: DeployRecord, target_key: str,
              digest_key: str) -> list[Step]:
    plan = [_definition_step(d, workspace, record, target_key) for d in desired.definitions]
    definition_ids = {step.key: (step.existing or {}).get("id") for step in plan}
    actor_ids: dict[tuple[str, str], Optional[str]] = {}
    for section, actors, shown in (("sources", desired.sources, workspace.sources),
                                   ("destinations", desired.destinations, workspace.destinations)):
        for actor in actors:
            step = _actor_step(section, actor, shown, definition_ids, record, target_key, digest_key)
            actor_ids[(section, actor.key)] = (step.existing or {}).get("id")
            plan.append(step)
    for connection in desired.connections:
        plan.append(_connection_step(connection, workspace, actor_ids, record, target_key))
    return plan


def plan_text(plan: list[Step]) -> str:
    rows = [[step.action, step.what, step.name, step.detail()] for step in plan]
    counts = {action: sum(1 for step in plan if step.action == action) for action in (CREATE, UPDATE, SAME)}
    summary = (f"{counts[CREATE]} to create, {counts[UPDATE]} to update, {counts[SAME]} unchanged"
               if counts[CREATE] or counts[UPDATE] else f"nothing to change: all {counts[SAME]} match the file")
    return render(["", "object", "name", "what"], rows) + f"\n\nPlan: {summary}."


# ---- definitions --------------------------------------------------------------------------------------------
def _definition_step(definition: DesiredDefinition, workspace: Workspace, record: DeployRecord,
                     target_key: str) -> Step:
    step = Step(CREATE, "definitions", definition.key, f"{definition.role} definition", definition.name, definition)
    recorded = record.get(target_key, "definitions", definition.key) or {}
    declarative = [{"id": d.id, "name": d.name, "manifest": d.manifest, "version": d.version}
                   for d in workspace.declarative] if definition.role == "source" else []
    docker = workspace.docker.get(definition.role, [])
    ours, others = (declarative, docker) if definition.type == "declarative" else (docker, declarative)
    found = _find(ours, "id", recorded.get("id"), definition.name, f"{definition.role} definition")
    if found is None:
        taken = [item for item in others if item["name"] == definition.name]
        if taken:
            kind = "a Docker" if definition.type == "declarative" else "a declarative"
            raise DeployError(f"the name '{definition.name}' is taken by {kind} {definition.role} definition "
                              f"({taken[0]['id']}); this deploy publishes a {definition.type} one: rename or delete "
                              "that definition in Airbyte, then deploy again (nothing was changed)")
        return step
    step.existing, step.recorded = found, bool(recorded) and recorded.get("id") == found["id"]
    if definition.type == "declarative":
        if found.get("manifest") != definition.manifest:
            step.changes.append(f"manifest changed (version {found.get('version')} -> next)")
    else:
        if found.get("dockerRepository") != definition.image.repository:
            raise DeployError(f"the name '{definition.name}' is taken by a {definition.role} definition of another "
                              f"image ({found.get('dockerRepository')}, id {found['id']}); this deploy publishes "
                              f"{definition.image.repository}: rename or delete that definition in Airbyte, then "
                              "deploy again (nothing was changed)")
        if found.get("dockerImageTag") != definition.image.tag:
            step.changes.append(f"image tag {found.get('dockerImageTag')} -> {definition.image.tag}")
    step.action = UPDATE if step.changes else SAME
    return step


# ---- sources and destinations -------------------------------------------------------------------------------
def _actor_step(section: str, actor: DesiredActor, shown: list[dict[str, Any]],
                definition_ids: dict[str, Optional[str]], record: DeployRecord, target_key: str,
                digest_key: str) -> Step:
    role = actor.role
    step = Step(CREATE, section, actor.key, role, actor.name, actor)
    recorded = record.get(target_key, section, actor.key) or {}
    items = [{**item, "id": item.get(f"{role}Id")} for item in shown]
    found = _find(items, "id", recorded.get("id"), actor.name, role)
    if found is None:
        return step
    wanted_definition = definition_ids.get(actor.definition)
    if found.get("definitionId") != wanted_definition:
        raise DeployError(f"the {role} '{actor.name}' ({found['id']}) runs on another definition "
                          f"({found.get('definitionId')}) than this deploy's '{actor.definition}': delete or rename "
                          "it in Airbyte, then deploy again (nothing was changed)")
    step.existing, step.recorded = found, bool(recorded) and recorded.get("id") == found["id"]
    if found.get("name") != actor.name:
        step.changes.append("renamed")
    changed = config_changes(actor.config, found.get("configuration") or {})
    if changed:
        step.changes.append(f"configuration: {', '.join(changed)} changed")
    digest = secrets_digest(digest_key, secret_values(actor))
    if not step.recorded or recorded.get("secrets_digest") != digest:
        if actor.secret_paths:
            step.changes.append("secret values changed" if step.recorded else "secret values sent again (not "
                                                                                "recorded by an earlier deploy)")
    step.action = UPDATE if step.changes else SAME
    return step


def secret_values(actor: DesiredActor) -> list[tuple[tuple[Any, ...], Any]]:
    values = []
    for path in actor.secret_paths:
        value: Any = actor.config
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        values.append((path, value))
    return values


def config_changes(desired: Any, shown: Any, path: str = "") -> list[str]:
    """The fields whose value Airbyte shows differently from the file (masked values skipped: secrets)."""
    if _masked(shown):
        return []
    if isinstance(desired, dict) and isinstance(shown, dict):
        changes = []
        for key in sorted(set(desired) | set(shown)):
            where = f"{path}.{key}" if path else str(key)
            if key not in desired or key not in shown:
                changes.append(where)
            else:
                changes += config_changes(desired[key], shown[key], where)
        return changes
    return [] if desired == shown else [path or "configuration"]


def _masked(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 3 and set(value) == {"*"}


# ---- connections --------------------------------------------------------------------------------------------
def _connection_step(connection: DesiredConnection, workspace: Workspace,
                     actor_ids: dict[tuple[str, str], Optional[str]], record: DeployRecord, target_key: str) -> Step:
    step = Step(CREATE, "connections", connection.key, "connection", connection.name, connection)
    recorded = record.get(target_key, "connections", connection.key) or {}
    items = [{**item, "id": item.get("connectionId")} for item in workspace.connections]
    found = _find(items, "id", recorded.get("id"), connection.name, "connection")
    if found is None:
        return step
    source_id = actor_ids.get(("sources", connection.source))
    destination_id = actor_ids.get(("destinations", connection.destination))
    if (found.get("sourceId"), found.get("destinationId")) != (source_id, destination_id):
        raise DeployError(f"the connection '{connection.name}' ({found['id']}) joins another source or destination "
                          "than this deploy's: delete or rename it in Airbyte, then deploy again (nothing was "
                          "changed)")
    step.existing, step.recorded = found, bool(recorded) and recorded.get("id") == found["id"]
    if found.get("name") != connection.name:
        step.changes.append("renamed")
    if stream_set(found.get("configurations", {}).get("streams", [])) != stream_set(
            [s.as_api() for s in connection.streams]):
        step.changes.append("streams: " + ", ".join(s.describe() for s in connection.streams))
    schedule = found.get("schedule") or {}
    if (schedule.get("scheduleType"), schedule.get("cronExpression") or None) != (
            "cron" if connection.schedule else "manual", connection.schedule):
        step.changes.append(f"schedule {schedule.get('cronExpression') or schedule.get('scheduleType')} -> "
                            f"{connection.schedule or 'manual'}")
    step.action = UPDATE if step.changes else SAME
    return step


def stream_set(streams: list[dict[str, Any]]) -> set[tuple]:
    return {(s.get("name"), s.get("syncMode"), tuple(s.get("cursorField") or ()),
             tuple(tuple(key) for key in s.get("primaryKey") or ())) for s in streams}


def _find(items: list[dict[str, Any]], id_field: str, recorded_id: Optional[str], name: str,
          what: str) -> Optional[dict[str, Any]]:
    """The object recorded for this name, else the one object of that name; two of one name stop the deploy."""
    if recorded_id:
        for item in items:
            if item.get(id_field) == recorded_id:
                return item
    named = [item for item in items if item.get("name") == name]
    if len(named) > 1:
        raise DeployError(f"{len(named)} {what}s are named '{name}' ({', '.join(i[id_field] for i in named)}) and "
                          "none is recorded as this pipeline's: delete or rename the extra ones in Airbyte, then "
                          "deploy again (nothing was changed)")
    return named[0] if named else None
