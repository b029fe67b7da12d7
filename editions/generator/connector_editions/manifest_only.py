"""The manifest-only edition of each source: a folder in Airbyte's manifest-only layout, ready for Airbyte's repository.

`editions/manifest-only/<source>/` holds, all generated from the package (the source of truth) by `make manifest-only`:

    manifest.yaml              the self-contained manifest (self_contained.py): inline schemas, inline spec with the
                               kit's shared HTTP settings, custom classes in `components`
    components.py              the kit modules and the package's components, bundled (bundle.py)
    metadata.yaml              the package's, as a manifest-only connector on Airbyte's source-declarative-manifest
    icon.svg, docs.md, CONTRIBUTING.md, examples/     copied from connectors/<source>/ (the example catalog is made
                               from this edition's own `discover`)
    acceptance-test-config.yml the package's, with paths inside this folder; integration_tests/ holds its configs
    conftest.py                starts the vendor sandbox for `airbyte-cdk connector test` (nothing in Airbyte's repo)
    unit_tests/                mock-server tests of every custom component: copied from editions/manifest-only-tests/
                               (shared/ and <source>/, the one place they are written), and their pyproject.toml
    README.md                  what the folder is and what it lacks against the package

What the package does in Python and cannot travel with a manifest is listed in README.md and the manifest header
(`losses`); spec fields that nothing in the edition reads are left out of its spec.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import textwrap
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import yaml
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, Type
from connector_kit.configured_catalog import configured_catalog
from connector_kit.settings import with_http_settings

from connector_editions import yaml_text
from connector_editions.bundle import public_classes
from connector_editions.loading import builder_source, check_loads_in_builder, custom_code_allowed
from connector_editions.schemas import BuildError
from connector_editions.self_contained import PackagedSource, python_hooks, self_contained

EDITION = "manifest-only"
TESTS_SOURCE = Path("editions") / "manifest-only-tests"  # the one place the edition-only unit tests are written
CDK_VERSION = version("airbyte-cdk")
SDM_IMAGE = "docker.io/airbyte/source-declarative-manifest"
# The digest of Airbyte's source-declarative-manifest image at CDK_VERSION: Docker Hub cannot be reached from this
# repository's machines, and no metadata.yaml of Airbyte's repository that we could read pins this version. Fill it
# in here (`docker buildx imagetools inspect docker.io/airbyte/source-declarative-manifest:7.39.1`) and regenerate.
SDM_DIGEST: Optional[str] = None
# What every packaged source gets from connector_kit's entry point and source class, and no manifest can carry.
KIT_RUNTIME = (
    "the package's entry point (connector_kit.entrypoint): unreadable --config/--catalog/--state files and bad "
    "config values answered in one line naming the field, a catalog stream the source does not have named as an "
    "error, one readable TRACE for a failed sync, and the API calls of the run in its last log line",
    "`read_timeout_seconds` on stream calls: the CDK takes no interpolation for `read_timeout_in_seconds`, so "
    "stream calls keep the manifest's fixed read timeout; the setting applies to token calls only",
)
# Files a run leaves in a folder, never part of it.
IGNORED = ("__pycache__", ".pytest_cache", ".coverage", "build", "secrets", ".venv", ".tmp")


@dataclass
class Edition:
    source: PackagedSource
    folder: Path
    streams: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)
    dropped_fields: list[str] = field(default_factory=list)


def sdm_base_image() -> str:
    tag = f"{SDM_IMAGE}:{CDK_VERSION}"
    return f"{tag}@sha256:{SDM_DIGEST}" if SDM_DIGEST else tag


# ---- the manifest -----------------------------------------------------------------------------------------------
def reads_field(name: str, texts: Iterable[str]) -> bool:
    """True when the manifest or the components read config field `name` (quoted, or `config.<name>`)."""
    pattern = re.compile(rf"(['\"]){re.escape(name)}\1|config\.{re.escape(name)}\b")
    return any(pattern.search(text) for text in texts)


def edition_spec(spec: Mapping[str, Any], readers: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The spec with the kit's shared HTTP settings, less the fields nothing in the edition reads."""
    spec = dict(spec)
    connection = with_http_settings(spec["connection_specification"])
    dropped = [name for name in connection["properties"] if not reads_field(name, readers)]
    connection["properties"] = {k: v for k, v in connection["properties"].items() if k not in dropped}
    if connection.get("required"):
        connection["required"] = [name for name in connection["required"] if name not in dropped]
    spec["connection_specification"] = connection
    return spec, dropped


