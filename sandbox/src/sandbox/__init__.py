"""The vendor sandbox: local HTTP emulators of the Pluggy, Plutio, Protime and Plecto APIs, and a stand-in for
Airbyte's own public API (what `airbyte-pipeline deploy` calls).

`EMULATORS` names each emulator's class and its fixed loopback port for `make sandbox` and the
acceptance-test configs; tests start emulators on free ports instead (see integration_tests/conftest.py).
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> ("module:Class", fixed port used by `make sandbox` and acceptance-test-config/)
EMULATORS: dict[str, tuple[str, int]] = {
    "pluggy": ("sandbox.pluggy:PluggyEmulator", 18701),
    "plutio": ("sandbox.plutio:PlutioEmulator", 18702),
    "protime": ("sandbox.protime:ProtimeEmulator", 18703),
    "plecto": ("sandbox.plecto:PlectoEmulator", 18704),
    # 18705 is `make postgres`'s
    "airbyte_api": ("sandbox.airbyte_api:AirbyteApiEmulator", 18706),
}


def emulator_class(name: str) -> Any:
    target, _port = EMULATORS[name]
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def available() -> list[str]:
    """Emulators whose module exists (lets the sandbox run while a vendor is still being built)."""
    names = []
    for name in EMULATORS:
        try:
            emulator_class(name)
        except ModuleNotFoundError:
            continue
        names.append(name)
    return names
