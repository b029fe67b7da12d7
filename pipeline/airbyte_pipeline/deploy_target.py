"""A deploy target file (`airbyte-pipeline deploy PIPELINE --to TARGET`): which Airbyte instance, which workspace,
with which credentials, and in which form the connectors go there. Checked like a pipeline file, before any call:
every problem with its line and field.

    kind: self-managed                 # or cloud
    api_root: http://airbyte.internal:8000/api/public/v1   # cloud: https://api.airbyte.com/v1 (the default)
    workspace_id: 01d8ee20-3f57-46fe-b170-32931f731c55
    client_id: ${AIRBYTE_CLIENT_ID}    # an application's client id and secret: ${VARIABLES} only, from the
    client_secret: ${AIRBYTE_CLIENT_SECRET}   # environment or the pipeline's env_file
    sources_as: manifest               # self-managed: manifest (the manifest-only edition) or image
    images:                            # self-managed: each image as pushed to the instance's registry
      destination-plecto: registry.example.com/airbyte/destination-plecto:0.3.0
    editions_dir: ../editions          # default: editions/ at the repository root

Relative paths are relative to the target file's folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from airbyte_pipeline.env_values import check_placeholders, placeholders, read_env_file, substitute
from airbyte_pipeline.problems import PipelineFileError, Problem
from airbyte_pipeline.schema_check import schema_problems
from airbyte_pipeline.yaml_lines import YamlDocument, dotted, load_yaml

CLOUD_API_ROOT = "https://api.airbyte.com/v1"
KINDS = ("cloud", "self-managed")
DESTINATION = "destination-plecto"
# editions/ beside the pipeline package, at the repository root (the lead points it at the generated folders)
DEFAULT_EDITIONS_DIR = Path(__file__).resolve().parents[2] / "editions"
IMAGE = r"^[a-z0-9][a-z0-9._/:-]*:[A-Za-z0-9_][A-Za-z0-9_.-]*$"

TARGET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Deploy target",
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "workspace_id", "client_id", "client_secret"],
    "properties": {
        "kind": {"enum": list(KINDS), "description": "cloud: Airbyte Cloud; self-managed: Core or Self-Managed "
                                                     "Enterprise (Docker definitions, custom components)."},
        "api_root": {"type": "string", "pattern": "^https?://", "description": "The public API's root, up to /v1. "
                     "Default for cloud: " + CLOUD_API_ROOT + "; self-managed: http(s)://<host>/api/public/v1."},
        "workspace_id": {"type": "string", "pattern": "^[0-9a-fA-F-]{36}$"},
        "client_id": {"type": "string", "minLength": 1},
        "client_secret": {"type": "string", "minLength": 1},
        "sources_as": {"enum": ["manifest", "image"], "description": "self-managed only: the manifest-only "
                       "edition (default) or each source's image (images: must name it). Cloud: the Cloud edition."},
        "images": {"type": "object", "description": "connector name -> repository:tag as the instance pulls it",
                   "additionalProperties": {"type": "string", "pattern": IMAGE,
                                            "pattern_descriptor": "repository:tag, e.g. registry/name:0.3.0"}},
        "editions_dir": {"type": "string", "minLength": 1},
    },
}


@dataclass(frozen=True)
class Image:
    repository: str
    tag: str

    @classmethod
    def parse(cls, text: str) -> "Image":
        repository, _, tag = text.rpartition(":")
        return cls(repository, tag)

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass(frozen=True)
class DeployTarget:
    file: Path
    kind: str
    api_root: str
    workspace_id: str
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    sources_as: str  # manifest | image (cloud: always manifest, the Cloud edition)
    images: dict[str, Image]
    editions_dir: Path
    credential_variables: tuple[str, ...]  # the ${VARIABLES} the credentials came from, for messages

    @property
    def is_cloud(self) -> bool:
        return self.kind == "cloud"

    @property
    def key(self) -> str:
        """Names this target in the deploy record: one pipeline may go to several instances."""
        return f"{self.api_root}#{self.workspace_id}"

    def describe(self) -> str:
        return f"{self.kind} {self.api_root}, workspace {self.workspace_id}"


def load_target(path: Path, pipeline_document: YamlDocument, pipeline_file: Path,
                environ: Mapping[str, str] = os.environ) -> tuple[DeployTarget, set[str]]:
    """The checked target and the secret values it holds (for the redactor); PipelineFileError naming every
    problem otherwise. Variables come from the environment, then from the pipeline's env_file."""
    try:
        return _load(path, pipeline_document, pipeline_file, environ)
    except PipelineFileError as error:
        raise error.in_file(str(path)) from None


