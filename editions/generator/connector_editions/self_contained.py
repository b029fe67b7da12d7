"""One source's manifest made self-contained: what every edition starts from.

`self_contained(source)` reads `connectors/<source>/<package>/manifest.yaml` (the source of truth) and returns it
as one file that loads nothing else:

- every file-based schema loader (JsonFileSchemaLoader, or a stream left on the CDK's default file loader) is
  replaced by `InlineSchemaLoader` with `schema: {$ref: "#/schemas/<name>"}`, and a top-level `schemas:` section
  holds each schema read from the package's `schemas/` folder (the repo's `schemas/<vendor>/` through the package
  symlink), its `$ref`s inlined the way the CDK resolves them at run time (schemas.py);
- custom class names (`<pkg>.components.X`, and `connector_kit.<module>.X` for the shared components) become
  `components.X`: the Connector Builder and the `source-declarative-manifest` image load custom code as one module
  named `components` (bundle.py writes it);
- the result is checked: no file loader, no file `$ref`, no class of the package, every named stream inline.

An edition (manifest_only.py; a Cloud edition would be another module) then adapts the spec and writes its folder.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

import yaml
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from connector_kit.manifest import resolve

from connector_editions.bundle import KIT, bundled_components, kit_class_modules
from connector_editions.schemas import BuildError, inline_schema, shown

# Top-level sections that hold no components (a connection spec or JSON schemas, not streams).
_NOT_COMPONENTS = {"spec", "schemas", "metadata"}
_FILE_LOADER = "JsonFileSchemaLoader"
_INLINE_LOADER = "InlineSchemaLoader"
# The ManifestSource hooks a source may override; each override is Python-only behaviour of that connector.
HOOKS = ("prepare_manifest", "build_engine", "check", "discover", "read", "spec")


@dataclass(frozen=True)
class PackagedSource:
    """A declarative source of the repo: `connectors/<connector>/<package>/manifest.yaml`."""

    connector: str  # source-pluggy
    package_dir: Path  # .../connectors/source-pluggy/source_pluggy
    repo: Path

    @property
    def package(self) -> str:
        return self.package_dir.name

    @property
    def connector_dir(self) -> Path:
        return self.package_dir.parent

    @property
    def manifest_path(self) -> Path:
        return self.package_dir / "manifest.yaml"

    @property
    def components_path(self) -> Path:
        return self.package_dir / "components.py"

    def show(self, path: Path) -> str:
        return shown(path, self.repo)


def declarative_sources(repo: Path) -> list[PackagedSource]:
    """Every source of the repo whose package has a manifest.yaml, by name."""
    return [PackagedSource(manifest.parent.parent.name, manifest.parent, repo.resolve())
            for manifest in sorted(repo.resolve().glob("connectors/source-*/source_*/manifest.yaml"))]


@dataclass(frozen=True)
class SelfContained:
    manifest: dict[str, Any]  # the manifest as one document (no file loaded), custom classes in `components`
    components: Optional[str]  # the text of components.py, None when the manifest names no custom class
    class_names: tuple[str, ...]  # the `components.X` the manifest names


def self_contained(source: PackagedSource) -> SelfContained:
    """The source's manifest and components.py, self-contained (see the module docstring)."""
    raw = yaml.safe_load(source.manifest_path.read_text())
    if not isinstance(raw, dict) or raw.get("type") != "DeclarativeSource":
        raise BuildError(f"{source.show(source.manifest_path)} is not a DeclarativeSource manifest")
    kit_modules = kit_class_modules(raw)
    manifest = inline_schema_loaders(raw, source.package, source.package_dir / "schemas", source.repo)
    class_names = rewrite_class_names(manifest, source.package)
    check_self_contained(manifest, source.package)
    own = source.components_path if source.components_path.exists() else None
    components = None
    if own is not None or kit_modules:
        components = bundled_components(own, source.package, kit_modules, class_names, source.repo)
    elif class_names:
        raise BuildError(f"the manifest names {class_names[0]} but {source.show(source.components_path)} "
                         "does not exist")
    return SelfContained(manifest, components, tuple(class_names))


# ---- schema loaders ------------------------------------------------------------------------------------------
def _plain(node: Any) -> Any:
    """A deep copy with no shared sub-objects (YAML anchors load as shared objects; edits must not leak)."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every dict of the manifest's component sections, with its path, parents before children."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if not path and key in _NOT_COMPONENTS:
                continue
            if key == "schema" and node.get("type") == _INLINE_LOADER:
                continue  # a JSON schema, not components
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, path + (index,))


def items(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, Any]]:
    """(path, key, value) of every mapping entry of a document, however deep."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from items(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from items(value, path + (index,))


def _at(tree: Any, path: tuple) -> Any:
    for part in path:
        try:
            tree = tree[part]
        except (KeyError, IndexError, TypeError):
            return None
    return tree


def _is_stream(component: Any) -> bool:
    return isinstance(component, dict) and component.get("type") == "DeclarativeStream"


def _stream_name(stream: Mapping[str, Any]) -> str:
    return stream.get("name") or (stream.get("$parameters") or {}).get("name") or ""


def _file_loader_path(stream: Mapping[str, Any], pkg: str) -> Optional[str]:
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


def _set_near(node: dict[str, Any], key: str, value: Any, after: tuple[str, ...]) -> None:
    """node[key] = value, a new key placed after the first of `after` present (the order a reader expects)."""
    if key in node or not any(a in node for a in after):
        node[key] = value
        return
    anchor = next(a for a in after if a in node)
    entries = list(node.items())
    node.clear()
    for k, v in entries:
        node[k] = v
        if k == anchor:
            node[key] = value


