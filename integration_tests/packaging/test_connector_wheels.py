"""What `pip install` of a connector ships (the Docker images install the same way): the manifest and every
schema of the repo's schemas/<vendor>/, copied through the package's symlink, so an installed source has no
reference back into this repo."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

SOURCES = {"source-pluggy": "pluggy", "source-plutio": "plutio", "source-protime": "protime"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, zipfile.ZipFile]:
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    *(str(REPO / "connectors" / name) for name in SOURCES)], check=True, timeout=300)
    return {name: zipfile.ZipFile(next(out.glob(f"airbyte_{name.replace('-', '_')}-*.whl"))) for name in SOURCES}


@pytest.mark.parametrize("connector", sorted(SOURCES))
def test_given_source_wheel_when_built_then_it_ships_the_manifest_and_every_repo_schema(wheels, connector):
    package = connector.replace("-", "_")
    shipped = {Path(n).relative_to(f"{package}/schemas").as_posix(): n
               for n in wheels[connector].namelist() if n.startswith(f"{package}/schemas/")}
    schema_dir = REPO / "schemas" / SOURCES[connector]
    expected = {p.relative_to(schema_dir).as_posix() for p in schema_dir.rglob("*.json")}

    assert f"{package}/manifest.yaml" in wheels[connector].namelist()
    assert set(shipped) == expected
    for relative, member in shipped.items():
        assert wheels[connector].read(member) == (schema_dir / relative).read_bytes(), relative
