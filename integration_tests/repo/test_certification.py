"""Airbyte's connector certification criteria (v2) that a repository can show, checked on every source package and on
every manifest-only edition (editions/CERTIFICATION.md lists each criterion with its evidence: these tests).

Each check lives in certification.py; the last tests here show that each one fails on what the criterion refuses.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from airbyte_connector_models.metadata.v0.connector_metadata_definition_v0 import ConnectorMetadataDefinitionV0
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader
from certification import (
    allowed_hosts_problems,
    bypass_problems,
    error_handler_problems,
    heading_order_problems,
    heartbeat_seconds,
    https_problems,
    icon_problems,
    key_problems,
    manifest_only_problems,
    parent_id_problems,
    prerequisite_problems,
    secret_problems,
    section_order_problem,
    spec_field_problems,
)
from connector_kit.manifest import load_manifest, resolve
from docs_page import DocsPage

from conftest import REPO, SOURCES, connector_dir, printed_spec

EDITIONS = REPO / "editions" / "manifest-only"
CDK_VERSION = version("airbyte-cdk")
# Every form of a source that Airbyte may be asked to certify: the package and its manifest-only edition.
FORMS = [(connector, form) for connector in SOURCES for form in ("package", "manifest-only")]
CONTRIBUTING_SECTIONS = ["Authentication", "Rate limits", "Errors", "Deletions", "Primary keys and parent ids",
                         "Heartbeat (`maxSecondsBetweenMessages`)"]


def folder(connector: str, form: str) -> Path:
    return connector_dir(connector) if form == "package" else EDITIONS / connector


def metadata(connector: str, form: str) -> dict[str, Any]:
    return yaml.safe_load((folder(connector, form) / "metadata.yaml").read_text())


def manifest(connector: str, form: str) -> dict[str, Any]:
    if form == "package":
        return resolve(load_manifest(connector.replace("-", "_")))
    return resolve(yaml.safe_load((EDITIONS / connector / "manifest.yaml").read_text()))


def connection_specification(connector: str, form: str) -> dict[str, Any]:
    """The spec a user fills in: the package's as its CLI prints it (the kit's settings added), the edition's inline."""
    if form == "package":
        return printed_spec(connector)["connectionSpecification"]
    return manifest(connector, form)["spec"]["connection_specification"]


def schema(connector: str, form: str, stream: dict[str, Any]) -> dict[str, Any]:
    if form == "package":
        return ResourceSchemaLoader(connector.replace("-", "_")).get_schema(stream["name"])
    return stream["schema_loader"]["schema"]


def sample_configs(connector: str, form: str) -> list[dict[str, Any]]:
    """A config as Airbyte's UI makes it (required fields from their examples, defaults filled in), then one per value
    of each enum field, then one with every URL override set: together they reach every host the source can call."""
    spec = connection_specification(connector, form)
    props = spec["properties"]
    base = {name: (props[name].get("examples") or ["value"])[0] for name in spec.get("required") or []}
    base.update({name: prop["default"] for name, prop in props.items() if "default" in prop and name not in base})
    configs = [base] + [{**base, name: value} for name, prop in props.items() for value in prop.get("enum") or []]
    overrides = {name: f"https://{name.replace('_', '-')}.example.com/api" for name in props if name.endswith("url")}
    return configs + [{**base, **overrides}]


