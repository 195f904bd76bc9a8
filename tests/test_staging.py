"""Temporaries named by their writer's pid: a killed writer's are removed by the next one, a live one's kept."""

import os
import subprocess
import sys

import pytest

from zoo.staging import make_staging_file, make_staging_folder, remove_stale

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_next_export_removes_what_a_killed_one_left(tmp_path):
    dead = _dead_pid()
    (tmp_path / f".exporting-{dead}-abc").mkdir()
    (tmp_path / f".exporting-{dead}-abc" / "saved_model.pb").write_bytes(b"half")
    (tmp_path / f".writing-{dead}-xyz-model.keras").write_bytes(b"half")
    live = tmp_path / f".exporting-{os.getpid()}-live"
    live.mkdir()
    (tmp_path / "model").mkdir()

    staging = make_staging_folder(tmp_path, "exporting")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".writing-{dead}-xyz-model.keras", live.name, "model", os.path.basename(staging)]
    )
    make_staging_file(tmp_path, "writing", suffix="-model.keras")
    assert not (tmp_path / f".writing-{dead}-xyz-model.keras").exists()


def test_names_hold_the_pid_and_keep_the_suffix(tmp_path):
    path = make_staging_file(tmp_path, "writing", suffix="-curves.png")
    name = os.path.basename(path)
    assert name.startswith(f".writing-{os.getpid()}-") and name.endswith("-curves.png")


def test_other_files_are_never_touched(tmp_path):
    for name in (".exporting-notapid-x", ".hidden", "exporting-1-x", ".lock"):
        (tmp_path / name).write_text("keep")
    remove_stale(tmp_path, "exporting")
    assert len(list(tmp_path.iterdir())) == 4
