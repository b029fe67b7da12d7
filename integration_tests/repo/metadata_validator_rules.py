"""The offline checks of Airbyte's metadata validator, restated here (it is not published on PyPI).

Source: airbytehq/airbyte, `airbyte-ci/connectors/metadata_service/lib/metadata_service/validators/
metadata_validator.py` (PRE_UPLOAD_VALIDATORS). Its checks that need Docker Hub are left out, except the format of
`baseImage`, which the validator checks only on its way to Docker Hub and which we check offline. Each check takes
the `data:` section of a metadata.yaml (and the docs page text where it needs it) and returns its error messages,
worded as Airbyte's; an empty list means the check passes. The schema itself is checked by the
`airbyte-connector-models` model (see test_metadata.py).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Optional

Data = Mapping[str, Any]

# What Airbyte's docs check wants in an OSS or Cloud destination's page.
SYNC_MODES_HEADING = re.compile(r"^#{2,3}\s+Supported sync modes", re.IGNORECASE | re.MULTILINE)
SYNC_MODES_TABLE_HEADER = re.compile(r"\|\s*Sync mode\s*\|", re.IGNORECASE)
AIRBYTE_SYNC_MODES = (
    "Full Refresh - Overwrite",
    "Full Refresh - Append",
    "Full Refresh - Overwrite + Deduped",
    "Incremental Sync - Append",
    "Incremental Sync - Append + Deduped",
)
SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
# The validator splits on ':' and wants exactly image, `tag@sha256`, digest; we also want a real sha256 digest.
BASE_IMAGE = re.compile(r"^[a-z0-9./-]+:[0-9A-Za-z._-]+@sha256:[0-9a-f]{64}$")


def tags_are_key_value_pairs(data: Data, docs: Optional[str] = None) -> list[str]:
    return [f"Tag {tag} is not of the form <KEY>:<VALUE>" for tag in data.get("tags") or [] if ":" not in tag]


def has_a_language_tag(data: Data, docs: Optional[str] = None) -> list[str]:
    if any(tag.startswith("language:") for tag in data.get("tags") or []):
        return []
    return ["At least one tag must be of the form language:<LANG>"]


def major_version_has_a_breaking_change_entry(data: Data, docs: Optional[str] = None) -> list[str]:
    version = SEMVER.match(str(data.get("dockerImageTag", "")))
    if version is None:
        return []  # release_candidate_has_a_rollout_configuration reports it (Airbyte's check would crash here)
    _major, minor, patch, prerelease = version.groups()
    if minor != "0" or patch != "0" or prerelease:
        return []
    releases = data.get("releases") or {}
    if "breakingChanges" not in releases:
        return [f"When doing a major version bump ({data['dockerImageTag']}), there must be a 'releases' property "
                "that contains 'breakingChanges' entries."]
    if data["dockerImageTag"] not in (releases["breakingChanges"] or {}):
        return [f"Major version {data['dockerImageTag']} needs a 'releases.breakingChanges' entry indicating what "
                "changed."]
    return []


def docs_page_exists(data: Data, docs: Optional[str] = None) -> list[str]:
    return [] if docs is not None else ["Could not find the docs page."]


def destination_docs_have_the_sync_modes_table(data: Data, docs: Optional[str] = None) -> list[str]:
    overrides = data.get("registryOverrides") or {}
    published = any((overrides.get(registry) or {}).get("enabled") for registry in ("oss", "cloud"))
    if data.get("connectorType") != "destination" or not published or docs is None:
        return []
    if not SYNC_MODES_HEADING.search(docs):
        return ["Destination docs must contain a '## Supported sync modes' section with a markdown table listing "
                "supported sync modes."]
    if not SYNC_MODES_TABLE_HEADER.search(docs):
        return ["Destination docs have a 'Supported sync modes' heading but are missing the expected markdown table "
                "with '| Sync mode | Supported' columns."]
    missing = [mode for mode in AIRBYTE_SYNC_MODES if not re.search(re.escape(mode), docs, re.IGNORECASE)]
    if missing:
        return [f"Destination docs are missing the following sync modes in the 'Supported sync modes' table: "
                f"{', '.join(missing)}"]
    return []


def base_image_is_pinned_by_digest(data: Data, docs: Optional[str] = None) -> list[str]:
    image = (data.get("connectorBuildOptions") or {}).get("baseImage")
    if image is None:
        return []
    if len(image.split(":")) != 3 or not BASE_IMAGE.match(image):
        return [f"Image {image} is not in the format <image>:<tag>@sha256:<digest>"]
    if set(image.rsplit(":", 1)[1]) == {"0"}:  # Docker Hub has no such image: Airbyte's online check would fail
        return [f"Image {image} has a placeholder digest, not a published one"]
    return []


def pypi_only_for_python(data: Data, docs: Optional[str] = None) -> list[str]:
    pypi = (data.get("remoteRegistries") or {}).get("pypi") or {}
    tags = data.get("tags") or []
    if pypi.get("enabled") and not {"language:python", "language:low-code"} & set(tags):
        return ["If pypi publishing is enabled, the connector must have a python language tag."]
    return []


def release_candidate_has_a_rollout_configuration(data: Data, docs: Optional[str] = None) -> list[str]:
    version = SEMVER.match(str(data.get("dockerImageTag", "")))
    if version is None:
        return [f"The dockerImageTag field is not a valid semver version: {data.get('dockerImageTag')}"]
    major, _minor, _patch, prerelease = version.groups()
    rollout = (data.get("releases") or {}).get("rolloutConfiguration") or {}
    if prerelease and prerelease.startswith("rc."):
        if int(major) >= 1 and version.group(2) == version.group(3) == "0":
            return [f"Release candidates of a major version are not allowed: {data['dockerImageTag']}"]
        if "enableProgressiveRollout" not in rollout:
            return ["A release candidate needs releases.rolloutConfiguration.enableProgressiveRollout."]
    elif rollout.get("enableProgressiveRollout"):
        return ["enableProgressiveRollout is only for release candidates (-rc.N)."]
    return []


OFFLINE_CHECKS: tuple[Callable[[Data, Optional[str]], list[str]], ...] = (
    tags_are_key_value_pairs,
    has_a_language_tag,
    major_version_has_a_breaking_change_entry,
    docs_page_exists,
    destination_docs_have_the_sync_modes_table,
    base_image_is_pinned_by_digest,
    pypi_only_for_python,
    release_candidate_has_a_rollout_configuration,
)


def offline_errors(data: Data, docs: Optional[str]) -> list[str]:
    """Every error of every offline check, in the validator's order."""
    return [error for check in OFFLINE_CHECKS for error in check(data, docs)]