# ---- G-1, M-1..M-7: metadata ----------------------------------------------------------------------------------
@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_edition_then_it_is_manifest_only_on_the_sdm_image_at_the_cdk_version(connector):
    data = metadata(connector, "manifest-only")["data"]
    ConnectorMetadataDefinitionV0.model_validate(metadata(connector, "manifest-only"))
    assert manifest_only_problems(data, CDK_VERSION) == []
    assert (EDITIONS / connector / "manifest.yaml").is_file()
    assert data["registryOverrides"] == {"oss": {"enabled": True}, "cloud": {"enabled": True}}  # M-6, the file's part


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_source_then_its_allowed_hosts_are_exactly_the_hosts_it_calls(connector, form):
    assert allowed_hosts_problems(metadata(connector, form)["data"], manifest(connector, form),
                                  sample_configs(connector, form)) == []


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_source_then_its_heartbeat_is_derived_from_its_worst_wait_and_retries(connector, form):
    assert metadata(connector, form)["data"]["maxSecondsBetweenMessages"] == heartbeat_seconds(manifest(connector, form))


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_source_then_it_suggests_3_to_10_of_its_streams(connector, form):
    suggested = metadata(connector, form)["data"]["suggestedStreams"]["streams"]
    names = {stream["name"] for stream in manifest(connector, form)["streams"]}
    assert 3 <= len(suggested) <= 10 and set(suggested) <= names and len(set(suggested)) == len(suggested)


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_source_then_its_icon_is_square_and_draws_no_text(connector, form):
    assert icon_problems((folder(connector, form) / "icon.svg").read_text()) == []


# ---- R-3, E-2: acceptance config ------------------------------------------------------------------------------
@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_bypassed_stream_then_it_has_a_reason_and_a_mock_test(connector):
    texts = {str(p): p.read_text() for p in (EDITIONS / connector / "unit_tests").rglob("*.py")}
    for form in ("package", "manifest-only"):
        acceptance = yaml.safe_load((folder(connector, form) / "acceptance-test-config.yml").read_text())
        assert bypass_problems(acceptance, texts) == []


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_source_then_its_check_stream_is_not_a_bypassed_one(connector, form):
    acceptance = yaml.safe_load((folder(connector, form) / "acceptance-test-config.yml").read_text())
    empty = {entry["name"] for test in acceptance["acceptance_tests"]["basic_read"]["tests"]
             for entry in test.get("empty_streams") or []}
    assert set(manifest(connector, form)["check"]["stream_names"]).isdisjoint(empty)


# ---- S-1, S-3: keys and parent ids ----------------------------------------------------------------------------
@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_stream_then_its_primary_key_is_a_stable_schema_field(connector, form):
    streams = manifest(connector, form)["streams"]
    assert [p for stream in streams for p in key_problems(stream, schema(connector, form, stream))] == []


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_stream_read_per_parent_then_its_records_carry_the_parent_id(connector, form):
    streams = manifest(connector, form)["streams"]
    assert [p for stream in streams for p in parent_id_problems(stream, schema(connector, form, stream))] == []


# ---- E-1, P-1..P-3: errors, concurrency, budgets, backoff -----------------------------------------------------
@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_requester_then_401_403_are_config_errors_429_waits_5xx_retry_with_backoff(connector, form):
    assert error_handler_problems(manifest(connector, form)) == []


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_source_then_concurrency_is_configured_and_a_budget_or_its_absence_documented(connector, form):
    resolved = manifest(connector, form)
    contributing = (folder(connector, form) / "CONTRIBUTING.md").read_text()
    assert resolved["concurrency_level"]["default_concurrency"]
    assert "api_budget" in resolved or "## Rate limits" in contributing and "api_budget" in contributing


# ---- secrets, HTTPS ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_spec_then_every_credential_is_secret(connector, form):
    assert secret_problems(connection_specification(connector, form)) == []


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_source_then_it_calls_https_only_and_its_url_fields_refuse_plain_http(connector, form):
    base, *others = sample_configs(connector, form)
    assert [p for config in [base, *others] for p in https_problems(manifest(connector, form), config)] == []
    for name, prop in connection_specification(connector, form)["properties"].items():
        if name.endswith("url"):
            assert not re.fullmatch(prop["pattern"], "http://api.example.com"), name
            assert re.fullmatch(prop["pattern"], "https://api.example.com/v1"), name


# ---- spec ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_spec_field_then_it_is_titled_described_ordered_and_has_its_default(connector, form):
    assert spec_field_problems(connection_specification(connector, form)) == []


