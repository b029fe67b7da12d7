"""A manifest as the CDK sees it: `$ref`s resolved, types and `$parameters` propagated (public CDK parsers).

Tests, the catalogs of the examples and the docs tables are derived from this resolved form, so the manifest
stays the single list of streams and a `$parameters` that a stream silently drops shows up in its tests.

`requester` builds one requester of a manifest's `definitions` for a connector's own Python reader (Protime's
delta streams), with the same two public CDK classes the declarative engine builds every component with. The CDK
offers no public way to take a built requester out of a declarative source (its streams keep them in private
attributes), so this is the one place that builds one, and `test_cdk_pins.py` pins what a reader uses of it.
"""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any, Iterator, Mapping

import yaml
from airbyte_cdk.sources.declarative.models.declarative_component_schema import HttpRequester as HttpRequesterModel
from airbyte_cdk.sources.declarative.parsers.manifest_component_transformer import ManifestComponentTransformer
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester


def load_manifest(package: str) -> dict[str, Any]:
    """The manifest.yaml shipped in `package`, as a dict."""
    return yaml.safe_load(resources.files(package).joinpath("manifest.yaml").read_text())


def resolve(manifest: Mapping[str, Any]) -> dict[str, Any]:
    resolved = ManifestReferenceResolver().preprocess_manifest(copy.deepcopy(dict(manifest)))
    return ManifestComponentTransformer().propagate_types_and_parameters("", resolved, {})


def streams(resolved: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Each stream of a resolved manifest (the CDK resolves `name` from `$parameters` where it is not set)."""
    for stream in resolved.get("streams", []):
        yield stream


def stream_name(stream: Mapping[str, Any]) -> str:
    return str(stream.get("name") or (stream.get("$parameters") or {}).get("name") or "")


def requester(resolved: Mapping[str, Any], definition: str, config: Mapping[str, Any], name: str,
              parameters: Mapping[str, Any]) -> HttpRequester:
    """The HttpRequester `definitions.<definition>` of a resolved manifest, built for one stream: `parameters`
    become its `$parameters`, propagated to its authenticator, error handler and filters as for a stream's own."""
    node = copy.deepcopy(dict(resolved["definitions"][definition]))
    node["$parameters"] = dict(parameters)
    node = ManifestComponentTransformer().propagate_types_and_parameters("", node, {})
    return ModelToComponentFactory().create_component(HttpRequesterModel, node, config, name=name)
