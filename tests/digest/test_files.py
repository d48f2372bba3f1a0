"""Atomic output files (summarize.files)."""

from __future__ import annotations

import errno
import os

import pytest

from summarize import files
from summarize.errors import OutputError


def test_all_files_are_written_and_no_temp_file_is_left(tmp_path):
    (tmp_path / "a.md").write_text("old a")
    files.write_all_atomic({tmp_path / "a.md": "new a", tmp_path / "b.json": "new b"})
    assert (tmp_path / "a.md").read_text() == "new a" and (tmp_path / "b.json").read_text() == "new b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.json"]


def test_a_missing_folder_changes_no_target_and_leaves_no_temp_file(tmp_path):
    (tmp_path / "a.md").write_text("old a")
    with pytest.raises(OutputError, match="does not exist"):
        files.write_all_atomic({tmp_path / "a.md": "new a", tmp_path / "gone" / "b.json": "new b"})
    assert (tmp_path / "a.md").read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


def test_a_full_disk_is_an_output_error_and_the_old_set_stays_whole(tmp_path, monkeypatch):
    for name in ("a.md", "b.json"):
        (tmp_path / name).write_text(f"old {name}")
    calls = []

    def fsync(fd):  # the second file does not fit
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", fsync)
    with pytest.raises(OutputError, match="No space left on device") as caught:
        files.write_all_atomic({tmp_path / "a.md": "new a", tmp_path / "b.json": "new b"})
    assert isinstance(caught.value.__cause__, OSError)
    assert [(tmp_path / n).read_text() for n in ("a.md", "b.json")] == ["old a.md", "old b.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.json"]


def test_stale_temps_of_the_named_files_only_are_removed(tmp_path):
    for name in (".digest.md.x1.tmp", ".digest.json.x2.tmp", ".notes.txt.x3.tmp", "digest.md"):
        (tmp_path / name).write_text("x")
    files.remove_stale_temps(tmp_path, ("digest.md", "digest.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.txt.x3.tmp", "digest.md"]


def test_a_folder_that_cannot_be_made_is_an_output_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot create the output folder"):
        files.ensure_folder(tmp_path / "file" / "out", "output")