def _referenced(manifest: Mapping[str, Any], target: str) -> bool:
    """True when some `$ref` (or string reference) of the manifest points at `target` or inside it."""
    return any(isinstance(value, str) and (value == target or value.startswith(target + "/"))
               for _, _, value in items(manifest))


def inline_schema_loaders(raw: dict[str, Any], pkg: str, schemas_dir: Path, repo: Optional[Path] = None) -> dict[str, Any]:
    """The manifest with every file schema loader replaced by an inline one, and a `schemas:` section."""
    manifest = _plain(raw)
    if "schemas" in manifest:
        raise BuildError("the manifest already has a top-level `schemas:` section; refusing to merge into it")
    original = resolve(manifest)
    templates: list[tuple] = []  # streams without a name: only ever used through `$ref`
    concrete: list[tuple[tuple, str]] = []  # (path, schema key)
    for path, _node in walk(manifest):
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
        schemas[key] = inline_schema(target, schemas_dir / "shared", shown(target, repo))

    # Templates lose their own file loader (each stream built from them gets an inline one below).
    for path in templates:
        node = _at(manifest, path)
        node.pop("schema_loader", None)
    # Each named stream gets an inline loader, unless what it inherits already is the right one.
    manifest["schemas"] = schemas
    for path, key in concrete:
        node = _at(manifest, path)
        inherited = (_at(resolve(manifest), path) or {}).get("schema_loader") or {}
        if inherited.get("type") != _INLINE_LOADER or inherited.get("schema") != schemas[key]:
            _set_near(node, "schema_loader", {"type": _INLINE_LOADER, "schema": {"$ref": f"#/schemas/{key}"}},
                      after=("primary_key", "name", "$ref", "type"))

    # Definitions that only held the file loader are now unused: drop them; a file loader still in use is a bug.
    for path, node in list(walk(manifest)):
        if node.get("type") != _FILE_LOADER:
            continue
        if len(path) >= 2 and path[0] == "definitions":
            top = path[:2]
            if not _referenced(manifest, "#/" + "/".join(str(p) for p in top)) and top[1] in manifest["definitions"]:
                del manifest["definitions"][top[1]]
                continue
        if _at(manifest, path) is node:
            raise BuildError(f"a JsonFileSchemaLoader at {'/'.join(map(str, path))} is still used after inlining")
    # `schemas:` after `streams:` (components first, then the data shapes), `spec:` last.
    ordered = {key: value for key, value in manifest.items() if key not in ("schemas", "spec")}
    ordered["schemas"] = schemas
    if "spec" in manifest:
        ordered["spec"] = manifest["spec"]
    return ordered


# ---- custom classes ------------------------------------------------------------------------------------------
def rewrite_class_names(manifest: Any, pkg: str) -> list[str]:
    """`<pkg>.components.X` and `connector_kit.<module>.X` -> `components.X` in place; returns the rewritten names."""
    names: list[str] = []
    for path, key, value in list(items(manifest)):
        if key != "class_name" or not isinstance(value, str):
            continue
        if value.startswith(f"{pkg}.components.") or value.startswith(f"{KIT}."):
            _at(manifest, path)[key] = "components." + value.rsplit(".", 1)[1]
        elif value.startswith(f"{pkg}."):
            raise BuildError(f"custom class {value} is not in {pkg}/components.py; manifest-only connectors load "
                             "custom code from components.py only")
        elif not value.startswith("components."):
            continue
        names.append(_at(manifest, path)[key])
    return list(dict.fromkeys(names))


def check_self_contained(manifest: Mapping[str, Any], pkg: str) -> None:
    """Fail unless the manifest loads no file: no file loader, no file `$ref`, every named stream inline."""
    for path, key, value in items(manifest):
        where = "/".join(map(str, path + (key,)))
        if key == "$ref" and not (isinstance(value, str) and value.startswith("#/")):
            raise BuildError(f"{where}: $ref {value!r} does not point into the manifest")
        if key == "type" and value == _FILE_LOADER:
            raise BuildError(f"{where}: a JsonFileSchemaLoader is left")
        if key == "class_name" and isinstance(value, str) and value.startswith(f"{pkg}."):
            raise BuildError(f"{where}: class {value} still names the package")
    for path, node in walk(resolve(manifest)):
        if _is_stream(node) and _stream_name(node):
            loader = node.get("schema_loader")
            if not isinstance(loader, dict) or loader.get("type") != _INLINE_LOADER or not isinstance(
                    loader.get("schema"), dict):
                raise BuildError(f"stream {_stream_name(node)!r} at {'/'.join(map(str, path))} has no inline schema")
            if "$ref" in json.dumps(loader["schema"]):
                raise BuildError(f"stream {_stream_name(node)!r}: its schema still holds a $ref")


# ---- what the package adds in Python ------------------------------------------------------------------------
def python_hooks(package: str) -> list[str]:
    """Each ManifestSource hook the package's source class overrides, with the first paragraph of its docstring."""
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
                # Its own docstring (inspect.getdoc would give the base class's), else the module's bullet on it.
                doc = inspect.cleandoc(vars(cls)[hook].__doc__ or "") or _bullet_on(hook, module.__doc__ or "") or \
                    "(no docstring: document what this override adds)"
                found.append(f"{cls.__name__}.{hook}: {' '.join(doc.split(chr(10) + chr(10))[0].split())}")
    return found


def _bullet_on(hook: str, text: str) -> str:
    """The bullet of a module docstring that starts with the hook's name (`- `check` with ...: what it does`)."""
    found = re.search(rf"^- `{re.escape(hook)}`[^\n]*(?:\n  [^\n]*)*", text, re.MULTILINE)
    return found.group(0)[2:] if found else ""


def copy_of(manifest: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(manifest))
