"""A run's temp folder (connector_kit.temp_folder): tempfile's default while it runs, gone after; the folders of
runs that are gone are removed by the next run, those of live runs (or of runs still being set up) are not."""

import os
import subprocess
import sys
import tempfile

from connector_kit.temp_folder import PREFIX, STARTING, remove_leftovers, run_temp_folder


def test_given_a_run_then_tempfile_puts_its_files_in_the_run_folder_which_is_gone_afterwards(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    with run_temp_folder() as folder:
        inner = tempfile.mkdtemp()
        assert os.path.dirname(inner) == str(folder) and folder.name.startswith(PREFIX)

    assert list(tmp_path.iterdir()) == [] and tempfile.tempdir == str(tmp_path)


def test_given_folders_of_gone_live_and_starting_runs_then_only_the_gone_one_is_removed(tmp_path):
    gone, live, starting = tmp_path / f"{PREFIX}gone", tmp_path / f"{PREFIX}live", tmp_path / f"{STARTING}new"
    for folder in (gone, live, starting):
        (folder / "cache").mkdir(parents=True)
    # A live run holds the lock on its folder from another process.
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys; h = os.open(sys.argv[1], os.O_RDONLY); "
                               "fcntl.flock(h, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()",
                               str(live)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        remove_leftovers(tmp_path)
    finally:
        holder.communicate("")

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, starting.name])
