"""SourcePlutio: the declarative manifest (manifest.yaml) run by the CDK, through connector_kit."""

from connector_kit.declarative import ManifestSource


class SourcePlutio(ManifestSource):
    package = "source_plutio"
