"""The pipeline's folders are private, its temporary folder starts empty, and an env_file that others can read is
named in a warning."""

from __future__ import annotations

import os
import stat

import pytest
from airbyte_pipeline.private_files import (TEMP_DIR_VARIABLE, empty_temp_folder, env_file_warning,
                                            prepare_state_dir, private_process)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("file_mode, readers", [(0o640, "its group"), (0o604, "every user"),
                                                (0o644, "its group and every user")])
def test_given_an_env_file_others_can_read_then_a_warning_names_it(tmp_path, file_mode, readers):
    path = tmp_path / "secrets.env"
    path.write_text("A=b\n")
    path.chmod(file_mode)
    assert env_file_warning(path) == (f"env_file {path} holds secrets and is readable by {readers} of this machine "
                                      f"(mode {file_mode:04o}): run `chmod 600 {path}`")


def test_given_a_private_env_file_then_nothing_is_said(tmp_path):
    path = tmp_path / "secrets.env"
    path.write_text("A=b\n")
    path.chmod(0o600)
    assert env_file_warning(path) is None


def test_given_an_open_state_dir_when_prepared_then_it_is_private_and_pyairbyte_writes_inside(tmp_path, monkeypatch):
    state = tmp_path / "state"
    (state / "logs").mkdir(parents=True)
    state.chmod(0o755)
    (state / "logs").chmod(0o755)
    monkeypatch.delenv(TEMP_DIR_VARIABLE, raising=False)
    previous = os.umask(0o022)
    try:
        private_process(state)
        prepare_state_dir(state)
        (state / "new.json").write_text("{}")
        umask_after = os.umask(0o022)
    finally:
        os.umask(previous)
    assert umask_after == 0o077
    assert {mode(p) for p in (state, state / "logs", state / "tmp")} == {0o700}
    assert mode(state / "new.json") == 0o600
    assert os.environ[TEMP_DIR_VARIABLE] == str(state / "tmp")


def test_given_leftovers_in_the_temp_folder_when_emptied_then_all_go(tmp_path):
    temp = tmp_path / "tmp"
    (temp / "destination-plecto-x").mkdir(parents=True)
    (temp / "destination-plecto-x" / "config.json").write_text("{}")
    (temp / "tmpabc.json").write_text('{"client_secret": "x"}')
    (temp / "tmpabc.json").chmod(0o444)
    assert empty_temp_folder(tmp_path) == 2
    assert list(temp.iterdir()) == []
