"""What `deploy` created in Airbyte, `<state_dir>/airbyte-deploy.json` beside pipeline-state.json (mode 0600): per
target (API root and workspace), the id of every definition, source, destination and connection, so that the next
deploy updates them rather than creating twins, and `status` can show the Airbyte side.

It holds no secret: a source's or destination's secret values are kept as an HMAC digest keyed with the Airbyte
client secret (Airbyte shows secrets masked, so the digest is how a deploy knows a secret changed). The file is
written after every object created, so a deploy that stops half-way leaves a record that the next one finishes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from airbyte_pipeline.pipeline_state import now_iso

FORMAT = 1
FILE_NAME = "airbyte-deploy.json"
SECTIONS = ("definitions", "sources", "destinations", "connections")


def secrets_digest(key: str, values: Iterable[tuple[tuple[Any, ...], Any]]) -> str:
    """HMAC-SHA256 of (path, value) pairs, keyed with the Airbyte client secret: equal values, equal digests;
    the digest alone reveals nothing of the values."""
    message = json.dumps(sorted([list(map(str, path)), value] for path, value in values), sort_keys=True)
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass
class DeployRecord:
    path: Path
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, state_dir: Path) -> "DeployRecord":
        path = state_dir / FILE_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        return cls(path, data.get("targets", {}))

    def target(self, key: str) -> dict[str, Any]:
        entry = self.targets.setdefault(key, {})
        for section in SECTIONS:
            entry.setdefault(section, {})
        return entry

    def get(self, key: str, section: str, name: str) -> Optional[dict[str, Any]]:
        return self.targets.get(key, {}).get(section, {}).get(name)

    def put(self, key: str, section: str, name: str, entry: dict[str, Any]) -> None:
        self.target(key)[section][name] = entry
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".airbyte-deploy-")  # mode 0600
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"format": FORMAT, "targets": self.targets}, out, indent=2, sort_keys=True)
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)

    def finish(self, key: str, about: dict[str, Any]) -> None:
        """After a deploy that went through: when, what it was, and what it left on the local runner."""
        self.target(key).update({**about, "deployed_at": now_iso()})
        self.save()
