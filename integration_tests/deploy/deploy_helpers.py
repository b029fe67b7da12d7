"""The deploy tests' side: the repository's editions (editions/manifest-only and editions/cloud), deploy targets over
the Airbyte API stand-in, and the example pipeline file with only some of its sources."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))  # the example pipeline's test side
from sandbox_pipeline import EXAMPLE, EXAMPLES, airbyte_pipeline, pipeline_env  # noqa: E402,F401 (re-exported)

REPO = Path(__file__).resolve().parents[2]
EDITIONS = REPO / "editions"
SOURCES = ("source-pluggy", "source-protime", "source-plutio")
SECRETS = [line.split("=", 1)[1] for line in (EXAMPLES / "sandbox.env").read_text().splitlines()
           if "=" in line and not line.startswith("#")]
# What each pushed stream's connection must say (the sources' catalogs: cursor and primary key).
PUSHED_STREAMS = {
    "pluggy.transactions": {"name": "transactions", "syncMode": "incremental_deduped_history",
                            "cursorField": ["createdAt"], "primaryKey": [["id"]]},
    "protime.clockings": {"name": "clockings", "syncMode": "incremental_deduped_history",
                          "cursorField": ["changeVersion"], "primaryKey": [["id"]]},
    "plutio.time_tracks": {"name": "time_tracks", "syncMode": "incremental_deduped_history",
                           "cursorField": ["updatedAt"], "primaryKey": [["_id"]]},
}


@pytest.fixture(scope="session")
def editions() -> Path:
    """The repository's editions folder: manifest-only/<source>/ (what a self-managed instance gets) and
    cloud/<source>/manifest.yaml (what Airbyte Cloud gets), as `make manifest-only` generates and commits them."""
    return EDITIONS


def write_target(path: Path, stand_in: Any, editions: Path, kind: Optional[str] = None, **changes: Any) -> Path:
    """A deploy target over the stand-in; credentials as ${VARIABLES} from the example's sandbox.env."""
    config = stand_in.connector_config()
    target: dict[str, Any] = {"kind": kind or config["kind"], "api_root": config["api_root"],
                              "workspace_id": config["workspace_id"], "client_id": "${AIRBYTE_CLIENT_ID}",
                              "client_secret": "${AIRBYTE_CLIENT_SECRET}", "editions_dir": str(editions)}
    if target["kind"] == "self-managed":
        target["images"] = {"destination-plecto": "registry.example.com/airbyte/destination-plecto:0.3.0",
                            **{s: f"registry.example.com/airbyte/{s}:0.3.0" for s in SOURCES}}
    target.update(changes)
    path.write_text(yaml.safe_dump({k: v for k, v in target.items() if v is not None}, sort_keys=False))
    return path


def write_example(path: Path, sources: Optional[list[str]] = None, **changes: Any) -> Path:
    """The example pipeline file (its env_file by absolute path), with only these sources and their pushes."""
    pipeline = yaml.safe_load(EXAMPLE.read_text())
    pipeline["env_file"] = str(EXAMPLES / pipeline["env_file"])
    if sources:
        pipeline["sources"] = {key: pipeline["sources"][key] for key in sources}
        pipeline["plecto"]["streams"] = [s for s in pipeline["plecto"]["streams"] if s["source"] in sources]
    pipeline.update(changes)
    path.write_text(yaml.safe_dump({k: v for k, v in pipeline.items() if v is not None}, sort_keys=False))
    return path


def files_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def secrets_in(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]
