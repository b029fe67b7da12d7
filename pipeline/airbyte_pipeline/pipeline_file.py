"""A pipeline file read and checked before anything runs: its schema, its references, its ${VARIABLE}s and its
connectors. Each problem names the file, the line and the field; all of them are reported at once."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Optional

from airbyte_pipeline.env_values import check_placeholders, read_env_file, substitute
from airbyte_pipeline.private_files import env_file_warning
from airbyte_pipeline.problems import Problem, PipelineFileError
from airbyte_pipeline.redaction import Redactor
from airbyte_pipeline.schema_check import schema_problems
from airbyte_pipeline.yaml_lines import FieldPath, YamlDocument, dotted, load_yaml

DEFAULT_DESTINATION = "destination-plecto"
DEFAULT_POSTGRES_PORT = 5432


def pipeline_schema() -> dict:
    return json.loads(resources.files("airbyte_pipeline").joinpath("pipeline.schema.json").read_text("utf-8"))


@dataclass(frozen=True)
class Source:
    key: str  # its key under `sources`: names its cache schema
    connector: str  # the executable
    config: dict[str, Any]  # ${VARIABLE}s replaced
    streams: list[str]

    @property
    def connector_name(self) -> str:
        return Path(self.connector).name


@dataclass(frozen=True)
class Push:
    """One stream to Plecto: destination-plecto's stream mapping, and the source it comes from."""
    source: str
    stream: str
    mapping: dict[str, Any]  # without `source`
    index: int  # in plecto.streams

    @property
    def label(self) -> str:
        return f"{self.source}.{self.stream}"


@dataclass(frozen=True)
class Cache:
    kind: str  # duckdb | postgres
    path: Optional[Path] = None  # duckdb
    host: str = ""
    port: int = DEFAULT_POSTGRES_PORT
    database: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    schema_prefix: str = ""
    sslmode: str = ""  # postgres: as given, else default_sslmode(host)
    sslrootcert: Optional[str] = None  # postgres: a CA file, or libpq's "system" (trusted CAs) for verify-full

    def schema_of(self, source_key: str) -> str:
        return f"{self.schema_prefix}{source_key}"

    def describe(self) -> str:
        if self.kind == "duckdb":
            return f"DuckDB {self.path}"
        return f"Postgres {self.username}@{self.host}:{self.port}/{self.database} (sslmode {self.sslmode})"

    def identity(self) -> str:
        """Names the cache in the pipeline state: high-water marks are only valid for the cache they were taken in."""
        if self.kind == "duckdb":
            return f"duckdb:{self.path}"
        return f"postgres:{self.username}@{self.host}:{self.port}/{self.database}/{self.schema_prefix}"


@dataclass
class Pipeline:
    file: Path
    name: str
    state_dir: Path
    cache: Cache
    sources: dict[str, Source]
    plecto_connector: Optional[str]
    plecto_config: dict[str, Any]
    pushes: list[Push]
    document: YamlDocument
    redactor: Redactor
    warnings: list[str] = field(default_factory=list)  # said before anything runs (an env_file others can read)

    def pushes_of(self, source_key: str) -> list[Push]:
        return [push for push in self.pushes if push.source == source_key]

    def destination_config(self, push: Push) -> dict[str, Any]:
        return {**self.plecto_config, "streams": [push.mapping]}


def load_pipeline(path: Path, environ: Mapping[str, str] = os.environ, state_dir: Optional[Path] = None) -> Pipeline:
    """Read and check `path`; raise PipelineFileError naming every problem (with `file:line: field:`)."""
    try:
        return _load(path, environ, state_dir)
    except PipelineFileError as error:
        raise error.in_file(str(path)) from None


def _load(path: Path, environ: Mapping[str, str], state_dir: Optional[Path]) -> Pipeline:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PipelineFileError([Problem(None, "", f"cannot read the pipeline file: {error.strerror}")]) from None
    document = load_yaml(text)
    data, base = document.data, path.resolve().parent
    env, warnings = dict(environ), []
    if isinstance(data, dict) and isinstance(data.get("env_file"), str):
        env = {**read_env_file(base / data["env_file"]), **env}
        warnings += filter(None, [env_file_warning(base / data["env_file"])])
    problems = check_placeholders(document, env)
    shape_problems = schema_problems(pipeline_schema(), data, document)
    if shape_problems:  # the checks below rely on the shape
        raise PipelineFileError(shape_problems + problems)
    problems += _reference_problems(data, document)
    connectors = _locate_connectors(data, document, base, problems)
    if problems:
        raise PipelineFileError(problems)
    secrets: set[str] = set()
    resolved = substitute(data, env, secrets)
    default_state = base / ".cache" / resolved["name"]
    state = (state_dir or (base / resolved["state_dir"] if "state_dir" in resolved else default_state)).resolve()
    plecto = resolved.get("plecto", {})
    cache = _cache(resolved.get("cache", {"type": "duckdb"}), base, state, document)
    return Pipeline(
        file=path, name=resolved["name"], state_dir=state, cache=cache,
        sources={key: Source(key, connectors[("sources", key)], source["config"], source["streams"])
                 for key, source in resolved["sources"].items()},
        plecto_connector=connectors.get(("plecto",)),
        plecto_config=plecto.get("config", {}),
        pushes=[Push(item["source"], item["stream"], {k: v for k, v in item.items() if k != "source"}, index)
                for index, item in enumerate(plecto.get("streams", []))],
        document=document, redactor=_redactor(secrets, resolved, cache), warnings=warnings,
    )


