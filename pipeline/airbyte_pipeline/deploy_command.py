"""`airbyte-pipeline deploy PIPELINE --to TARGET [--dry-run]`: the pipeline file's sources (and, on a self-managed
instance, its pushes to Plecto) as Airbyte definitions, sources, destinations and connections.

Order: the files (pipeline, connector configs, schedule, target, editions) are checked before any call; then the
workspace is read (GET only) and the plan printed; `--dry-run` stops there. Then each step runs in order
(definitions, sources, destinations, connections) and each id is recorded as soon as Airbyte gives it.

A failure is one line naming its cause. Before the first write (bad credentials, a missing workspace, a name taken
by another object) nothing has changed. After it, nothing is rolled back: what was created is recorded, and running
deploy again finishes the job (it finds those objects and creates only what is missing).
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from airbyte_pipeline.connector_specs import check_connector_configs
from airbyte_pipeline.deploy_api import AirbyteApi, DeployError
from airbyte_pipeline.deploy_desired import Desired, DesiredStateError, desired_state
from airbyte_pipeline.deploy_plan import CREATE, SAME, UPDATE, Step, Workspace, make_plan, plan_text, secret_values
from airbyte_pipeline.deploy_record import DeployRecord, secrets_digest
from airbyte_pipeline.deploy_schedule import more_than_hourly, quartz_problem
from airbyte_pipeline.deploy_target import DeployTarget, load_target
from airbyte_pipeline.pipeline_file import Pipeline
from airbyte_pipeline.problems import PipelineFileError, Problem

EXIT_OK, EXIT_FAILED, EXIT_BAD_FILE = 0, 1, 2


def deploy(pipeline: Pipeline, target_path, dry_run: bool = False) -> int:
    say = lambda text: print(pipeline.redactor.clean(text), flush=True)  # noqa: E731
    fail = lambda text: print(pipeline.redactor.clean(f"airbyte-pipeline deploy: {text}"), file=sys.stderr)  # noqa: E731
    problems, notes = check_connector_configs(pipeline)
    for note in notes:
        print(pipeline.redactor.clean(f"warning: {note}"), file=sys.stderr)
    try:
        target, secrets = load_target(target_path, pipeline.document, pipeline.file)
    except PipelineFileError as error:
        print(pipeline.redactor.clean(error.describe()), file=sys.stderr)
        return EXIT_BAD_FILE
    pipeline.redactor.add(secrets)
    problems += _schedule_problems(pipeline, target)
    if problems:
        print(pipeline.redactor.clean(PipelineFileError(problems, str(pipeline.file)).describe()), file=sys.stderr)
        return EXIT_BAD_FILE
    schedule = pipeline.document.data.get("schedule")
    try:
        desired = desired_state(pipeline, target, schedule)
    except DesiredStateError as error:
        fail(f"{error} (nothing was called)")
        return EXIT_BAD_FILE
    record = DeployRecord.load(pipeline.state_dir)
    api = AirbyteApi(target)
    try:
        workspace_info = api.check_workspace()
        plan = make_plan(desired, _read_workspace(api, desired), record, target.key, target.client_secret)
    except DeployError as error:
        fail(f"{error} (nothing was changed)" if "nothing was changed" not in str(error) else str(error))
        return EXIT_FAILED
    say(_heading(pipeline, target, workspace_info, schedule, desired))
    say(plan_text(plan))
    for note in desired.notes:
        say(f"note: {note}")
    if dry_run:
        say("Dry run: nothing was changed (the workspace was only read).")
        return EXIT_OK
    done: list[Step] = []
    try:
        for step in plan:
            _apply(api, step, plan, record, target, desired)
            done.append(step)
    except DeployError as error:
        written = [s for s in done if s.action in (CREATE, UPDATE)]
        fail(f"stopped at {_label(step)}: {error}. "
             + (f"{len(written)} change(s) made before it are recorded in {record.path}; nothing is rolled back: "
                "run deploy again to finish the job." if written else "Nothing was changed."))
        return EXIT_FAILED
    record.finish(target.key, {"kind": target.kind, "api_root": target.api_root, "workspace_id": target.workspace_id,
                               "sources_as": target.sources_as, "schedule": schedule,
                               "not_deployed": [note for note in desired.notes if "not deployed" in note]})
    changed = sum(1 for s in plan if s.action != SAME)
    say(f"Deployed: {sum(1 for s in plan if s.action == CREATE)} created, "
        f"{sum(1 for s in plan if s.action == UPDATE)} updated, {sum(1 for s in plan if s.action == SAME)} unchanged"
        + (f"; ids in {record.path}" if changed else "") + ".")
    return EXIT_OK


def _schedule_problems(pipeline: Pipeline, target: DeployTarget) -> list[Problem]:
    schedule = pipeline.document.data.get("schedule")
    if schedule is None:
        return []
    line = pipeline.document.line_of(("schedule",))
    problem = quartz_problem(schedule)
    if problem:
        return [Problem(line, "schedule", problem)]
    if target.is_cloud and more_than_hourly(schedule):
        return [Problem(line, "schedule", "Airbyte Cloud runs a connection at most once an hour: name one second "
                                          "and one minute (e.g. '0 15 * * * ?')")]
    return []


def _read_workspace(api: AirbyteApi, desired: Desired) -> Workspace:
    """Only GETs: the definitions (both kinds: a name may be taken by the other), sources, and on a self-managed
    instance the destinations and connections."""
    return Workspace(
        declarative=api.declarative_definitions(),
        docker={"source": api.docker_definitions("source"),
                **({"destination": api.docker_definitions("destination")} if desired.destinations else {})},
        sources=api.actors("source"),
        destinations=api.actors("destination") if desired.destinations else [],
        connections=api.connections() if desired.connections else [])


def _apply(api: AirbyteApi, step: Step, plan: list[Step], record: DeployRecord, target: DeployTarget,
           desired: Desired) -> None:
    ids = {(s.section, s.key): (s.existing or {}).get("id") for s in plan}
    if step.section == "definitions":
        entry = _apply_definition(api, step)
    elif step.section in ("sources", "destinations"):
        actor = step.desired
        definition_id = ids[("definitions", actor.definition)]
        if step.action == CREATE:
            made = api.create_actor(actor.role, actor.name, definition_id, actor.config)
            step.existing = {**made, "id": made[f"{actor.role}Id"]}
        elif step.action == UPDATE:
            api.put_actor(actor.role, step.existing["id"], actor.name, actor.config)
        entry = {"id": step.existing["id"], "name": actor.name, "definition_id": definition_id,
                 "secrets_digest": secrets_digest(target.client_secret, secret_values(actor))}
    else:
        connection = step.desired
        streams = [s.as_api() for s in connection.streams]
        if step.action == CREATE:
            made = api.create_connection(connection.name, ids[("sources", connection.source)],
                                         ids[("destinations", connection.destination)], streams,
                                         connection.schedule_api())
            step.existing = {**made, "id": made["connectionId"]}
        elif step.action == UPDATE:
            api.patch_connection(step.existing["id"], connection.name, streams, connection.schedule_api())
        entry = {"id": step.existing["id"], "name": connection.name,
                 "streams": [s.describe() for s in connection.streams], "schedule": connection.schedule}
    if step.action != SAME or not step.recorded:
        record.put(target.key, step.section, step.key, entry)


def _apply_definition(api: AirbyteApi, step: Step) -> dict[str, Any]:
    definition = step.desired
    if definition.type == "declarative":
        if step.action == CREATE:
            made = api.publish_declarative(definition.name, definition.manifest)
            step.existing = {"id": made.id, "version": made.version}
        elif step.action == UPDATE:
            made = api.update_declarative(step.existing["id"], definition.name, definition.manifest)
            step.existing = {**step.existing, "version": made.version}
        return {"id": step.existing["id"], "name": definition.name, "type": "declarative",
                "edition": definition.edition.kind if definition.edition else None,
                "version": step.existing.get("version")}
    image = definition.image
    if step.action == CREATE:
        made = api.create_docker_definition(definition.role, definition.name, image.repository, image.tag)
        step.existing = {**made, "id": made["id"]}
    elif step.action == UPDATE:
        api.update_docker_definition(definition.role, step.existing["id"], definition.name, image.tag)
    return {"id": step.existing["id"], "name": definition.name, "type": "docker", "image": str(image),
            "role": definition.role}


def _label(step: Step) -> str:
    return f"{step.action} {step.what} '{step.name}'"


def _heading(pipeline: Pipeline, target: DeployTarget, workspace: dict[str, Any], schedule: Optional[str],
             desired: Desired) -> str:
    if target.is_cloud:
        form = "sources as their Cloud edition (no custom code)"
    elif target.sources_as == "image":
        form = "sources as their images, destination-plecto as its image"
    else:
        form = "sources as their manifest-only edition (custom components in each source's config), " \
               "destination-plecto as its image"
    return "\n".join([
        f"Deploy '{pipeline.name}' ({pipeline.file}) to Airbyte {target.kind} at {target.api_root}",
        f"workspace: {workspace.get('name', '?')} ({target.workspace_id})",
        f"form: {form}",
        f"schedule: {schedule + ' (Quartz cron, UTC)' if schedule else 'none: connections run when started'}"
        + ("" if desired.connections or not schedule else " (no connection on Airbyte Cloud to schedule)"),
        ""])
