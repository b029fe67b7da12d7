"""The Cloud editions (editions/cloud/<source>/manifest.yaml) hold no custom code, and Airbyte Cloud's runtime takes
them: the CDK's source class with custom components untrusted and AIRBYTE_ENABLE_UNSAFE_CODE unset builds every
stream, with the package's streams, primary keys and schemas. The same harness refuses a manifest that names custom
code, so the check above cannot pass by accident."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from connector_editions.loading import builder_source, custom_code_allowed

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted(p.parent.parent.name for p in REPO.glob("connectors/source-*/source_*/manifest.yaml"))
# A component of custom code: a `Custom...` type, or a class named in a `components` module.
CUSTOM_TYPE = re.compile(r"^\s*(?:-\s*)?type:\s*['\"]?Custom\w*", re.MULTILINE)
CUSTOM_NAME = re.compile(r"\bcomponents\.\w+")


def custom_code_in(text: str) -> list[str]:
    return [m.group(0).strip() for m in CUSTOM_TYPE.finditer(text)] + CUSTOM_NAME.findall(text)


def cloud_source(manifest: dict[str, Any], config: dict[str, Any]) -> ConcurrentDeclarativeSource:
    """The source as Airbyte Cloud builds a Builder connector: the manifest is the caller's, custom code untrusted."""
    return ConcurrentDeclarativeSource(catalog=None, config=config, state=None, source_config=manifest,
                                       custom_components_trusted=False)


def example_config(connector: str) -> dict[str, Any]:
    return json.loads((REPO / "connectors" / connector / "examples" / "config.json").read_text())


def test_given_the_sources_then_each_has_a_cloud_edition():
    assert SOURCES and sorted(p.name for p in (REPO / "editions" / "cloud").iterdir() if p.is_dir()) == SOURCES


@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_cloud_edition_then_it_names_no_custom_code_and_has_no_components_file(connector):
    folder = REPO / "editions" / "cloud" / connector
    assert custom_code_in((folder / "manifest.yaml").read_text()) == []
    assert not (folder / "components.py").exists()


def test_given_the_packages_when_the_cloud_editions_are_generated_again_then_they_equal_the_committed_folders():
    run = subprocess.run([sys.executable, "-m", "connector_editions", "cloud", "--check"], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_custom_class_of_the_package_then_the_cloud_manifest_names_its_stand_in_or_none(connector):
    full = (REPO / "editions" / "manifest-only" / connector / "manifest.yaml").read_text()
    header = [line for line in (REPO / "editions" / "cloud" / connector / "manifest.yaml").read_text().splitlines()
              if line.startswith("#")]
    classes = sorted(set(re.findall(r"class_name:\s*['\"]?components\.(\w+)", full)))
    assert classes and [c for c in classes if not any(line.startswith(f"#   `{c}` -> ") for line in header)] == []


def test_given_a_manifest_with_custom_code_then_the_scan_names_it():
    text = (REPO / "editions" / "manifest-only" / "source-pluggy" / "manifest.yaml").read_text()
    assert "type: CustomAuthenticator" in custom_code_in(text)
    assert "components.SharedTokenAuthenticator" in custom_code_in(text)


@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_cloud_edition_when_loaded_with_custom_code_off_then_the_packages_streams_keys_and_schemas(
        connector, monkeypatch):
    monkeypatch.delenv("AIRBYTE_ENABLE_UNSAFE_CODE", raising=False)
    manifest = yaml.safe_load((REPO / "editions" / "cloud" / connector / "manifest.yaml").read_text())
    config = example_config(connector)

    catalog = cloud_source(manifest, config).discover(logging.getLogger("airbyte"), config)

    # The manifest-only edition is the package's manifest, self-contained: its discover is the package's.
    full = yaml.safe_load((REPO / "editions" / "manifest-only" / connector / "manifest.yaml").read_text())
    components = (REPO / "editions" / "manifest-only" / connector / "components.py").read_text()
    with custom_code_allowed():
        expected = builder_source(full, components, config).discover(logging.getLogger("airbyte"), config)
    shown = {s.name: (s.source_defined_primary_key, s.json_schema, sorted(m.value for m in s.supported_sync_modes))
             for s in catalog.streams}
    assert shown == {s.name: (s.source_defined_primary_key, s.json_schema,
                              sorted(m.value for m in s.supported_sync_modes)) for s in expected.streams}


def test_given_a_manifest_with_custom_code_when_loaded_as_cloud_loads_it_then_refused(monkeypatch):
    monkeypatch.delenv("AIRBYTE_ENABLE_UNSAFE_CODE", raising=False)
    manifest = yaml.safe_load((REPO / "editions" / "manifest-only" / "source-plutio" / "manifest.yaml").read_text())
    config = example_config("source-plutio")
    with pytest.raises(Exception, match="[Cc]ustom connector code is not permitted"):
        cloud_source(manifest, config).discover(logging.getLogger("airbyte"), config)