def edition_manifest(source: PackagedSource) -> tuple[dict[str, Any], Optional[str], tuple[str, ...], list[str]]:
    contained = self_contained(source)
    manifest = dict(contained.manifest)
    readers = [yaml_text.dump({k: v for k, v in manifest.items() if k not in ("spec", "schemas")}),
               contained.components or ""]
    manifest["spec"], dropped = edition_spec(manifest["spec"], readers)
    check_loads_in_builder(manifest, contained.components, contained.class_names, f"the {EDITION} edition of "
                           f"{source.connector}")
    return manifest, contained.components, contained.class_names, dropped


def losses(source: PackagedSource, dropped: list[str]) -> list[str]:
    found = [f"{hook} (connectors/{source.connector}/{source.package}/source.py)" for hook in python_hooks(source.package)]
    found += [f"the spec field `{name}`: only the package's Python reads it" for name in dropped]
    return found + list(KIT_RUNTIME)


def manifest_header(source: PackagedSource, edition: Edition, has_components: bool) -> list[str]:
    header = [
        f"{source.connector}, manifest-only: Airbyte's manifest-only layout (manifest.yaml at the root, run by the",
        "source-declarative-manifest image), one self-contained file: inline spec and schemas.",
        f"Generated by `make manifest-only` from {source.show(source.manifest_path)}",
        f"and {source.show((source.package_dir / 'schemas').resolve())}/: do not edit.",
    ]
    if has_components:
        header.append("Custom components: components.py next to this file (module `components`).")
    header.append("What the package does and this edition does not (README.md):")
    for loss in edition.losses:
        header += textwrap.wrap(loss, 112, initial_indent="  - ", subsequent_indent="    ")
    return header


# ---- metadata.yaml ----------------------------------------------------------------------------------------------
def edition_metadata(source: PackagedSource) -> str:
    """The package's metadata.yaml (comments kept) as a manifest-only connector's: tags, base image, no PyPI package."""
    text = (source.connector_dir / "metadata.yaml").read_text()
    text, tags = re.subn(r"(?m)^(\s+)- language:python\n\s+- cdk:low-code\n",
                         r"\1- language:manifest-only\n\1- cdk:low-code\n", text)
    base = re.compile(r"(?m)^(  connectorBuildOptions:\n)(\s+#.*\n)*(\s+)baseImage: .*\n")
    text, images = base.subn(
        lambda m: (f"{m.group(1)}{m.group(3)}# Airbyte's image for manifest-only connectors at the CDK version of the "
                   f"package ({CDK_VERSION}).\n{m.group(3)}baseImage: {sdm_base_image()}\n"), text)
    text, registries = re.subn(r"(?m)^  remoteRegistries:\n(    .*\n)+", "", text)
    # Cloud runs no custom connector image, but a catalog connector's bundled components.py runs everywhere.
    text, cloud = re.subn(r"(?m)^(    )cloud:\n      enabled: false\n",
                          r"\1# In Airbyte's catalog the bundled components.py is trusted: Cloud runs this edition.\n"
                          r"\1cloud:\n      enabled: true\n", text)
    if (tags, images, registries, cloud) != (1, 1, 1, 1):
        raise BuildError(f"connectors/{source.connector}/metadata.yaml: expected one `language:python` + `cdk:low-code` "
                         "tag pair, one connectorBuildOptions.baseImage, one remoteRegistries block and "
                         "registryOverrides.cloud disabled")
    header = (f"# {source.connector}, manifest-only edition: generated by `make manifest-only` from "
              f"connectors/{source.connector}/metadata.yaml; do not edit.\n")
    return header + text


