"""Generate the Connector Builder version of each declarative source: one self-contained manifest.yaml.

`python -m connector_kit.builder [--repo DIR] [--output-dir DIR] [--connector NAME ...]` (`make builder-manifests`)
writes, for every `connectors/source-*/source_*/manifest.yaml` of the repo, `<output-dir>/<connector>/manifest.yaml`
and `<output-dir>/<connector>/components.py` (default output dir: build/builder, ignored by git):

- every file-based schema loader (JsonFileSchemaLoader, or a stream left on the CDK's default file loader) is
  replaced by `InlineSchemaLoader` with `schema: {$ref: "#/schemas/<name>"}`, and a top-level `schemas:`
  section holds each schema read from the package's `schemas/` folder (the repo's `schemas/<vendor>/` through
  the package symlink), with its `$ref`s to shared fragments inlined the way the CDK resolves them at run time
  (file refs against `schemas/shared/`, local `#/...` pointers within the file);
- custom class names (`<pkg>.components.X`, and `connector_kit.<module>.X` for the shared components) become
  `components.X`: the Builder (and source-declarative-manifest) load custom code as one module named `components`;
- components.py is the package's components.py with the connector_kit modules it and the manifest need bundled
  in front of it (imports between them removed), checked to load the way the Builder loads it (exec'd as module
  `components` before that module is in sys.modules: so it must not use `from __future__ import annotations`,
  on which `@dataclass` fails there).

The result is checked before it is written (no file loader, no file `$ref`, every named stream inline).
What the packaged source adds in Python cannot travel with the manifest: the tool lists it per connector, read
from the source class itself (each hook it overrides, with its docstring) and from the kit's entry point.
Exit status 1 (with the reason on stderr) when a schema file is missing or the manifest cannot be made
self-contained.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import inspect
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.parsers.custom_code_compiler import (
    COMPONENTS_MODULE_NAME,
    SDM_COMPONENTS_MODULE_NAME,
    register_components_module_from_string,
)

from connector_kit.manifest import resolve

KIT = "connector_kit"
KIT_DIR = Path(__file__).resolve().parent
# What every packaged source gets from connector_kit's entry point and source class, and a Builder manifest lacks.
KIT_RUNTIME = [
    "the entry point's checks: files and config values reported per field in one line, unknown catalog streams "
    "named, one readable TRACE for a failed sync (connector_kit.entrypoint)",
    "`read_timeout_seconds` from the config: the Builder version keeps the manifest's fixed timeouts "
    "(connector_kit.declarative.ManifestSource.prepare_manifest)",
    "the shared HTTP settings in the spec (read_timeout_seconds, max_retries, retry_backoff_seconds): the "
    "components read them from the config with their defaults when a Builder config has none",
]
# The ManifestSource hooks a source may override; each override is Python-only behaviour of that connector.
HOOKS = ("prepare_manifest", "build_engine", "check", "discover", "read", "spec")

# Top-level sections that hold no components (a connection spec or JSON schemas, not streams).
_NOT_COMPONENTS = {"spec", "schemas", "metadata"}
_FILE_LOADER = "JsonFileSchemaLoader"
_INLINE_LOADER = "InlineSchemaLoader"


class BuildError(Exception):
    """The manifest cannot be turned into a self-contained Builder manifest; the message says why."""


# ---- JSON schemas --------------------------------------------------------------------------------------------
def inline_schema(path: Path, shared_dir: Path, display: str) -> dict[str, Any]:
    """The JSON schema at `path` with every `$ref` replaced by what it points to.

    Same rules as the CDK's JsonFileSchemaLoader (ResourceSchemaLoader._resolve_schema_references): a file ref
    (`reference.json`) names a file in `schemas/shared/`, a pointer (`#/definitions/x`) points into the file
    that holds it; the referenced object replaces the `$ref` object whole, without its `definitions`.
    """
    if not path.is_file():
        raise BuildError(f"schema file {display} is missing")
    return _inline(_load_json(path, display), path, _load_json(path, display), shared_dir, display, ())


def _load_json(path: Path, display: str) -> Any:
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise BuildError(f"schema file {display} is not valid JSON: {error}") from error


def _inline(node: Any, path: Path, document: Any, shared_dir: Path, display: str, stack: tuple) -> Any:
    if isinstance(node, list):
        return [_inline(item, path, document, shared_dir, display, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {key: _inline(value, path, document, shared_dir, display, stack) for key, value in node.items()}
    file_part, _, pointer = ref.partition("#")
    target_path, target_document = path, document
    if file_part:
        target_path = shared_dir / file_part
        if not target_path.is_file():
            raise BuildError(f"{display}: $ref {ref!r} names {_show(target_path.resolve())}, which is missing "
                             f"(file $refs are resolved against the schemas' shared/ folder, as the CDK does)")
        target_document = _load_json(target_path, _show(target_path.resolve()))
    key = (str(target_path.resolve()), pointer)
    if key in stack:
        raise BuildError(f"{display}: $ref {ref!r} is recursive and cannot be inlined")
    target = _json_pointer(target_document, pointer, ref, display)
    resolved = _inline(target, target_path, target_document, shared_dir, display, stack + (key,))
    if isinstance(resolved, dict):
        resolved.pop("definitions", None)
    return resolved


def _json_pointer(document: Any, pointer: str, ref: str, display: str) -> Any:
    node = document
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise BuildError(f"{display}: $ref {ref!r} points to nothing") from None
    return copy.deepcopy(node)


# ---- manifest ------------------------------------------------------------------------------------------------
def _plain(node: Any) -> Any:
    """A deep copy with no shared sub-objects (YAML anchors load as shared objects; edits must not leak)."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def _walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every dict of the manifest's component sections, with its path, parents before children."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if not path and key in _NOT_COMPONENTS:
                continue
            if key == "schema" and node.get("type") == _INLINE_LOADER:
                continue  # a JSON schema, not components
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, path + (index,))


