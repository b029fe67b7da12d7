"""Each connector config of a pipeline file checked against the connector's own spec (`<connector> spec`) before
anything runs: wrong types, missing and unknown fields are problems with their line. The fields a spec marks
secret are masked in all output, and a secret written in the file rather than as ${VARIABLE} is warned about.
Then each source's streams against the streams its connector has (connector_streams). `run` and `run --dry-run`
both check all of it before the first call."""

from __future__ import annotations

import functools
import json
import subprocess
from typing import Any, Iterator

from airbyte_pipeline.connector_streams import stream_problems
from airbyte_pipeline.pipeline_file import Pipeline
from airbyte_pipeline.problems import Problem
from airbyte_pipeline.schema_check import schema_problems
from airbyte_pipeline.yaml_lines import FieldPath, dotted

SPEC_TIMEOUT_SECONDS = 120


class SpecUnavailable(Exception):
    pass


@functools.lru_cache(maxsize=None)  # a run and a deploy ask once per connector (each `spec` starts a CDK)
def connector_spec(executable: str) -> dict:
    """The connectionSpecification a connector answers to `spec`."""
    try:
        done = subprocess.run([executable, "spec"], capture_output=True, text=True, timeout=SPEC_TIMEOUT_SECONDS,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SpecUnavailable(f"`{executable} spec` did not answer: {error}") from None
    for line in done.stdout.splitlines():
        if line.startswith("{") and '"SPEC"' in line:
            return json.loads(line)["spec"]["connectionSpecification"]
    raise SpecUnavailable(f"`{executable} spec` printed no spec (exit code {done.returncode})")


def check_connector_configs(pipeline: Pipeline) -> tuple[list[Problem], list[str]]:
    """Problems (with lines) and warnings of every connector config and every source's streams; adds spec-secret
    values to the redactor."""
    problems: list[Problem] = []
    warnings: list[str] = []
    unchecked: set[str] = set()  # sources whose config has problems: their streams cannot be asked for
    for key, source in pipeline.sources.items():
        prefix: FieldPath = ("sources", key, "config")
        before = len(problems)
        _check(pipeline, source.connector, source.config, lambda path, prefix=prefix: (*prefix, *path),
               problems, warnings)
        if len(problems) > before:
            unchecked.add(key)
    if pipeline.plecto_connector:
        config = {**pipeline.plecto_config, "streams": [push.mapping for push in pipeline.pushes]}
        _check(pipeline, pipeline.plecto_connector, config, _destination_path, problems, warnings)
    problems.extend(stream_problems(pipeline, skip=unchecked))
    return problems, warnings


def _destination_path(path: FieldPath) -> FieldPath:
    """A path in the composed destination config -> where the file holds it."""
    if path[:1] == ("streams",):
        return ("plecto", *path)
    return ("plecto", "config", *path)


def _check(pipeline: Pipeline, executable: str, config: dict, to_file_path, problems: list[Problem],
           warnings: list[str]) -> None:
    document = pipeline.document
    try:
        spec = connector_spec(executable)
    except SpecUnavailable as error:
        problems.append(Problem(document.line_of(to_file_path(())), dotted(to_file_path(())), str(error)))
        return
    problems.extend(schema_problems(spec, config, document, to_file_path))
    problems.extend(Problem(document.line_of(to_file_path(path)), dotted(to_file_path(path)),
                            f"not a field of {executable.rsplit('/', 1)[-1]}'s config; its fields: {', '.join(known)}")
                    for path, known in _unknown_fields(spec, config))
    for path in secret_paths(spec, config):
        value = _get(config, path)
        pipeline.redactor.add([value])
        raw = _get(document.data, to_file_path(path))
        if isinstance(raw, str) and "${" not in raw:
            file_path = to_file_path(path)
            warnings.append(f"{pipeline.file}:{document.line_of(file_path)}: {dotted(file_path)} is a secret written "
                            "in the file: give it as ${VARIABLE} (from the environment or env_file) instead")


def _unknown_fields(schema: dict, value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, list[str]]]:
    """Keys the spec does not name, in objects whose spec lists properties (most specs allow any key)."""
    if isinstance(value, dict) and "properties" in schema and schema.get("additionalProperties", True) is not False:
        known = sorted(schema["properties"])
        for key, item in value.items():
            if key not in schema["properties"]:
                yield (*path, key), known
            else:
                yield from _unknown_fields(schema["properties"][key], item, (*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _unknown_fields(schema["items"], item, (*path, index))


def secret_paths(schema: dict, value: Any, path: FieldPath = ()) -> Iterator[FieldPath]:
    """Where a config holds a value its connector's spec marks secret (`airbyte_secret`)."""
    if schema.get("airbyte_secret") and isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            sub = schema.get("properties", {}).get(key)
            if isinstance(sub, dict):
                yield from secret_paths(sub, item, (*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from secret_paths(schema["items"], item, (*path, index))


def _get(data: Any, path: FieldPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
