"""A manifest as the CDK sees it: `$ref`s resolved, types and `$parameters` propagated (public CDK parsers).

Tests, the catalogs of the examples and the docs tables are derived from this resolved form, so the manifest
stays the single list of streams and a `$parameters` that a stream silently drops shows up in its tests.
"""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any, Iterator, Mapping

import yaml
from airbyte_cdk.sources.declarative.parsers.manifest_component_transformer import ManifestComponentTransformer
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver


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
