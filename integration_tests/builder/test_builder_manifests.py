"""What the Connector Builder imports: each source's self-contained manifest.yaml and bundled components.py.

The manifest-only edition's manifest and components (connector_editions, `make manifest-only`) are what a user pastes
into the Builder. Generated once into a temporary directory, each must be self-contained (no file schema loader, no
`$ref` outside the manifest, custom classes in module `components`, no import of connector_kit or of the package),
carry for every stream, parent streams included, an inline schema equal to the repo's schema file as the CDK loads
it, and work as the Builder runs it: the CDK's ConcurrentDeclarativeSource with components.py injected through the
config (`__injected_components_py`, checksum, AIRBYTE_ENABLE_UNSAFE_CODE), passing `check` and listing every stream
in `discover` against the vendor's sandbox emulator.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from airbyte_cdk.models import Status
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader
from connector_editions.bundle import imported_modules
from connector_editions.loading import builder_source, custom_code_allowed
from connector_editions.schemas import BuildError
from connector_editions.self_contained import PackagedSource, items, self_contained
from connector_kit.manifest import resolve

from conftest import REPO

# connector -> (package, emulator): every declarative source of the repo.
SOURCES = {
    manifest.parent.parent.name: (manifest.parent.name, manifest.parent.parent.name.removeprefix("source-"))
    for manifest in sorted(REPO.glob("connectors/source-*/source_*/manifest.yaml"))
}
LOGGER = logging.getLogger("airbyte.builder-test")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("editions")
    run = subprocess.run([sys.executable, "-m", "connector_editions", "manifest-only", "--output-dir", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert run.returncode == 0, run.stderr
    return out / "manifest-only", run.stdout  # <output-dir>/<edition>/<source>/


def generated(built: tuple[Path, str], connector: str) -> dict[str, Any]:
    return yaml.safe_load((built[0] / connector / "manifest.yaml").read_text())


def original(connector: str) -> dict[str, Any]:
    package = SOURCES[connector][0]
    return yaml.safe_load((REPO / "connectors" / connector / package / "manifest.yaml").read_text())


def named_streams(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict[str, Any]]]:
    """Every DeclarativeStream of the resolved manifest with a name: streams, parent streams, definitions."""
    if isinstance(node, dict):
        if node.get("type") == "DeclarativeStream" and node.get("name"):
            yield path, node
        for key, value in node.items():
            if path or key not in ("spec", "schemas"):
                yield from named_streams(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from named_streams(value, path + (index,))


def test_given_repo_when_generated_then_one_manifest_and_components_per_source_with_what_it_lacks(built):
    out, stdout = built
    assert set(SOURCES) >= {"source-pluggy", "source-plutio", "source-protime"}
    for connector in SOURCES:
        manifest = generated(built, connector)
        assert f"{connector}: {out / connector} ({len(manifest['streams'])} streams)" in stdout.splitlines(), stdout
        assert (out / connector / "components.py").is_file()
        assert [s["name"] for s in manifest["streams"]] == [s["name"] for s in resolve(original(connector))["streams"]]
    assert "not in this edition: the package's entry point" in stdout
    assert "SourceProtime.read: In delta mode" in stdout


@pytest.mark.parametrize("connector", sorted(SOURCES))
def test_given_builder_manifest_then_it_loads_no_file_and_its_components_import_nothing_of_ours(built, connector):
    package = SOURCES[connector][0]
    manifest = generated(built, connector)

    for path, key, value in items(manifest):
        where = "/".join(map(str, path + (key,)))
        assert not (key == "type" and value == "JsonFileSchemaLoader"), where
        assert key != "file_path", where
        if key == "$ref":
            assert isinstance(value, str) and value.startswith("#/"), f"{where}: {value!r}"
        if key == "class_name":
            assert value.startswith("components."), f"{where}: {value}"
    assert package not in json.dumps({k: v for k, v in manifest.items() if k != "spec"})

    streams = list(named_streams(resolve(manifest)))
    assert {path[:1] for path, _ in streams} >= {("streams",)}
    for path, stream in streams:
        loader = stream.get("schema_loader")
        assert isinstance(loader, dict) and loader["type"] == "InlineSchemaLoader", path
        assert isinstance(loader["schema"], dict) and loader["schema"].get("properties"), path
        assert "$ref" not in json.dumps(loader["schema"]), path

    components = (built[0] / connector / "components.py").read_text()
    # `from connector_kit import calls` (auth.py) was left in the bundle before: it loaded only where the kit is installed.
    assert [m for m in imported_modules(components) if m.split(".")[0] in ("connector_kit", package)] == []
    # The Builder exec()s the text before registering module `components`: @dataclass needs real annotations.
    assert not re.search(r"^from __future__ import annotations", components, re.MULTILINE)


@pytest.mark.parametrize("connector", sorted(SOURCES))
def test_given_builder_manifest_then_each_inline_schema_equals_the_repo_schema_file(built, connector):
    package, vendor = SOURCES[connector]
    manifest = generated(built, connector)
    # The CDK's own JsonFileSchemaLoader path: schemas/<vendor>/ through the package symlink, shared $refs resolved.
    repo_schemas = ResourceSchemaLoader(package)
    checked = set()
    for path, stream in named_streams(resolve(manifest)):
        name = stream["$parameters"]["name"]
        assert (REPO / "schemas" / vendor / f"{name}.json").is_file(), name
        expected = repo_schemas.get_schema(name)
        assert "$ref" not in json.dumps(expected)
        assert stream["schema_loader"]["schema"] == expected, f"{'/'.join(map(str, path))} ({name})"
        checked.add(name)
    assert checked >= {s["name"] for s in resolve(manifest)["streams"]}
    for name in checked:  # a schema without $ref is the file itself, byte for byte once parsed
        raw = json.loads((REPO / "schemas" / vendor / f"{name}.json").read_text())
        if "$ref" not in json.dumps(raw):
            assert manifest["schemas"][name] == raw, name


@pytest.mark.parametrize("connector", sorted(SOURCES))
def test_given_builder_manifest_and_injected_components_when_run_in_cdk_then_check_passes_and_discover_lists_all(
        built, connector, start_emulator, no_proxy):
    emulator = start_emulator(SOURCES[connector][1])
    manifest = generated(built, connector)
    components = (built[0] / connector / "components.py").read_text()
    config = emulator.connector_config()

    with custom_code_allowed():
        source = builder_source(manifest, components, config)
        module = source.components_module
        assert module is not None and module.__name__ == "components" and not hasattr(module, "__file__")
        assert sys.modules["components"] is module  # what `components.X` class names import
        status = source.check(LOGGER, config)
        catalog = source.discover(LOGGER, config)
    assert status.status == Status.SUCCEEDED, status.message
    resolved = resolve(manifest)
    assert [s.name for s in catalog.streams] == [s["name"] for s in resolved["streams"]]
    for stream, declared in zip(catalog.streams, resolved["streams"]):
        assert stream.json_schema == declared["schema_loader"]["schema"], stream.name


# ---- the shared function on a small made-up repo: default file loader, shared fragment, missing files -----------
FAKE_MANIFEST = """
version: 7.39.1
type: DeclarativeSource
check: {type: CheckStream, stream_names: [a]}
definitions:
  loader: {type: JsonFileSchemaLoader, file_path: "./source_fake/schemas/{{ parameters.name }}.json"}
  base:
    type: DeclarativeStream
    primary_key: [id]
    schema_loader: {$ref: "#/definitions/loader"}
    retriever:
      type: SimpleRetriever
      requester: {type: HttpRequester, url: "http://127.0.0.1:9/{{ parameters.name }}"}
      record_selector: {type: RecordSelector, extractor: {type: DpathExtractor, field_path: []}}