# ---- D-1, D-2: docs, CONTRIBUTING.md ----------------------------------------------------------------------------
@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_docs_page_then_its_headings_follow_airbytes_template_and_prerequisites_name_required_fields(
        connector, form):
    docs = DocsPage(folder(connector, form) / "docs.md")
    name = metadata(connector, form)["data"]["name"]
    headings = [h for line in docs.prose_lines() if (h := _heading(line))]
    assert heading_order_problems(headings, name) == []
    assert section_order_problem(docs.headings(2), "IP allow list", "Changelog") is None
    assert prerequisite_problems(docs.section("Prerequisites"), connection_specification(connector, form)) == []


@pytest.mark.parametrize(("connector", "form"), FORMS)
def test_given_each_source_then_contributing_documents_its_exceptions(connector, form):
    headings = DocsPage(folder(connector, form) / "CONTRIBUTING.md").headings(2)
    assert [s for s in CONTRIBUTING_SECTIONS if not any(h.startswith(s) for h in headings)] == []


@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_edition_then_its_docs_name_what_it_lacks(connector):
    """A spec field the edition drops (read only by the package's Python) is named in the docs' edition section."""
    package = set(connection_specification(connector, "package")["properties"])
    edition = set(connection_specification(connector, "manifest-only")["properties"])
    lacks = DocsPage(connector_dir(connector) / "docs.md").text.split("### What the manifest-only edition does not do")
    assert len(lacks) == 2
    section = lacks[1].split("\n### ")[0]
    assert [name for name in sorted(package - edition) if name not in section and "delta" not in section] == []
    assert "`read_timeout_seconds`" in section


def _heading(line: str) -> str:
    """A heading's name as Airbyte's docs check reads it: levels 1 to 4, the text before any inline code."""
    match = re.match(r"^#{1,4} (.*)$", line)
    return match.group(1).split("`")[0].strip() if match else ""


# ---- each check fails on what its criterion refuses -----------------------------------------------------------
PLUGGY = {"allowedHosts": {"hosts": ["api.pluggy.ai"]}}
PLUGGY_MANIFEST = {"definitions": {"requester": {"type": "HttpRequester",
                                                 "url": "{{ config.get('base_url') or 'https://api.pluggy.ai' }}/x"}}}


def test_given_a_host_the_metadata_misses_or_a_wildcard_then_the_hosts_check_fails():
    configs = [{}, {"base_url": "https://proxy.example.com"}]
    assert "calls proxy.example.com" in " ".join(allowed_hosts_problems(PLUGGY, PLUGGY_MANIFEST, configs))
    widened = {"allowedHosts": {"hosts": ["*", "api.pluggy.ai", "${base_url}"]}}
    assert allowed_hosts_problems(widened, PLUGGY_MANIFEST, configs) == [
        "allowedHosts has the bare wildcard '*'", "allowedHosts lists '*', which no config makes the connector call"]


def test_given_a_protime_sandbox_token_host_missing_then_the_hosts_check_names_it():
    data = metadata("source-protime", "package")["data"]
    hosts = [h for h in data["allowedHosts"]["hosts"] if h != "authentication.myprotimesandbox.eu"]
    problems = allowed_hosts_problems({"allowedHosts": {"hosts": hosts}}, manifest("source-protime", "package"),
                                      sample_configs("source-protime", "package"))
    assert problems == ["the connector calls authentication.myprotimesandbox.eu but allowedHosts does not list it"]


def test_given_a_text_glyph_or_an_oblong_icon_then_the_icon_check_fails():
    assert icon_problems('<svg xmlns="http://www.w3.org/2000/svg" width="250px" height="250"><rect/></svg>') == []
    assert icon_problems('<svg width="250" height="200"><text>P</text></svg>') == [
        "icon.svg is not square: width '250', height '200'", "icon.svg draws text (<text>): use a mark, not letters"]