def _at(tree: Any, path: tuple) -> Any:
    for part in path:
        try:
            tree = tree[part]
        except (KeyError, IndexError, TypeError):
            return None
    return tree


def _propagated(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest as the CDK sees it: references resolved, types and `$parameters` propagated."""
    return resolve(manifest)


def _is_stream(component: Any) -> bool:
    return isinstance(component, dict) and component.get("type") == "DeclarativeStream"


def _stream_name(stream: Mapping[str, Any]) -> str:
    return stream.get("name") or (stream.get("$parameters") or {}).get("name") or ""


def _file_loader_path(stream: Mapping[str, Any], pkg: str) -> str | None:
    """The schema file a (propagated) stream loads, as the CDK would compute it; None when not file-based."""
    loader = stream.get("schema_loader")
    if isinstance(loader, list):
        if any(isinstance(item, dict) and item.get("type") == _FILE_LOADER for item in loader):
            raise BuildError(f"stream {_stream_name(stream)!r}: a list of schema loaders with a file loader in it "
                             "is not supported; give the stream one JsonFileSchemaLoader")
        return None
    if loader is None:  # DefaultSchemaLoader: JsonFileSchemaLoader on ./<module>/schemas/<name>.json
        parameters = dict(stream.get("$parameters") or {})
        parameters.setdefault("name", stream.get("name"))
        file_path = ""
    elif loader.get("type") == _FILE_LOADER:
        parameters = dict(loader.get("$parameters") or {})
        file_path = loader.get("file_path") or ""
    else:
        return None
    file_path = file_path or f"./{pkg}/schemas/{{{{ parameters['name'] }}}}.json"
    return str(InterpolatedString.create(file_path, parameters=parameters).eval({}))


def _schema_key(rendered: str, pkg: str, stream: str) -> str:
    parts = [p for p in rendered.split("/") if p not in ("", ".")]
    if len(parts) < 3 or parts[0] != pkg or parts[1] != "schemas" or not parts[-1].endswith(".json"):
        raise BuildError(f"stream {stream!r}: schema file path {rendered!r} is not ./{pkg}/schemas/<name>.json")
    key = "/".join(parts[2:])[: -len(".json")]
    if not key or any(p in ("", "..") for p in key.split("/")):
        raise BuildError(f"stream {stream!r}: schema file path {rendered!r} names no schema")
    return key


def _inline_loader(key: str) -> dict[str, Any]:
    return {"type": _INLINE_LOADER, "schema": {"$ref": f"#/schemas/{key}"}}


def _set_near(node: dict[str, Any], key: str, value: Any, after: tuple[str, ...]) -> None:
    """node[key] = value, a new key placed after the first of `after` present (the order a reader expects)."""
    if key in node or not any(a in node for a in after):
        node[key] = value
        return
    anchor = next(a for a in after if a in node)
    items = list(node.items())
    node.clear()
    for k, v in items:
        node[k] = v
        if k == anchor:
            node[key] = value


def _referenced(manifest: Mapping[str, Any], target: str) -> bool:
    """True when some `$ref` (or string reference) of the manifest points at `target` or inside it."""
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)
        elif isinstance(node, str) and node.startswith("#/"):
            yield node
    return any(ref == target or ref.startswith(target + "/") for ref in refs(manifest))


def inline_schema_loaders(raw: dict[str, Any], pkg: str, schemas_dir: Path, repo: Path | None = None) -> dict[str, Any]:
    """Return the manifest with every file schema loader replaced by an inline one and a `schemas:` section."""
    manifest = _plain(raw)
    if "schemas" in manifest:
        raise BuildError("the manifest already has a top-level `schemas:` section; refusing to merge into it")
    original = _propagated(manifest)
    templates: list[tuple] = []  # streams without a name: only ever used through `$ref`
    concrete: list[tuple[tuple, str]] = []  # (path, schema key)
    for path, _node in _walk(manifest):
        stream = _at(original, path)
        if not _is_stream(stream):
            continue
        rendered = _file_loader_path(stream, pkg)
        if rendered is None:
            continue
        name = _stream_name(stream)
        if not name:
            templates.append(path)
        else:
            concrete.append((path, _schema_key(rendered, pkg, name)))

    schemas: dict[str, Any] = {}
    for key in dict.fromkeys(key for _, key in concrete):
        target = schemas_dir / f"{key}.json"
        schemas[key] = inline_schema(target, schemas_dir / "shared", _show(target.resolve(), repo))

    # Templates lose their own file loader (each stream built from them gets an inline one below).
    for path in templates:
        node = _at(manifest, path)
        if "schema_loader" in node:
            del node["schema_loader"]
    # Each named stream gets an inline loader, unless what it inherits already is the right one.
    manifest["schemas"] = schemas
    for path, key in concrete:
        node = _at(manifest, path)
        inherited = (_at(_propagated(manifest), path) or {}).get("schema_loader") or {}
        if inherited.get("type") != _INLINE_LOADER or inherited.get("schema") != schemas[key]:
            _set_near(node, "schema_loader", _inline_loader(key), after=("primary_key", "name", "$ref", "type"))

    # Definitions that only held the file loader are now unused: drop them; a file loader still in use is a bug.
    for path, node in list(_walk(manifest)):
        if node.get("type") != _FILE_LOADER:
            continue
        if len(path) >= 2 and path[0] == "definitions":
            top = path[:2]
            if not _referenced(manifest, "#/" + "/".join(str(p) for p in top)) and top[1] in manifest["definitions"]:
                del manifest["definitions"][top[1]]
                continue
        if _at(manifest, path) is node:
            raise BuildError(f"a JsonFileSchemaLoader at {'/'.join(map(str, path))} is still used after inlining")
    # Put `schemas:` after `streams:` (readability: components first, then the data shapes).
    ordered = {key: value for key, value in manifest.items() if key not in ("schemas", "spec")}
    ordered["schemas"] = schemas
    if "spec" in manifest:
        ordered["spec"] = manifest["spec"]
    return ordered


def rewrite_class_names(manifest: Any, pkg: str) -> list[str]:
    """`<pkg>.components.X` and `connector_kit.<module>.X` -> `components.X` in place; returns the rewritten names."""
    names: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "class_name" and isinstance(value, str):
                    if value.startswith(f"{pkg}.components.") or value.startswith(f"{KIT}."):
                        node[key] = "components." + value.rsplit(".", 1)[1]
                        names.append(node[key])
                    elif value.startswith(f"{pkg}."):
                        raise BuildError(f"custom class {value} is not in {pkg}/components.py; the Builder loads "
                                         "custom code from components.py only")
                    elif value.startswith("components."):
                        names.append(value)
                else:
                    visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(manifest)
    return names


def check_self_contained(manifest: Mapping[str, Any], pkg: str) -> None:
    """Fail unless the manifest loads no file: no file loader, no file `$ref`, every named stream inline."""
    def strings(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield path, key, value
                yield from strings(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from strings(value, path + (index,))

    for path, key, value in strings(manifest):
        where = "/".join(map(str, path + (key,)))
        if key == "$ref" and not (isinstance(value, str) and value.startswith("#/")):
            raise BuildError(f"{where}: $ref {value!r} does not point into the manifest")
        if key == "type" and value == _FILE_LOADER:
            raise BuildError(f"{where}: a JsonFileSchemaLoader is left")
        if key == "class_name" and isinstance(value, str) and value.startswith(f"{pkg}."):
            raise BuildError(f"{where}: class {value} still names the package")
    propagated = _propagated(manifest)
    for path, node in _walk(propagated):
        if _is_stream(node) and _stream_name(node):
            loader = node.get("schema_loader")
            if not isinstance(loader, dict) or loader.get("type") != _INLINE_LOADER or not isinstance(
                    loader.get("schema"), dict):
                raise BuildError(f"stream {_stream_name(node)!r} at {'/'.join(map(str, path))} has no inline schema")
            if "$ref" in json.dumps(loader["schema"]):
                raise BuildError(f"stream {_stream_name(node)!r}: its schema still holds a $ref")


# ---- components.py -------------------------------------------------------------------------------------------
def builder_components(source: Path | None, pkg: str, kit_modules: list[str], class_names: list[str],
                       repo: Path) -> str:
    """The package's components.py (if any) with the connector_kit modules it needs bundled in front of it."""
    text = source.read_text() if source is not None else ""
    if source is not None:
        imports_package = re.search(rf"^\s*(from|import)\s+{re.escape(pkg)}\b", text, re.MULTILINE)
        if imports_package:
            raise BuildError(f"{_show(source, repo)} imports {pkg} ({imports_package.group(0).strip()!r}); the "
                             "Builder has only components.py, so it must import nothing from its package")
    wanted = list(dict.fromkeys([*kit_modules, *_kit_imports(text)]))
    parts, defined = [], {}
    for module in _with_dependencies(wanted):
        body = _without_kit_imports((KIT_DIR / f"{module}.py").read_text(), f"{KIT}/{module}.py")
        _note_definitions(body, f"{KIT}/{module}.py", defined)
        parts.append(f"# ---- {KIT}/{module}.py " + "-" * max(0, 90 - len(module)) + "\n" + body)
    if source is not None:
        body = _without_kit_imports(text, _show(source, repo))
        _note_definitions(body, _show(source, repo), defined)
        parts.append(f"# ---- {_show(source, repo)} " + "-" * 60 + "\n" + body)
    origin = _show(source, repo) if source is not None else f"the manifest of {pkg}"
    made_of = f"{origin} and the connector_kit modules it uses" if source is not None else \
        "the connector_kit modules the manifest uses (the package has no components.py)"
    text = f"# Generated by `python -m connector_kit.builder` from {made_of}: do not edit.\n" + "\n\n".join(parts)
    module = _load_like_the_builder(text, origin)
    for class_name in class_names:
        if not hasattr(module, class_name.split(".", 1)[1]):
            raise BuildError(f"{origin} and connector_kit define no {class_name.split('.', 1)[1]} "
                             f"(the manifest names {class_name})")
    return text


def _kit_imports(text: str) -> list[str]:
    """The connector_kit modules a piece of code imports (`from connector_kit.x import ...`)."""
    found = []
    for node in ast.walk(ast.parse(text)) if text else []:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(f"{KIT}."):
            found.append(node.module.split(".")[1])
        elif isinstance(node, ast.Import) and any(a.name.startswith(f"{KIT}") for a in node.names):
            raise BuildError("`import connector_kit...` cannot be bundled; use `from connector_kit.<module> import ...`")
    return found


def _with_dependencies(modules: list[str]) -> list[str]:
    """The modules and the kit modules they import, each after what it imports."""
    ordered: list[str] = []

    def visit(module: str, stack: tuple[str, ...]) -> None:
        if module in ordered:
            return
        if module in stack:
            raise BuildError(f"connector_kit modules import each other in a cycle: {' -> '.join(stack + (module,))}")
        path = KIT_DIR / f"{module}.py"
        if not path.is_file():
            raise BuildError(f"connector_kit has no module {module}")
        for dependency in _kit_imports(path.read_text()):
            visit(dependency, stack + (module,))
        ordered.append(module)

    for module in modules:
        visit(module, ())
    return ordered


def _without_kit_imports(text: str, origin: str) -> str:
    """The code without its connector_kit imports (the names are defined earlier in the bundle)."""
    if re.search(r"^from __future__ import annotations", text, re.MULTILINE):
        raise BuildError(f"{origin} uses `from __future__ import annotations`: @dataclass fails when the Builder "
                         "exec()s the bundle as module `components`; write annotations that need no postponement")
    lines = text.splitlines()
    drop: set[int] = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(f"{KIT}."):
            drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    return "\n".join(line for index, line in enumerate(lines) if index not in drop).strip() + "\n"


def _note_definitions(text: str, origin: str, defined: dict[str, tuple[str, str]]) -> None:
    """Fail when two bundled modules define the same top-level name differently (the later would win silently)."""
    for node in ast.parse(text).body:
        names: list[str] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
        for name in names:
            source = ast.unparse(node)
            if name in defined and defined[name][1] != source:
                raise BuildError(f"{origin} and {defined[name][0]} both define `{name}`: rename one, the bundle "
                                 "puts them in one module")
            defined[name] = (origin, source)


def _load_like_the_builder(text: str, origin: str) -> Any:
    """Exec the text the way the CDK does for injected components, leaving sys.modules as it was."""
    saved = {name: sys.modules.pop(name, None) for name in (COMPONENTS_MODULE_NAME, SDM_COMPONENTS_MODULE_NAME)}
    try:
        return register_components_module_from_string(text, checksums={"md5": _md5(text)})
    except Exception as error:  # noqa: BLE001 - any failure means the Builder cannot load it either
        raise BuildError(f"{origin} does not load as an injected `components` module: "
                         f"{type(error).__name__}: {error}") from error
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()


# ---- output --------------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &anchors / *aliases in the output
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value.rstrip("\n") and not re.search(r"[ \t]\n|[ \t]$", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _show(path: Path, repo: Path | None = None) -> str:
    try:
        return str(path.resolve().relative_to((repo or Path.cwd()).resolve()))
    except ValueError:
        return str(path)


def _display_path(path: Path) -> str:
    """Relative to the working directory when inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def declarative_sources(repo: Path) -> list[tuple[str, Path]]:
    """(connector, package dir) of every source whose package has a manifest.yaml."""
    found = []
    for manifest in sorted(repo.glob("connectors/source-*/source_*/manifest.yaml")):
        found.append((manifest.parent.parent.name, manifest.parent))
    return found


def python_only(package: str) -> list[str]:
    """What the packaged source adds in Python: each ManifestSource hook its class overrides, with its docstring."""
    try:
        module = importlib.import_module(f"{package}.source")
    except ImportError:
        return []
    from connector_kit.declarative import ManifestSource

    found = []
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if not issubclass(cls, ManifestSource) or cls is ManifestSource or cls.__module__ != module.__name__:
            continue
        for hook in HOOKS:
            if hook in vars(cls):
                doc = inspect.getdoc(vars(cls)[hook]) or "(no docstring: document what this override adds)"
                found.append(f"{cls.__name__}.{hook}: {' '.join(doc.split(chr(10) + chr(10))[0].split())}")
    return found


def notes(package: str) -> str:
    own = python_only(package)
    lines = [f"    - {item}" for item in own] or ["    - none of its own (its source class only wires the manifest)"]
    lines += [f"    - (every source) {item}" for item in KIT_RUNTIME]
    return "  Python-only features missing from the Builder version:\n" + "\n".join(lines)


def build(connector: str, package_dir: Path, output_dir: Path, repo: Path) -> tuple[Path, int]:
    pkg = package_dir.name
    target = output_dir / connector
    if target.exists():
        shutil.rmtree(target)  # never leave a stale build behind a failing one
    manifest_path = package_dir / "manifest.yaml"
    raw = yaml.safe_load(manifest_path.read_text())
    if not isinstance(raw, dict) or raw.get("type") != "DeclarativeSource":
        raise BuildError(f"{_show(manifest_path, repo)} is not a DeclarativeSource manifest")
    kit_modules = _kit_class_modules(raw)
    manifest = inline_schema_loaders(raw, pkg, package_dir / "schemas", repo)
    class_names = rewrite_class_names(manifest, pkg)
    check_self_contained(manifest, pkg)
    components = package_dir / "components.py"
    components_text = None
    if components.exists() or kit_modules:
        components_text = builder_components(components if components.exists() else None, pkg, kit_modules,
                                             class_names, repo)
    if class_names and components_text is None:
        raise BuildError(f"the manifest names {class_names[0]} but {_show(components, repo)} does not exist")

    header = [
        f"# {connector} for the Airbyte Connector Builder: one self-contained manifest (inline spec and schemas).",
        f"# Generated by `python -m connector_kit.builder` from {_show(manifest_path, repo)}",
        f"# and {_show((package_dir / 'schemas').resolve(), repo)}/: do not edit, run `make builder-manifests`.",
    ]
    if components_text is not None:
        header.append("# Custom components: components.py next to this file (paste it into the Builder's components tab).")
    missing = python_only(pkg)
    if missing:
        header.append("# Not here (Python-only in the packaged connector):")
        header += [f"#   - {item}" for item in missing]
    text = "\n".join(header) + "\n" + yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                                                  width=120, default_flow_style=False)
    target.mkdir(parents=True)
    (target / "manifest.yaml").write_text(text)
    if components_text is not None:
        (target / "components.py").write_text(components_text)
    return target / "manifest.yaml", len(manifest.get("streams") or [])


def _kit_class_modules(manifest: Any) -> list[str]:
    """The connector_kit modules whose classes the manifest names."""
    found: list[str] = []
    for _, key, value in _items(manifest):
        if key == "class_name" and isinstance(value, str) and value.startswith(f"{KIT}."):
            found.append(value.split(".")[1])
    return list(dict.fromkeys(found))


def _items(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _items(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _items(value, path + (index,))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connector_kit.builder", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repository root (default: here)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="where <connector>/manifest.yaml and components.py go (default: build/builder)")
    parser.add_argument("--connector", action="append", default=None,
                        help="only this connector (repeatable), e.g. source-pluggy")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    output_dir = (args.output_dir or repo / "build" / "builder").resolve()

    sources = declarative_sources(repo)
    if args.connector:
        unknown = set(args.connector) - {name for name, _ in sources}
        if unknown:
            parser.error(f"no declarative source named {', '.join(sorted(unknown))}")
        sources = [(name, pkg) for name, pkg in sources if name in args.connector]
    if not sources:
        print(f"error: no connectors/source-*/source_*/manifest.yaml under {repo}", file=sys.stderr)
        return 1

    failed = []
    for connector, package_dir in sources:
        try:
            path, streams = build(connector, package_dir, output_dir, repo)
        except BuildError as error:
            print(f"error: {connector}: {error}", file=sys.stderr)
            failed.append(connector)
            continue
        print(f"{connector}: {_display_path(path)} ({streams} streams)")
        print(notes(package_dir.name))
    if failed:
        print(f"error: no Builder manifest for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