# ---- acceptance-test-config.yml ------------------------------------------------------------------------------
def edition_acceptance_config(source: PackagedSource, folder: Path) -> dict[str, Any]:
    """The package's acceptance config with every path inside the edition folder (configs copied next to it)."""
    config = yaml.safe_load((source.connector_dir / "acceptance-test-config.yml").read_text())
    config["acceptance_tests"]["spec"]["tests"] = [
        {**test, "spec_path": "manifest.yaml"} for test in config["acceptance_tests"]["spec"]["tests"]]

    def relocate(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: relocate(value) for key, value in node.items() if key != "future_state"}
        if isinstance(node, list):
            return [relocate(value) for value in node]
        if isinstance(node, str) and node.endswith(".json") and node.startswith("../"):
            origin = (source.connector_dir / node).resolve()
            target = folder / "integration_tests" / origin.name
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(origin, target)
            return f"integration_tests/{origin.name}"
        return node

    return relocate(config)


# ---- the folder --------------------------------------------------------------------------------------------------
def conftest_text(vendor: str) -> str:
    """The folder's conftest.py: as each connector package's, the repository's own emulator for the run, on a free
    port, and the Docker image tests deselected where no daemon answers; nothing where neither is installed."""
    return (f'"""Lets `airbyte-cdk connector test` start the repository\'s {vendor.capitalize()} sandbox by itself, on '
            "a free port,\nand deselect the Docker image tests where no Docker daemon answers (generated by `make "
            "manifest-only`).\n\nIn Airbyte's repository neither the sandbox nor the repository's test helpers are "
            'installed and this does\nnothing: the configs there are secrets/config.json."""\n\n'
            "try:\n"
            "    from connector_kit.testing.standard_tests import (  # noqa: F401 - pytest finds the hooks by name\n"
            "        pytest_collection_modifyitems, pytest_report_collectionfinish)\n"
            "    from sandbox.standard_tests_plugin import pytest_runtest_call, sandbox_for_standard_tests  # noqa: F401\n"
            "except ImportError:  # not this repository's venv\n    pass\nelse:\n"
            f'    _{vendor}_sandbox = sandbox_for_standard_tests("{vendor}")\n')


def unit_tests_pyproject(source: PackagedSource) -> str:
    """unit_tests/pyproject.toml, as Airbyte's manifest-only connectors have it (Poe installs and runs it there)."""
    return (f'# Generated by `make manifest-only`. Airbyte\'s CI runs: cd unit_tests && poetry install && poetry run pytest\n'
            f'[tool.poetry]\nname = "{source.connector}-unit-tests"\nversion = "0.0.0"\n'
            f'description = "Mock-server tests of the custom components of {source.connector}"\n'
            'authors = []\npackage-mode = false\n\n'
            '[tool.poetry.dependencies]\npython = "^3.10,<3.13"\n'
            f'airbyte-cdk = "{CDK_VERSION}"\npytest = "*"\nrequests-mock = "*"\nfreezegun = "*"\ncoverage = "*"\n')


def readme_text(source: PackagedSource, edition: Edition, classes: list[str]) -> str:
    here = f"editions/manifest-only/{source.connector}"

    def paragraph(text: str, indent: str = "") -> list[str]:
        return textwrap.wrap(text, 116, initial_indent=indent, subsequent_indent=" " * len(indent)) + [""]

    lines = [f"# {source.connector} (manifest-only edition)", ""]
    lines += paragraph(f"Generated by `make manifest-only` from `connectors/{source.connector}` (the source of truth): "
                       "do not edit. The folder has Airbyte's manifest-only layout and can be copied into "
                       f"`airbyte-integrations/connectors/{source.connector}/` of Airbyte's repository; `docs.md` "
                       f"goes to `docs/integrations/sources/{source.connector.removeprefix('source-')}.md`.")
    lines += paragraph("Run it as Airbyte's `source-declarative-manifest` image does, from the repository root in its "
                       "venv:")
    lines += ["```bash", f".venv/bin/python -m connector_editions.run {here} spec",
              f".venv/bin/python -m connector_editions.run {here} check --config {here}/examples/config.json",
              "```", ""]
    lines += paragraph(f"Streams: {', '.join(f'`{name}`' for name in edition.streams)}.")
    lines += paragraph(f"Custom components (`components.py`): {', '.join(f'`{name}`' for name in classes) or 'none'}.")
    lines += ["## What the package does and this edition does not", ""]
    for loss in edition.losses:
        lines += paragraph(loss, "- ")[:-1]
    return "\n".join(lines) + "\n"


