"""The pipeline state is written durably (temporary file, fsync, rename, fsync of the folder), leaves no temporary
file when a write fails, and a state file that cannot be read stops the run with one line saying how to recover."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from airbyte_pipeline.pipeline_state import FILE_NAME, PipelineState, StateFileError


def saved(tmp_path: Path) -> PipelineState:
    state = PipelineState.load(tmp_path, "duckdb:/cache.duckdb")
    state.record_push("pluggy.transactions", {"status": "ok", "sent": 3}, "2025-01-01T00:00:00+00:00")
    return state


def test_given_a_save_then_the_file_and_its_folder_are_flushed_to_disk(tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    saved(tmp_path).save()
    [data_file, folder] = synced
    assert Path(data_file).parent == tmp_path and Path(data_file).name.startswith(".pipeline-state-")
    assert Path(folder) == tmp_path
    assert PipelineState.load(tmp_path, "duckdb:/cache.duckdb").high_water_mark("pluggy.transactions")
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME]


def test_given_a_failing_rename_then_the_old_state_stays_and_no_temporary_file_is_left(tmp_path, monkeypatch):
    saved(tmp_path).save()
    before = (tmp_path / FILE_NAME).read_text()
    state = saved(tmp_path)
    state.record_push("pluggy.transactions", {"status": "ok", "sent": 9}, "2026-01-01T00:00:00+00:00")

    def no_room(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_room)
    with pytest.raises(OSError):
        state.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME]
    assert (tmp_path / FILE_NAME).read_text() == before


@pytest.mark.parametrize("content, why", [
    ('{"format": 1, "streams": {', "is not valid JSON (line 1, column"),
    ("[1, 2]", "holds no pipeline state"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
])
def test_given_a_corrupt_state_file_when_loaded_then_one_line_names_it_and_how_to_recover(tmp_path, content, why):
    path = tmp_path / FILE_NAME
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(StateFileError) as raised:
        PipelineState.load(tmp_path, "duckdb:/cache.duckdb")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"the pipeline state {path} {why}")
    assert "Restore it from a backup, or delete it" in message
    assert "sends every record in the cache to Plecto again" in message  # what deleting costs
