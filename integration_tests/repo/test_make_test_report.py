"""What `make test` prints: a line per test file as the file finishes (under pytest-xdist too), each run's totals in
a file, and one closing line adding up the phases; a run that changed the working tree fails, naming the change."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from connector_kit.testing.test_totals import main as closing_line_main

PLUGIN = ["-p", "connector_kit.testing.test_report", "-o", "console_output_style=classic"]


def two_test_files(folder: Path) -> Path:
    folder.mkdir()
    (folder.parent / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_good.py").write_text("def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    (folder / "test_mixed.py").write_text(textwrap.dedent("""\
        import pytest

        def test_passes():
            pass

        def test_fails():
            assert False

        @pytest.mark.skip(reason="not here")
        def test_skipped():
            pass
        """))
    return folder


def run_pytest(folder: Path, totals: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PLUGIN,
                           f"--totals-file={totals}", *extra, "tests"], cwd=folder.parent, capture_output=True,
                          text=True, timeout=300)


def test_given_two_files_under_xdist_then_a_line_per_file_as_it_finishes_and_the_totals_in_a_file(tmp_path):
    totals = tmp_path / "results" / "unit-tests" / "run.json"

    done = run_pytest(two_test_files(tmp_path / "tests"), totals, "-n", "2")

    lines = sorted(line for line in done.stdout.splitlines() if re.match(r"\[\d/\d\] ", line))
    assert [re.sub(r" in \d+\.\d s$", "", line[6:]) for line in lines] == [
        "tests/test_good.py: 2 passed", "tests/test_mixed.py: 1 passed, 1 failed, 1 skipped"], done.stdout
    assert {line[:6] for line in lines} == {"[1/2] ", "[2/2] "}
    assert not re.search(r"^[.FsE]+$", done.stdout, re.MULTILINE)  # no dots
    assert json.loads(totals.read_text()) | {"seconds": 0} == {
        "passed": 3, "failed": 1, "error": 0, "skipped": 1, "xfailed": 0, "xpassed": 0, "deselected": 0, "seconds": 0}


def test_given_the_phases_results_then_one_closing_line_adds_them_up_and_fails_on_a_failure(tmp_path, capsys):
    results = tmp_path / "results"
    for phase, counts, seconds in (("unit-tests", {"passed": 10, "skipped": 1}, 75),
                                   ("sandbox-tests", {"passed": 5, "failed": 1, "deselected": 2}, 9)):
        (results / phase).mkdir(parents=True)
        (results / phase / "one.json").write_text(json.dumps(counts))
        (results / phase / "started").write_text("1000\n")
        (results / phase / "finished").write_text(f"{1000 + seconds}\n")

    assert closing_line_main([str(results), "unit-tests", "sandbox-tests", "standard-tests"]) == 1
    assert capsys.readouterr().out == (
        "FAILED: make test: unit-tests 10 passed, 1 skipped in 1 min 15 s; sandbox-tests 5 passed, 1 failed, "
        "2 deselected in 9 s; standard-tests did not run. Total: 15 passed, 1 failed, 1 skipped, 2 deselected in "
        "1 min 24 s\n")


def test_given_a_run_that_changed_a_tracked_file_then_the_closing_line_fails_naming_it(tmp_path, capsys,
                                                                                        monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "tracked.md").write_text("before\n")
    (repo / ".gitignore").write_text("build/\n")
    for command in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
                                                    "-qm", "one"]):
        subprocess.run(["git", *command], cwd=repo, check=True)
    results = repo / "build"
    (results / "unit-tests").mkdir(parents=True)
    (results / "unit-tests" / "one.json").write_text(json.dumps({"passed": 1}))
    (results / "unit-tests" / "started").write_text("1000\n")
    (results / "unit-tests" / "finished").write_text("1001\n")
    (results / "git-status-before").write_text("")
    monkeypatch.chdir(repo)
    (repo / "tracked.md").write_text("rewritten by a test\n")

    assert closing_line_main([str(results), "unit-tests"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == ("make test changed the working tree (tests must write under "
                                                       "build/, .cache/ or .tmp/):  M tracked.md")