def example_catalog(manifest: Mapping[str, Any], components: Optional[str], config: Mapping[str, Any],
                    names: list[str]) -> dict[str, Any]:
    """The package's example catalog's streams, configured as this edition's own `discover` offers them."""
    with custom_code_allowed():
        catalog = builder_source(manifest, components, config).discover(logging.getLogger("airbyte"), config)
    printed = AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.CATALOG, catalog=catalog))  # as `discover` prints
    streams = [{**stream, "json_schema": {}} for stream in printed["catalog"]["streams"]]
    return configured_catalog(streams, names)


def build(source: PackagedSource, output_dir: Path) -> Edition:
    """Write `output_dir/<source>/` afresh; returns what was written."""
    folder = output_dir / source.connector
    if folder.exists():
        shutil.rmtree(folder)  # never leave a stale file behind
    manifest, components, class_names, dropped = edition_manifest(source)
    edition = Edition(source, folder, [s["name"] for s in manifest["streams"]], losses(source, dropped), dropped)
    folder.mkdir(parents=True)
    (folder / "manifest.yaml").write_text(
        yaml_text.dump(manifest, manifest_header(source, edition, components is not None)))
    if components is not None:
        (folder / "components.py").write_text(components)
    (folder / "metadata.yaml").write_text(edition_metadata(source))
    for name in ("icon.svg", "docs.md", "CONTRIBUTING.md"):
        if not (source.connector_dir / name).is_file():
            raise BuildError(f"connectors/{source.connector}/{name} is missing")
        shutil.copyfile(source.connector_dir / name, folder / name)
    examples = folder / "examples"
    examples.mkdir()
    config = json.loads((source.connector_dir / "examples" / "config.json").read_text())
    shutil.copyfile(source.connector_dir / "examples" / "config.json", examples / "config.json")
    package_catalog = json.loads((source.connector_dir / "examples" / "configured_catalog.json").read_text())
    names = [entry["stream"]["name"] for entry in package_catalog["streams"]]
    (examples / "configured_catalog.json").write_text(
        json.dumps(example_catalog(manifest, components, config, names), indent=2) + "\n")
    (folder / "acceptance-test-config.yml").write_text(yaml_text.dump(
        edition_acceptance_config(source, folder),
        [f"Standard tests of the manifest-only {source.connector}: `airbyte-cdk connector test <this folder>`",
         "(make standard-tests), against the repository's sandbox that conftest.py starts; paths are relative to",
         "this folder. Generated by `make manifest-only` from the package's: do not edit."]))
    (folder / "conftest.py").write_text(conftest_text(source.connector.removeprefix("source-")))
    copy_unit_tests(source, folder)
    (folder / "README.md").write_text(readme_text(source, edition, public_classes(components or "")))
    return edition


def copy_unit_tests(source: PackagedSource, folder: Path) -> None:
    tests = folder / "unit_tests"
    origin = source.repo / TESTS_SOURCE
    for part in ("shared", source.connector):
        if not (origin / part).is_dir():
            raise BuildError(f"{TESTS_SOURCE / part} is missing: the edition's unit tests are written there")
        shutil.copytree(origin / part, tests, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*IGNORED))
    (tests / "pyproject.toml").write_text(unit_tests_pyproject(source))


def differences(expected: Path, actual: Path) -> list[str]:
    """The files that differ between two edition folders (run leftovers ignored), as `path: why` lines."""
    def files(root: Path) -> dict[str, Path]:
        if not root.is_dir():
            return {}
        return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
                if p.is_file() and not any(part in IGNORED for part in p.relative_to(root).parts)}

    want, have = files(expected), files(actual)
    out = [f"{name}: missing" for name in want if name not in have]
    out += [f"{name}: not generated" for name in have if name not in want]
    out += [f"{name}: differs" for name in want if name in have and want[name].read_bytes() != have[name].read_bytes()]
    return sorted(out)