def _redactor(secrets: set[str], resolved: dict, cache: Cache) -> Redactor:
    """The ${VARIABLE} values, the cache's password and each login pair (Plecto's username and password; a
    source's client id and secret, which a token request may send as Basic auth) in its Basic-auth form."""
    redactor = Redactor(secrets)
    redactor.add([cache.password])
    plecto = resolved.get("plecto", {}).get("config", {})
    redactor.add_login(plecto.get("username"), plecto.get("password"))
    for source in resolved["sources"].values():
        redactor.add_login(source["config"].get("client_id"), source["config"].get("client_secret"))
    return redactor


def _reference_problems(data: dict, document: YamlDocument) -> list[Problem]:
    """plecto.streams name a source of the file and one of its streams, each once; no mapping under config."""
    problems = []
    plecto = data.get("plecto", {})
    if "streams" in plecto.get("config", {}):
        path = ("plecto", "config", "streams")
        problems.append(Problem(document.line_of(path), dotted(path), "put the stream mappings under plecto.streams"))
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(plecto.get("streams", [])):
        source, stream = item["source"], item["stream"]
        here: FieldPath = ("plecto", "streams", index)
        if source not in data["sources"]:
            problems.append(Problem(document.line_of((*here, "source")), dotted((*here, "source")),
                                    f"no source '{source}' under sources (there: {', '.join(data['sources'])})"))
        elif stream not in data["sources"][source]["streams"]:
            problems.append(Problem(document.line_of((*here, "stream")), dotted((*here, "stream")),
                                    f"source '{source}' does not read '{stream}': add it to sources.{source}.streams"))
        elif (source, stream) in seen:
            problems.append(Problem(document.line_of(here), dotted(here),
                                    f"{source}.{stream} is already mapped by plecto.streams[{seen[source, stream]}]"))
        seen.setdefault((source, stream), index)
    return problems


def _locate_connectors(data: dict, document: YamlDocument, base: Path,
                       problems: list[Problem]) -> dict[FieldPath, str]:
    wanted: dict[FieldPath, str] = {("sources", key): source["connector"] for key, source in data["sources"].items()}
    if "plecto" in data:
        wanted[("plecto",)] = data["plecto"].get("connector", DEFAULT_DESTINATION)
    found = {}
    for path, name in wanted.items():
        executable = locate_connector(name, base)
        if executable is None:
            where = f"{base / name}" if "/" in name else f"beside {sys.executable} or on PATH"
            field_path = (*path, "connector")
            problems.append(Problem(document.line_of(field_path), dotted(field_path),
                                    f"connector '{name}' is not installed (looked {where}); run `make install`"))
        else:
            found[path] = executable
    return found


def locate_connector(name: str, base: Path) -> Optional[str]:
    """A connector CLI by name (the venv running this Python first, then PATH) or by path (relative to `base`)."""
    if "/" in name:
        path = (base / name).resolve()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


def _cache(data: dict, base: Path, state_dir: Path, document: YamlDocument) -> Cache:
    if data["type"] == "duckdb":
        return Cache("duckdb", path=(base / data["path"]).resolve() if "path" in data else state_dir / "cache.duckdb")
    port = data.get("port", DEFAULT_POSTGRES_PORT)
    if isinstance(port, str) and not port.isdigit():
        path = ("cache", "port")
        raise PipelineFileError([Problem(document.line_of(path), dotted(path), "must be a port number")])
    sslmode = data.get("sslmode") or default_sslmode(data["host"])
    sslrootcert = data.get("sslrootcert")
    if sslrootcert is not None and sslrootcert != "system":  # "system": libpq's word for the trusted CAs
        sslrootcert = str((base / sslrootcert).resolve())
    elif sslmode == "verify-full":
        sslrootcert = "system"
    return Cache("postgres", host=data["host"], port=int(port), database=data["database"], username=data["username"],
                 password=data["password"], schema_prefix=data.get("schema_prefix", ""), sslmode=sslmode,
                 sslrootcert=sslrootcert)


def default_sslmode(host: str) -> str:
    """verify-full (TLS, certificate and host name checked) unless the server is on this machine: loopback or a
    Unix socket folder, where there is no network to protect and local servers seldom have a certificate."""
    if host == "localhost" or host.startswith("/"):
        return "prefer"
    try:
        return "prefer" if ipaddress.ip_address(host.strip("[]")).is_loopback else "verify-full"
    except ValueError:  # a host name
        return "verify-full"