def test_given_a_python_package_or_a_dev_image_then_the_manifest_only_check_fails():
    problems = manifest_only_problems({"tags": ["language:python", "cdk:low-code"], "connectorBuildOptions": {
        "baseImage": "docker.io/airbyte/source-declarative-manifest:7.39.1.dev1@sha256:abc"}}, "7.39.1")
    assert len(problems) == 4


def test_given_an_empty_stream_without_reason_or_mock_then_the_bypass_check_fails():
    acceptance = {"acceptance_tests": {"basic_read": {"tests": [{"empty_streams": [{"name": "bills"}]}]}}}
    assert bypass_problems(acceptance, {}) == ["empty stream 'bills' has no bypass_reason",
                                               "empty stream 'bills' has no HttpMocker test in unit_tests/"]
    acceptance["acceptance_tests"]["basic_read"]["tests"][0]["empty_streams"][0]["bypass_reason"] = "no card"
    assert bypass_problems(acceptance, {"t.py": "with HttpMocker() as m: read('bills')"}) == []


def test_given_a_run_dependent_key_or_a_child_without_its_parent_id_then_the_schema_checks_fail():
    stream = {"name": "peers", "primary_key": ["uuid"], "transformations": [
        {"fields": [{"path": ["uuid"], "value": "{{ now_utc() }}"}]}],
        "retriever": {"partition_router": {"parent_stream_configs": [{"partition_field": "room_id"}]}}}
    schema_ = {"properties": {"uuid": {}}, "required": []}
    assert key_problems(stream, schema_) == ["stream 'peers': key field 'uuid' is set per run ({{ now_utc() }})"]
    assert "read per room_id" in parent_id_problems(stream, schema_)[0]
    assert parent_id_problems(stream, {"required": ["roomId"]}) == []


def test_given_a_403_that_fails_as_system_error_or_a_5xx_that_fails_then_the_errors_check_fails():
    handler = {"type": "CustomErrorHandler", "class_name": "components.VendorErrorHandler", "response_filters": [
        {"http_codes": [403], "action": "FAIL", "failure_type": "system_error", "error_message": "no"},
        {"http_codes": [503], "action": "FAIL"}]}
    assert error_handler_problems({"r": {"type": "HttpRequester", "error_handler": handler}}) == [
        "403 is FAIL system_error, not a config error", "503 is FAIL instead of retried"]


def test_given_an_unmarked_secret_or_an_http_url_then_the_auth_checks_fail():
    assert secret_problems({"properties": {"api_key": {"type": "string"}, "token_url": {"type": "string"}}}) == [
        "spec field `api_key` holds a credential but is not marked airbyte_secret"]
    assert https_problems({"r": {"url": "http://{{ config['host'] }}/x"}}, {"host": "h"}) == ["url 'http://h/x' is not HTTPS"]


def test_given_an_unordered_or_undefaulted_field_then_the_spec_check_fails():
    spec = {"required": ["a"], "properties": {"a": {"title": "A", "description": "d", "order": 0, "default": 1},
                                              "b": {"type": "integer", "title": "B", "description": "d", "order": 0}}}
    assert spec_field_problems(spec) == ["fields ['a', 'b']: every field needs its own integer `order`",
                                         "spec field `a` is required but has a default",
                                         "optional spec field `b` has no default"]


def test_given_lower_case_streams_heading_or_missing_prerequisite_then_the_docs_checks_fail():
    page = ["Pluggy", "Prerequisites", "Setup guide", "Set up Pluggy", "Supported sync modes", "Supported streams",
            "Changelog"]
    assert heading_order_problems(page, "Pluggy") == [
        "heading 'Supported streams' where Airbyte's template expects 'Supported Streams'"]
    assert heading_order_problems(page[:4], "Pluggy") == [
        "missing heading(s) ['Supported sync modes', 'Supported Streams', 'Changelog']"]
    spec = {"required": ["business"], "properties": {"business": {"title": "Business"}}}
    assert prerequisite_problems("The business subdomain.", spec) == [
        "Prerequisites do not name the required field `business` ('business')"]
