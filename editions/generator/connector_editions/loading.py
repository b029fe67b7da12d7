"""How Airbyte's Connector Builder loads a manifest with custom code, done through the CDK's public source class.

The Builder (and the standard tests, and Airbyte's API for a published Builder connector) hands the CDK's
`ConcurrentDeclarativeSource` the manifest and a config that carries the text of components.py and its checksum
under the platform's config keys below; the CDK executes the text as module `components` only when the environment
sets AIRBYTE_ENABLE_UNSAFE_CODE=true. The generator checks every edition it writes this way (the repo test
integration_tests/builder/ runs such a source against the sandbox, so a change of these keys fails there).
"""

from __future__ import annotations

import hashlib
import os
import sys
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Iterator, Mapping, Optional

from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

from connector_editions.schemas import BuildError

# The platform's config keys for a manifest's custom code (Airbyte's Builder server sets them).
INJECTED_COMPONENTS = "__injected_components_py"
INJECTED_CHECKSUMS = "__injected_components_py_checksums"
ALLOW_CUSTOM_CODE = "AIRBYTE_ENABLE_UNSAFE_CODE"
# The module names the CDK registers custom code under (class names say `components.X`).
MODULE_NAMES = ("components", "source_declarative_manifest.components")


def injected(config: Mapping[str, Any], components: Optional[str]) -> dict[str, Any]:
    """`config` as the Builder sends it for a manifest whose custom code is `components`."""
    if not components:
        return dict(config)
    return {**config, INJECTED_COMPONENTS: components,
            INJECTED_CHECKSUMS: {"md5": hashlib.md5(components.encode()).hexdigest()}}


@contextmanager
def custom_code_allowed() -> Iterator[None]:
    """AIRBYTE_ENABLE_UNSAFE_CODE=true, and `components` back as it was in sys.modules, for the block."""
    saved_env = os.environ.get(ALLOW_CUSTOM_CODE)
    saved_modules = {name: sys.modules.pop(name, None) for name in MODULE_NAMES}
    os.environ[ALLOW_CUSTOM_CODE] = "true"
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop(ALLOW_CUSTOM_CODE, None)
        else:
            os.environ[ALLOW_CUSTOM_CODE] = saved_env
        for name, module in saved_modules.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module


def builder_source(manifest: Mapping[str, Any], components: Optional[str],
                   config: Optional[Mapping[str, Any]] = None) -> ConcurrentDeclarativeSource:
    """The source the Builder would run (call inside `custom_code_allowed()` when there is custom code)."""
    return ConcurrentDeclarativeSource(catalog=None, config=injected(config or {}, components), state=None,
                                       source_config=dict(manifest))


def check_loads_in_builder(manifest: Mapping[str, Any], components: Optional[str], class_names: tuple[str, ...],
                           origin: str) -> None:
    """Fail unless the Builder can load the manifest with its components, and they define every class it names."""
    with custom_code_allowed():
        try:
            module: Optional[ModuleType] = builder_source(manifest, components).components_module
        except Exception as error:  # noqa: BLE001 - any failure means the Builder cannot load it either
            raise BuildError(f"{origin} does not load in the Connector Builder: {type(error).__name__}: {error}") \
                from error
    missing = [name for name in class_names if module is None or not hasattr(module, name.split(".", 1)[1])]
    if missing:
        raise BuildError(f"{origin}: the Builder's `components` module has no {', '.join(missing)}")
