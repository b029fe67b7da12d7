"""SourcePluggy: the declarative manifest (manifest.yaml) run by the CDK, through connector_kit."""

from connector_kit.declarative import ManifestSource


class SourcePluggy(ManifestSource):
    package = "source_pluggy"
