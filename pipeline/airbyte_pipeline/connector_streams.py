"""Each source's `streams` checked against the streams the connector really has, before anything runs.

The connector says which streams it has through the protocol: `<connector> discover --config <its config>`. Our
sources build their catalog from their packaged manifest without a call to the vendor's API (so a misspelt stream
is found by `--dry-run` too, offline). The pipeline runs the CLIs and imports none of them. The sources are asked at
once (each discover starts its own CDK), and only those whose config passed its spec check.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from airbyte_pipeline.pipeline_file import Pipeline, Source
from airbyte_pipeline.problems import Problem
from airbyte_pipeline.yaml_lines import FieldPath, dotted

DISCOVER_TIMEOUT_SECONDS = 300


class StreamsUnavailable(Exception):
    pass


def discovered_catalog(source: Source) -> dict[str, dict[str, Any]]:
    """The catalog `<connector> discover` prints for the source's config, by stream name. Asked once per connector
    and config in a process: `run` checks the streams with it and `deploy` reads the sync modes from it."""
    key = (source.connector, json.dumps(source.config, sort_keys=True))
    if key not in _CATALOGS:
        _CATALOGS[key] = _discover(source)
    return _CATALOGS[key]


_CATALOGS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


def _discover(source: Source) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="airbyte-pipeline-") as folder:  # mode 0700: the config holds secrets
        config = Path(folder) / "config.json"
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(source.config, out)
        try:
            done = subprocess.run([source.connector, "discover", "--config", str(config)], capture_output=True,
                                  text=True, timeout=DISCOVER_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise StreamsUnavailable(f"`{source.connector_name} discover` did not answer: {error}") from None
    errors = []
    for line in done.stdout.splitlines():
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("type") == "CATALOG":
            return {stream["name"]: stream for stream in message["catalog"]["streams"]}
        if message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR":
            errors.append(message["trace"]["error"].get("message", ""))
    said = f": {' '.join(errors)}" if errors else f" (exit code {done.returncode})"
    raise StreamsUnavailable(f"`{source.connector_name} discover` printed no catalog{said}")


def stream_problems(pipeline: Pipeline, skip: set[str] = frozenset()) -> list[Problem]:
    """A problem (with its line) for each stream a source lists that its connector does not have; the sources in
    `skip` (their config has problems already) are not asked."""
    asked = [source for key, source in pipeline.sources.items() if key not in skip]
    if not asked:
        return []
    with ThreadPoolExecutor(max_workers=len(asked)) as pool:
        answers = list(pool.map(_answer, asked))
    problems = []
    for source, (known, failure) in zip(asked, answers):
        if failure is not None:
            path: FieldPath = ("sources", source.key, "connector")
            problems.append(Problem(pipeline.document.line_of(path), dotted(path), pipeline.redactor.clean(failure)))
            continue
        for index, name in enumerate(source.streams):
            if name not in known:
                path = ("sources", source.key, "streams", index)
                problems.append(Problem(pipeline.document.line_of(path), dotted(path),
                                        f"{source.connector_name} has no stream '{name}'{_suggestion(name, known)}; "
                                        f"its streams: {', '.join(sorted(known))}"))
    return problems


def _answer(source: Source) -> tuple[list[str], str | None]:
    try:
        return list(discovered_catalog(source)), None
    except StreamsUnavailable as error:
        return [], str(error)


def _suggestion(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
