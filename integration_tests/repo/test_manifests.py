"""Every source manifest, as the CDK resolves it, keeps the repo's invariants: a stream cannot silently lose its
resume boundary, its timeouts, its answer checks or its error handling, and no component is borrowed by index."""

from __future__ import annotations

import importlib
import re
from typing import Any, Iterator

import pytest
import yaml
from connector_kit.errors import VendorErrorHandler
from connector_kit.manifest import load_manifest, resolve

from conftest import REPO

SOURCES = sorted(p.parent.name for p in REPO.glob("connectors/source-*/source_*/manifest.yaml"))


def components(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key not in ("spec", "schemas") or path:
                yield from components(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from components(value, path + (index,))


@pytest.fixture(scope="module", params=SOURCES)
def manifest(request) -> tuple[str, dict]:
    return request.param, resolve(load_manifest(request.param))


def test_given_every_incremental_stream_then_its_cursor_and_resume_boundary_are_in_effect(manifest):
    package, resolved = manifest
    incremental = [s for s in resolved["streams"] if "incremental_sync" in s]
    assert incremental, package
    for stream in incremental:
        cursor = stream["incremental_sync"]
        assert not cursor.get("is_client_side_incremental"), f"{stream['name']}: the CDK would replace the window filter"
        window = stream["retriever"]["record_selector"].get("record_filter") or {}
        assert window.get("class_name") == "connector_kit.records.SliceWindowFilter", stream["name"]
        assert window.get("cursor_field") == cursor["cursor_field"], stream["name"]


def test_given_every_requester_then_it_has_timeouts_checked_answers_and_the_kit_error_handler(manifest):
    package, resolved = manifest
    requesters = [(path, c) for path, c in components(resolved) if c.get("type") == "HttpRequester"]
    assert requesters, package
    for path, requester in requesters:
        where = f"{package}:{'/'.join(map(str, path))}"
        assert requester.get("read_timeout_in_seconds") and requester.get("connect_timeout_in_seconds"), where
        auth = requester.get("authenticator") or {}
        assert auth.get("class_name") == "connector_kit.auth.SharedTokenAuthenticator", where
        assert (auth.get("response_contract") or {}).get("rules"), where
        module, _, name = str(requester["error_handler"].get("class_name")).rpartition(".")
        assert module and issubclass(getattr(importlib.import_module(module), name), VendorErrorHandler), where


def test_given_every_stream_then_its_name_is_the_one_its_parameters_and_schema_use(manifest):
    package, resolved = manifest
    for stream in resolved["streams"]:
        assert stream["$parameters"]["name"] == stream["name"], stream["name"]
    assert len({s["name"] for s in resolved["streams"]}) == len(resolved["streams"])


@pytest.mark.parametrize("package", SOURCES)
def test_given_the_raw_manifest_then_no_component_is_borrowed_by_list_index(package):
    text = (REPO / "connectors" / package.replace("_", "-") / package / "manifest.yaml").read_text()
    refs = re.findall(r'\$ref:\s*"?(#/[^"\s}]+)', text)
    assert refs and not [ref for ref in refs if re.search(r"/\d+(/|$)", ref)]
    yaml.safe_load(text)  # and it is one document
