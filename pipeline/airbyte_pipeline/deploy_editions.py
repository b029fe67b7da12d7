"""The editions `deploy` publishes, read from an editions folder (the target's `editions_dir`):

    <editions_dir>/cloud/<source>/manifest.yaml                      Airbyte Cloud: no custom code
    <editions_dir>/manifest-only/<source>/manifest.yaml (+ components.py)   a self-managed instance

One function reads one edition; a missing file is a problem that names it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

CLOUD, MANIFEST_ONLY = "cloud", "manifest-only"
CUSTOM_CLASS = re.compile(r"^\s*class_name:\s*['\"]?components\.", re.MULTILINE)


class EditionError(Exception):
    """An edition is missing or unusable; the message names the file."""


@dataclass(frozen=True)
class Edition:
    connector: str
    kind: str  # cloud | manifest-only
    folder: Path
    manifest: dict[str, Any]
    components: Optional[str]  # components.py, when the edition has one

    @property
    def stream_names(self) -> list[str]:
        return [stream.get("name") or stream.get("$parameters", {}).get("name", "")
                for stream in self.manifest.get("streams", []) if isinstance(stream, dict)]

    @property
    def components_checksum(self) -> Optional[str]:
        return hashlib.sha256(self.components.encode("utf-8")).hexdigest() if self.components else None


def read_edition(editions_dir: Path, kind: str, connector: str) -> Edition:
    folder = editions_dir / kind / connector
    manifest_path = folder / "manifest.yaml"
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EditionError(f"{manifest_path}: no such file: the {kind} edition of {connector} is not there "
                           f"(set editions_dir in the deploy target to the folder that holds {kind}/)") from None
    except OSError as error:
        raise EditionError(f"{manifest_path}: cannot read it: {error.strerror}") from None
    try:
        manifest = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise EditionError(f"{manifest_path}: not YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(manifest, dict) or manifest.get("type") != "DeclarativeSource":
        raise EditionError(f"{manifest_path}: not a declarative manifest (type: DeclarativeSource)")
    components_path = folder / "components.py"
    components = components_path.read_text(encoding="utf-8") if components_path.is_file() else None
    if kind == CLOUD and (components is not None or CUSTOM_CLASS.search(text)):
        raise EditionError(f"{manifest_path}: the Cloud edition names custom components (components.*), and "
                           "Airbyte Cloud runs no custom code")
    if kind == MANIFEST_ONLY and components is None and CUSTOM_CLASS.search(text):
        raise EditionError(f"{components_path}: no such file, and {manifest_path} names custom components")
    return Edition(connector, kind, folder, manifest, components)