def _load(path: Path, pipeline_document: YamlDocument, pipeline_file: Path,
          environ: Mapping[str, str]) -> tuple[DeployTarget, set[str]]:
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PipelineFileError([Problem(None, "", f"cannot read the deploy target: {error.strerror}")]) from None
    data = document.data
    env = dict(environ)
    pipeline_data = pipeline_document.data
    if isinstance(pipeline_data, dict) and isinstance(pipeline_data.get("env_file"), str):
        env = {**read_env_file(pipeline_file.resolve().parent / pipeline_data["env_file"]), **env}
    problems = schema_problems(TARGET_SCHEMA, data, document)
    if problems:
        raise PipelineFileError(problems + check_placeholders(document, env))
    problems = check_placeholders(document, env) + _rule_problems(data, document)
    if problems:
        raise PipelineFileError(problems)
    secrets: set[str] = set()
    resolved = substitute(data, env, secrets)
    secrets |= {resolved["client_id"], resolved["client_secret"]}
    base = path.resolve().parent
    kind = resolved["kind"]
    target = DeployTarget(
        file=path, kind=kind, api_root=resolved.get("api_root", CLOUD_API_ROOT).rstrip("/"),
        workspace_id=resolved["workspace_id"], client_id=resolved["client_id"],
        client_secret=resolved["client_secret"],
        sources_as="manifest" if kind == "cloud" else resolved.get("sources_as", "manifest"),
        images={name: Image.parse(text) for name, text in resolved.get("images", {}).items()},
        editions_dir=(base / resolved["editions_dir"]).resolve() if "editions_dir" in resolved
        else DEFAULT_EDITIONS_DIR,
        credential_variables=tuple(name for path_, name in placeholders(data) if path_[0] in ("client_id",
                                                                                            "client_secret")),
    )
    return target, secrets


def _rule_problems(data: dict, document: YamlDocument) -> list[Problem]:
    """What the schema cannot say: credentials only as ${VARIABLES}; self-managed needs its api_root and images."""
    problems = []
    for name in ("client_id", "client_secret"):
        if "${" not in data[name]:
            problems.append(Problem(document.line_of((name,)), name, "give it as ${VARIABLE} (from the environment "
                                    "or the pipeline's env_file), never in the file"))
    if data["kind"] == "cloud":
        for name in ("sources_as", "images"):
            if name in data:
                problems.append(Problem(document.line_of((name,)), name, "not for Airbyte Cloud: it runs the Cloud "
                                        "edition of each source and no custom Docker connector"))
    else:
        if "api_root" not in data:
            problems.append(Problem(document.line_of(()), "api_root", "missing (required for a self-managed "
                                    "instance, e.g. http://localhost:8000/api/public/v1)"))
        if DESTINATION not in data.get("images", {}):
            path = ("images",) if "images" in data else ()
            problems.append(Problem(document.line_of(path), dotted(("images", DESTINATION)),
                                    "missing: destination-plecto runs from its image on a self-managed instance "
                                    "(repository:tag as pushed to the instance's registry)"))
    return problems


def missing_images(target: DeployTarget, connectors: list[str]) -> Optional[str]:
    """With sources_as: image, the sources whose image the target does not name."""
    if target.sources_as != "image":
        return None
    missing = [name for name in connectors if name not in target.images]
    return ", ".join(missing) if missing else None
