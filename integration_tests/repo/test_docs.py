"""Every connector docs page has Airbyte's layout for connector docs, in the same order on all four pages, and what
that layout promises: the sync-modes table with Airbyte's five modes, a streams table that is the manifest's list of
streams, every config field, the example config and catalog, links that resolve, and a changelog whose newest entry
is the version in metadata.yaml."""

from __future__ import annotations

import json

import pytest
import yaml
from connector_kit.manifest import load_manifest, resolve, stream_name, streams
from docs_page import DocsPage, github_anchor, link_text, table_rows
from metadata_validator_rules import AIRBYTE_SYNC_MODES

from conftest import CONNECTORS, SOURCES, connector_dir, printed_spec

# The `##` headings of every page, in Airbyte's order and capitals (its docs template, qa-checks.md), `{name}` the
# connector's name in metadata.yaml; `IP allow list` goes before `Changelog` (writing-connector-docs.md).
LAYOUT = ["Prerequisites", "Setup guide", "Set up {name}", "Set up the {name} connector in Airbyte",
          "Supported sync modes", "Supported Streams", "Performance considerations", "Limitations & Troubleshooting",
          "IP allow list", "Changelog"]
SYNC_MODES_INTRO = ("The {name} {kind} connector supports the following "
                    "[sync modes](https://docs.airbyte.com/cloud/core-concepts/#connection-sync-modes):")
INTRO = "This page contains the setup guide and reference information for the"
IP_ALLOW_LIST = ("If you use Airbyte Cloud and your organization restricts access to specific IPs, add the "
                 "[Airbyte Cloud IP addresses](https://docs.airbyte.com/platform/operating-airbyte/ip-allowlist) to "
                 "your allow list.")
CHANGELOG_START = ["<details>", "  <summary>Expand to review</summary>", "",
                   "| Version | Date       | Pull Request | Subject |"]


def page(connector: str) -> DocsPage:
    return DocsPage(connector_dir(connector) / "docs.md")


def metadata(connector: str) -> dict:
    return yaml.safe_load((connector_dir(connector) / "metadata.yaml").read_text())["data"]


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_docs_page_then_its_sections_are_airbytes_in_the_shared_order(connector):
    docs = page(connector)
    name = metadata(connector)["name"]
    assert docs.headings(1) == [name]
    assert docs.headings(2) == [heading.format(name=name) for heading in LAYOUT]
    assert INTRO in one_line(docs.text) and "<HideInUI>" in docs.text
    kind = connector.split("-")[0]
    assert SYNC_MODES_INTRO.format(name=name, kind=kind) in one_line(docs.section("Supported sync modes"))


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_docs_page_then_its_sync_modes_table_names_airbytes_five_modes(connector):
    rows = table_rows(page(connector).section("Supported sync modes"))
    assert rows[0][:2] == ["Sync mode", "Supported?"]
    assert [link_text(row[0]) for row in rows[1:]] == list(AIRBYTE_SYNC_MODES)
    assert {row[1] for row in rows[1:]} <= {"Yes", "No"}


@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_source_page_then_its_streams_table_lists_exactly_the_manifests_streams(connector):
    rows = table_rows(page(connector).section("Supported Streams"))
    listed = [link_text(row[0]) for row in rows[1:]]
    declared = [stream_name(s) for s in streams(resolve(load_manifest(connector.replace("-", "_"))))]
    assert rows[0][0] == "Stream"
    assert sorted(listed) == sorted(declared) and len(set(listed)) == len(listed)


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_docs_page_then_its_setup_guide_names_every_config_field(connector):
    setup = page(connector).section(f"Set up the {metadata(connector)['name']} connector in Airbyte")
    fields = printed_spec(connector)["connectionSpecification"]["properties"]
    assert [name for name in fields if f"`{name}`" not in setup] == []


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_docs_page_then_it_links_its_example_config_and_catalog(connector):
    docs = page(connector)
    for name in ("examples/config.json", "examples/configured_catalog.json"):
        assert name in docs.links(), name
        json.loads((connector_dir(connector) / name).read_text())


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_docs_page_then_every_link_inside_the_repo_resolves(connector):
    docs = page(connector)
    for target in docs.links():
        if target.startswith(("https://", "http://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        if path:
            assert (docs.path.parent / path).exists(), target
        else:
            assert anchor in docs.anchors(), target


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_docs_page_then_its_ip_allow_list_has_airbytes_sentence(connector):
    assert IP_ALLOW_LIST in one_line(page(connector).section("IP allow list"))


@pytest.mark.parametrize("connector", CONNECTORS)
def test_given_each_docs_page_then_its_changelog_is_airbytes_block_newest_first_at_the_metadata_version(connector):
    changelog = page(connector).section("Changelog").strip("\n")
    rows = table_rows(changelog)
    versions = [row[0] for row in rows[1:]]
    assert changelog.splitlines()[:4] == CHANGELOG_START and changelog.endswith("</details>")
    assert versions[0] == metadata(connector)["dockerImageTag"]
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_given_a_heading_with_code_and_punctuation_when_anchored_then_as_github_does():
    assert github_anchor("Personal data: `identity`") == "personal-data-identity"
