"""The Plutio source: the declarative manifest, plus the budget's wait logging (see components.py)."""

from __future__ import annotations

import logging
from typing import Any, List, Mapping, Optional

from airbyte_cdk.models import AirbyteConnectionStatus, AirbyteStateMessage, ConfiguredAirbyteCatalog, Status
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.streams.call_rate import HttpAPIBudget

from source_plutio.components import PacedHTTPAPIBudget, PlutioOAuthAuthenticator
from source_plutio.page_size_probe import find_page_cap


class SourcePlutio(YamlDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> None:
        super().__init__(path_to_yaml="manifest.yaml", catalog=catalog, config=config, state=state)

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        status = super().check(logger, config)
        if status.status != Status.SUCCEEDED:
            return status
        cap = find_page_cap(self._config, self._authenticator().get_access_token)
        if cap is not None:
            return AirbyteConnectionStatus(
                status=Status.FAILED,
                message=(
                    f"Plutio returned {cap} records for a page of `page_size` = {self._config.get('page_size') or 100} "
                    f"although more exist: it caps pages at {cap}, and paging would stop after the first page. "
                    f"Set `page_size` to {cap} or less."
                ),
            )
        return status

    def _authenticator(self) -> PlutioOAuthAuthenticator:
        # Same settings as the manifest's authenticator; the token cached by the check's read is reused.
        definition = dict(self.resolved_manifest["definitions"]["authenticator"])
        for key in ("type", "class_name", "$parameters"):
            definition.pop(key, None)
        return PlutioOAuthAuthenticator(config=self._config, parameters={}, **definition)

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        # Built without a config (the standard tests call SourcePlutio() and pass --config to each command):
        # CDK 7 interpolates every component from the constructor's config, so adopt the command's one.
        if not self._config and config:
            self._config = dict(config)
            self._config_for_validation = self._config
        return super().configure(config, temp_dir)

    def _prepare_for_stream_build(self) -> None:
        # The manifest's `api_budget` can only be the stock HTTPAPIBudget, which logs its waits at DEBUG.
        # Swap in the subclass that says at INFO how long a paced call waits (same policies, same state).
        super()._prepare_for_stream_build()
        budget = getattr(getattr(self, "_constructor", None), "_api_budget", None)
        if type(budget) is HttpAPIBudget:
            budget.__class__ = PacedHTTPAPIBudget
