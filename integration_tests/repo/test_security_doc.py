"""SECURITY.md states each promise with the tests that prove it: every test file and test it names must exist, so a
renamed or deleted test cannot leave a promise without its proof."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECURITY = (REPO / "SECURITY.md").read_text(encoding="utf-8")


def test_every_test_file_named_in_security_md_exists():
    named = set(re.findall(r"`((?:connectors|integration_tests|pipeline)/[\w./-]+\.py)", SECURITY))
    assert named, "SECURITY.md names no test file"
    assert sorted(path for path in named if not (REPO / path).is_file()) == []


def test_every_test_named_in_security_md_exists():
    names = set(re.findall(r"::(test_\w+)", SECURITY))
    assert names, "SECURITY.md names no test"
    sources = "\n".join(p.read_text(encoding="utf-8") for folder in ("connectors", "integration_tests", "pipeline")
                        for p in (REPO / folder).rglob("test_*.py"))
    assert sorted(name for name in names if f"def {name}" not in sources) == []
