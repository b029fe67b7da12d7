"""Shared by the unit tests of every manifest-only edition (copied into each folder's unit_tests/ by `make
manifest-only`; written once, in editions/manifest-only-tests/shared/).

As in Airbyte's manifest-only connectors: the connector folder (or, inside the image, its code folder) goes on
sys.path, so the tests `import components` as the source-declarative-manifest image does, and the manifest's
`components.X` class names resolve to that same module. Every test is a new sync: no token, call budget, call count,
secret to mask or learned server fact is carried over, the HTTP cache is fresh, and time.sleep is recorded instead of waited.
"""

import sys
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional
from unittest.mock import MagicMock

import pytest
from airbyte_cdk.models import ConfiguredAirbyteCatalog
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

pytest_plugins = ["airbyte_cdk.test.utils.manifest_only_fixtures"]


def _get_manifest_path() -> Path:
    source_declarative_manifest_path = Path("/airbyte/integration_code/source_declarative_manifest")
    if source_declarative_manifest_path.exists():
        return source_declarative_manifest_path
    return Path(__file__).parent.parent


_SOURCE_FOLDER_PATH = _get_manifest_path()
_YAML_FILE_PATH = _SOURCE_FOLDER_PATH / "manifest.yaml"
sys.path.append(str(_SOURCE_FOLDER_PATH))

import components  # noqa: E402  (the folder is on sys.path only now)


def get_source(config: Mapping[str, Any], catalog: Optional[ConfiguredAirbyteCatalog] = None,
               state: Optional[list] = None) -> YamlDeclarativeSource:
    """The edition's source as the image builds it: the manifest file, the command's config, catalog and state."""
    return YamlDeclarativeSource(path_to_yaml=str(_YAML_FILE_PATH), catalog=catalog, config=dict(config), state=state)


@pytest.fixture
def http_mocker() -> None:
    """`@HttpMocker()` passes the mocker as this argument; pytest must not look for a fixture of that name."""
    return None


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> MagicMock:
    recorder = MagicMock(return_value=None)
    monkeypatch.setattr("time.sleep", recorder)
    return recorder


@pytest.fixture(autouse=True)
def new_sync(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    def forget() -> None:
        components.forget_all_tokens()
        components.forget_all_pacers()
        components.forget_all_calls()
        components.forget_all_secrets()
        for what_a_sync_learned in ("ServedPages", "SyncItems"):  # Plutio's page cap, Pluggy's listed items
            if hasattr(components, what_a_sync_learned):
                getattr(components, what_a_sync_learned).forget()

    forget()
    monkeypatch.setenv("REQUEST_CACHE_PATH", str(tmp_path))
    yield
    forget()
