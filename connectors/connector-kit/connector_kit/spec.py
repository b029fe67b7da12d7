"""A connector's SPEC, built without importing the CDK.

`spec` is the command an Airbyte platform runs most (on every connector page and set-up), and the CDK's import
alone costs about 3 s of CPU (most of it `airbyte_protocol_serializers`). A spec is a static document: the
`spec` section of manifest.yaml (sources) or spec.json (destinations), plus the HTTP settings every connector
shares. So the console entry points answer `spec` here and import the CDK only for the other commands.
`ManifestSource.spec` and `DestinationPlecto.spec` build their document with the same functions, and a test
per connector holds the fast answer equal to the CDK's.

This module must not import airbyte_cdk (a test checks it).
"""

import json
import sys
from importlib import resources
from typing import Any, List, Mapping, Optional

import orjson
import yaml

from connector_kit.settings import with_http_settings


# What the CDK's ConnectorSpecification adds to every spec it prints (the protocol's defaults).
PROTOCOL_DEFAULTS = {"supportsNormalization": False, "supportsDBT": False}


def manifest_spec_document(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The ConnectorSpecification (protocol field names) of a declarative manifest's `spec` section."""
    document: dict[str, Any] = {"connectionSpecification": with_http_settings(spec["connection_specification"])}
    if spec.get("documentation_url"):
        document["documentationUrl"] = spec["documentation_url"]
    if spec.get("advanced_auth"):
        document["advanced_auth"] = spec["advanced_auth"]
    return document


def packaged_spec_document(package: str) -> dict[str, Any]:
    """The spec `package` ships: manifest.yaml's `spec` section if it has a manifest, else its spec.json."""
    files = resources.files(package)
    manifest = files.joinpath("manifest.yaml")
    if manifest.is_file():
        return manifest_spec_document(yaml.safe_load(manifest.read_text())["spec"])
    document = json.loads(files.joinpath("spec.json").read_text())
    document["connectionSpecification"] = with_http_settings(document["connectionSpecification"])
    return document


def answered_spec(argv: List[str], package: str, out: Optional[Any] = None) -> bool:
    """Print the SPEC message and return True when the command line is `spec`; else do nothing."""
    if argv != ["spec"]:
        return False
    message = {"type": "SPEC", "spec": {**packaged_spec_document(package), **PROTOCOL_DEFAULTS}}
    stream = out or sys.stdout
    stream.write(orjson.dumps(message).decode() + "\n")
    stream.flush()
    return True
