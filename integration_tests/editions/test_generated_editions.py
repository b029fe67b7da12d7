"""The committed editions are what their packages generate, and each edition's own unit tests pass, test every public
class of its components.py directly and cover at least 90% of its lines (certification R-4, measured with
coverage.py, in a process per edition: each has its own module `components`)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from connector_editions.bundle import public_classes

from conftest import REPO, SOURCES

EDITIONS = REPO / "editions" / "manifest-only"
MIN_COVERAGE = 90.0


def test_given_the_packages_when_the_editions_are_generated_again_then_they_equal_the_committed_folders():
    run = subprocess.run([sys.executable, "-m", "connector_editions", "manifest-only", "--check"], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr


def test_given_a_changed_edition_file_when_checked_then_it_is_named_with_the_fix(tmp_path):
    copy = tmp_path / "editions" / "manifest-only" / "source-pluggy"
    copy.parent.mkdir(parents=True)
    subprocess.run(["cp", "-r", str(EDITIONS / "source-pluggy"), str(copy)], check=True)
    (copy / "manifest.yaml").write_text((copy / "manifest.yaml").read_text() + "\n# edited by hand\n")
    (tmp_path / "connectors").symlink_to(REPO / "connectors")
    (tmp_path / "schemas").symlink_to(REPO / "schemas")
    (tmp_path / "editions" / "manifest-only-tests").symlink_to(REPO / "editions" / "manifest-only-tests")

    run = subprocess.run([sys.executable, "-m", "connector_editions", "manifest-only", "--check", "--repo",
                          str(tmp_path), "--connector", "source-pluggy"], capture_output=True, text=True, timeout=300)

    assert run.returncode == 1
    assert "run make manifest-only" in run.stderr and "source-pluggy/manifest.yaml: differs" in run.stderr


def untested_classes(components_text: str, test_texts: list[str]) -> list[str]:
    """The public classes of a components.py that no unit test names as `components.<Class>`."""
    return [name for name in public_classes(components_text)
            if not any(re.search(rf"\bcomponents\.{name}\b", text) for text in test_texts)]


@pytest.mark.parametrize("connector", SOURCES)
def test_given_each_edition_then_its_unit_tests_pass_test_every_public_class_and_cover_90_percent(connector, tmp_path):
    folder = EDITIONS / connector
    data = tmp_path / ".coverage"
    run = subprocess.run([sys.executable, "-m", "coverage", "run", f"--data-file={data}", "--include=components.py",
                          "-m", "pytest", "-q", "-p", "no:cacheprovider", "unit_tests"],
                         cwd=folder, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    report = subprocess.run([sys.executable, "-m", "coverage", "report", f"--data-file={data}", "--format=total",
                             "--precision=1"], cwd=folder, capture_output=True, text=True, check=True)
    assert float(report.stdout.strip()) >= MIN_COVERAGE, f"{connector}: components.py covered {report.stdout.strip()}%"
    tests = [p.read_text() for p in (folder / "unit_tests").rglob("test_*.py")]
    assert untested_classes((folder / "components.py").read_text(), tests) == []


def test_given_a_class_no_test_names_then_it_is_reported_untested():
    text = "class Paginator:\n    pass\n\nclass _Helper:\n    pass\n"
    assert untested_classes(text, ["components.PaginatorX()"]) == ["Paginator"]
    assert untested_classes(text, ["components.Paginator(parameters={})"]) == []
