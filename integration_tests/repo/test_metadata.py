"""Every metadata.yaml loads with Airbyte's own model (`airbyte-connector-models`), passes the offline checks of
Airbyte's metadata validator (its docs checks included, against the connector's docs.md), has the shape of the
other three, and names only things that exist: its icon, docs, package, spec and streams."""

from __future__ import annotations

import copy
from importlib.metadata import version
from typing import Any, Callable, Optional

import pytest
import yaml
from airbyte_connector_models.metadata.v0.connector_metadata_definition_v0 import ConnectorMetadataDefinitionV0
from connector_kit.manifest import load_manifest, resolve, stream_name, streams
from metadata_validator_rules import OFFLINE_CHECKS, offline_errors

from conftest import CONNECTORS, connector_dir, printed_spec

# The keys of `data:`, in the order every file lists them; the last group only applies to sources.
KEY_ORDER = ["name", "definitionId", "connectorType", "connectorSubtype", "dockerRepository", "dockerImageTag",
             "githubIssueLabel", "icon", "license", "documentationUrl", "releaseStage", "releaseDate", "supportLevel",
             "tags", "connectorBuildOptions", "allowedHosts", "registryOverrides", "remoteRegistries",
             "maxSecondsBetweenMessages", "suggestedStreams", "connectorTestSuitesOptions", "ab_internal"]
SOURCE_ONLY = {"maxSecondsBetweenMessages", "suggestedStreams"}


def metadata(connector: str) -> dict[str, Any]:
    return yaml.safe_load((connector_dir(connector) / "metadata.yaml").read_text())


def docs(connector: str) -> str:
    return (connector_dir(connector) / "docs.md").read_text()


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_metadata_file_when_loaded_with_airbytes_model_then_it_is_valid(connector):
    ConnectorMetadataDefinitionV0.model_validate(metadata(connector))


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_metadata_file_when_airbytes_offline_checks_run_then_none_fails(connector):
    assert offline_errors(metadata(connector)["data"], docs(connector)) == []


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_metadata_file_then_its_keys_are_the_shared_ones_in_the_shared_order(connector):
    data = metadata(connector)["data"]
    wanted = [key for key in KEY_ORDER if data["connectorType"] == "source" or key not in SOURCE_ONLY]
    assert list(data) == wanted
    assert list(metadata(connector)) == ["data", "metadataSpecVersion"]


def test_given_the_four_metadata_files_then_they_share_the_base_image_and_the_test_suites():
    datas = [metadata(connector)["data"] for connector in CONNECTORS]
    assert len({d["connectorBuildOptions"]["baseImage"] for d in datas}) == 1
    assert len({yaml.safe_dump(d["connectorTestSuitesOptions"]) for d in datas}) == 1


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_metadata_file_then_what_it_names_exists(connector):
    data = metadata(connector)["data"]
    assert (connector_dir(connector) / data["icon"]).is_file()
    assert data["dockerRepository"] == f"airbyte/{connector}" and data["githubIssueLabel"] == connector
    # The installed package of that name (pyproject.toml's) has the image's version.
    assert version(data["remoteRegistries"]["pypi"]["packageName"]) == data["dockerImageTag"]
    assert data["documentationUrl"] == printed_spec(connector)["documentationUrl"]
    # Test suites name no Airbyte-hosted secrets or connections: every test here runs against the local sandbox.
    assert all(set(suite) == {"suite"} for suite in data["connectorTestSuitesOptions"])


@pytest.mark.parametrize("connector", [c for c in CONNECTORS if c.startswith("source-")])
def test_given_each_source_then_its_suggested_streams_are_streams_of_its_manifest(connector):
    names = {stream_name(s) for s in streams(resolve(load_manifest(connector.replace("-", "_"))))}
    suggested = metadata(connector)["data"]["suggestedStreams"]["streams"]
    assert set(suggested) <= names and len(set(suggested)) == len(suggested)


# ---- the checks themselves fail on what Airbyte's validator rejects ---------------------------------------------
Page = Optional[str]
AIRBYTE_TABLE_MISSING = "## Sync modes\n\n| Destination sync mode | Supported |\n"  # Plecto's page before #11

# check name -> how to break a valid (metadata data, docs page) pair for it
BREAK: dict[str, Callable[[dict[str, Any], Page], tuple[dict[str, Any], Page]]] = {
    "tags_are_key_value_pairs": lambda d, page: ({**d, "tags": [*d["tags"], "python"]}, page),
    "has_a_language_tag": lambda d, page: ({**d, "tags": ["cdk:python"]}, page),
    "major_version_has_a_breaking_change_entry": lambda d, page: ({**d, "dockerImageTag": "1.0.0"}, page),
    "docs_page_exists": lambda d, page: (d, None),
    "destination_docs_have_the_sync_modes_table": lambda d, page: (d, AIRBYTE_TABLE_MISSING),
    "base_image_is_pinned_by_digest": lambda d, page: (
        {**d, "connectorBuildOptions": {"baseImage": "docker.io/airbyte/python-connector-base:4.0.2"}}, page),
    "pypi_only_for_python": lambda d, page: (
        {**d, "tags": ["language:java"], "remoteRegistries": {"pypi": {"enabled": True}}}, page),
    "release_candidate_has_a_rollout_configuration": lambda d, page: ({**d, "dockerImageTag": "0.3.0-rc.1"}, page),
}


@pytest.mark.parametrize("check", OFFLINE_CHECKS, ids=lambda check: check.__name__)
def test_given_a_valid_file_broken_for_one_check_when_checked_then_that_check_fails(check):
    data, page = metadata("destination-plecto")["data"], docs("destination-plecto")
    broken_data, broken_page = BREAK[check.__name__](copy.deepcopy(data), page)

    assert check(data, page) == []
    assert check(broken_data, broken_page)


def test_given_a_zero_placeholder_digest_when_checked_then_the_base_image_check_fails():
    data = copy.deepcopy(metadata("source-pluggy")["data"])
    data["connectorBuildOptions"]["baseImage"] = "docker.io/airbyte/python-connector-base:4.0.2@sha256:" + "0" * 64
    assert "placeholder" in offline_errors(data, docs("source-pluggy"))[0]