streams:
  - {$ref: "#/definitions/base", name: a, $parameters: {name: a}}
  - type: DeclarativeStream
    name: b
    primary_key: [id]
    retriever: {$ref: "#/definitions/base/retriever", $parameters: {name: b}}
spec: {type: Spec, connection_specification: {type: object, properties: {}}}
"""


@pytest.fixture
def fake_source(tmp_path: Path) -> PackagedSource:
    """A repo with one declarative source: `a` on a JsonFileSchemaLoader, `b` on the default loader."""
    package = tmp_path / "connectors" / "source-fake" / "source_fake"
    package.mkdir(parents=True)
    (package / "manifest.yaml").write_text(FAKE_MANIFEST)
    schemas = tmp_path / "schemas" / "fake"
    (schemas / "shared").mkdir(parents=True)
    (package / "schemas").symlink_to(Path("../../../schemas/fake"))
    (schemas / "shared" / "money.json").write_text(json.dumps({"type": ["null", "object"], "properties": {
        "amount": {"type": "number"}}, "definitions": {"unused": {}}}))
    (schemas / "a.json").write_text(json.dumps({"type": "object", "properties": {
        "id": {"type": "string"}, "total": {"$ref": "money.json"}}}))
    (schemas / "b.json").write_text(json.dumps({"type": "object", "properties": {"id": {"type": "integer"}}}))
    return PackagedSource("source-fake", package, tmp_path)


def test_given_default_loader_and_shared_ref_when_made_self_contained_then_both_streams_inline_and_discoverable(
        fake_source):
    contained = self_contained(fake_source)

    manifest = contained.manifest
    assert contained.components is None and contained.class_names == ()
    assert "loader" not in manifest["definitions"]  # the file loader definition is gone, not left unused
    assert manifest["schemas"]["a"]["properties"]["total"] == {"type": ["null", "object"],
                                                               "properties": {"amount": {"type": "number"}}}
    catalog = builder_source(manifest, None).discover(LOGGER, {})
    assert {s.name: s.json_schema for s in catalog.streams} == manifest["schemas"]


@pytest.mark.parametrize(("missing", "message"), [
    ("schemas/fake/b.json", "schema file schemas/fake/b.json is missing"),
    ("schemas/fake/shared/money.json", "$ref 'money.json' names schemas/fake/shared/money.json, which is missing"),
])
def test_given_missing_schema_file_when_made_self_contained_then_an_error_names_it(fake_source, missing, message,
                                                                                   monkeypatch):
    monkeypatch.chdir(fake_source.repo)
    (fake_source.repo / missing).unlink()

    with pytest.raises(BuildError) as raised:
        self_contained(fake_source)

    assert message in str(raised.value)
