"""SourcePlutio: the declarative manifest (manifest.yaml) run by the CDK, through connector_kit.

One addition: each command starts a sync that knows nothing yet of the server's page cap (components.ServedPages).
"""

from typing import Any, Mapping, Optional

from airbyte_cdk.models import ConfiguredAirbyteCatalog
from connector_kit.declarative import ManifestSource

from source_plutio.components import ServedPages


class SourcePlutio(ManifestSource):
    package = "source_plutio"

    def engine(self, config: Optional[Mapping[str, Any]] = None, catalog: Optional[ConfiguredAirbyteCatalog] = None,
               state: Any = None) -> Any:
        ServedPages.forget()
        return super().engine(config, catalog, state)
