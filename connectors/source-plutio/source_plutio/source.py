"""SourcePlutio: the declarative manifest (manifest.yaml) run by the CDK, through connector_kit.

One addition: each command starts a sync that knows nothing yet of the server's page cap (components.ServedPages).
"""

from connector_kit.declarative import ManifestSource

from source_plutio.components import ServedPages


class SourcePlutio(ManifestSource):
    package = "source_plutio"
    sync_memories = (ServedPages,)
