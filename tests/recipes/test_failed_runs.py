"""A `zoo train` that cannot start or cannot go on: one line, exit status 2, nothing left to block the fix."""

import errno
import json
import os
import subprocess
import sys

import pytest

from recipes.cli import main
from tests.recipes.test_cli_errors import TINY, _fails_with
from zoo.errors import one_line
from zoo.training.config import ConfigError, TrainConfig
from zoo.training.run_directory import RunDirectory

# What a failed run leaves and says is the trainer's and the CLI's, the same on every backend
# (resuming after kill -9 is tested on each backend: tests/recipes/test_resume.py).
pytestmark = pytest.mark.one_backend


def _tsv(path, rows):
    path.write_text("label\ttext\n" + "".join(f"{label}\t{text}\n" for label, text in rows))
    return path


def test_data_given_a_directory(tmp_path, capsys):
    out = tmp_path / "run"
    _fails_with(
        ["train", "classification", "--data", str(tmp_path), *TINY, "--out", str(out)],
        capsys,
        f"{tmp_path}: is a directory; pass a data file",
    )
    assert not out.exists()


def test_a_training_file_too_small_to_hold_out_validation(tmp_path, capsys):
    data = _tsv(tmp_path / "one.tsv", [("pos", "fine")])
    _fails_with(
        ["train", "classification", "--data", str(data), *TINY, "--out", str(tmp_path / "run")],
        capsys,
        f"--data {data}: too few rows (1) to hold out --valid-fraction 0.05 of them for validation and "
        "train on the rest; pass --valid FILE or use more rows.",
    )


def test_a_single_class_training_set_is_refused(tmp_path, capsys):
    data = _tsv(tmp_path / "train.tsv", [("pos", f"text {i}") for i in range(10)])
    valid = _tsv(tmp_path / "valid.tsv", [("pos", "more")])
    _fails_with(
        ["train", "classification", "--data", str(data), "--valid", str(valid), *TINY, "--out", str(tmp_path / "run")],
        capsys,
        f"--data {data}: every training row has the label 'pos'; a classifier needs at least two classes.",
    )
    assert not (tmp_path / "run").exists()


def test_a_validation_label_unseen_in_training_names_file_and_line(tmp_path, capsys):
    data = _tsv(tmp_path / "train.tsv", [("pos", "good"), ("neg", "bad")] * 5)
    valid = _tsv(tmp_path / "valid.tsv", [("pos", "fine"), ("neutral", "so so")])
    _fails_with(
        ["train", "classification", "--data", str(data), "--valid", str(valid), *TINY, "--out", str(tmp_path / "run")],
        capsys,
        f"{valid}, line 3: label 'neutral' in 'label' (column 'label') is not one of the known labels ['neg', 'pos']",
    )


def test_the_corrected_command_runs_where_a_failed_one_stopped(tmp_path, capsys):
    out = tmp_path / "run"
    bad = _tsv(tmp_path / "bad.tsv", [("pos", "fine"), ("neg", "")])
    _fails_with(["train", "classification", "--data", str(bad), *TINY, "--out", str(out)], capsys, "is empty")
    assert not out.exists()
    good = _tsv(tmp_path / "good.tsv", [("pos", "good"), ("neg", "bad")] * 12)
    assert main(["train", "classification", "--data", str(good), *TINY, "--out", str(out)]) == 0


def test_a_folder_of_a_run_that_never_reached_a_checkpoint_is_reused_with_new_settings(tmp_path):
    run = RunDirectory(tmp_path / "run")
    run.claim(TrainConfig(learning_rate=1e-3))
    (run.path / "tokenizer").mkdir()
    run.release()
    run = RunDirectory(tmp_path / "run")
    run.claim(TrainConfig(learning_rate=2e-3))
    assert not (run.path / "tokenizer").exists()
    run.release()


def test_a_second_process_on_one_run_folder_is_refused(tmp_path):
    first = RunDirectory(tmp_path / "run")
    first.claim(TrainConfig())
    with pytest.raises(ConfigError, match=r"another zoo train \(pid \d+\) is writing this run"):
        RunDirectory(tmp_path / "run").claim(TrainConfig())
    first.release()
    second = RunDirectory(tmp_path / "run")
    second.claim(TrainConfig())
    second.release()


def test_an_argument_that_is_not_utf8(capsys):
    argument = b"\xff\xfe bad".decode("utf-8", "surrogateescape")  # what Python makes of such argv bytes
    _fails_with(["predict", "runs/x", argument], capsys, "argument 3 is not valid UTF-8 text")


def test_zoo_debug_shows_the_traceback(tmp_path):
    command = [sys.executable, "-m", "recipes.cli", "evaluate", str(tmp_path / "none"), "--data", "x.tsv"]
    quiet = subprocess.run(command, capture_output=True, text=True)
    loud = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "ZOO_DEBUG": "1"})
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    assert loud.returncode == 1 and "Traceback" in loud.stderr and "ConfigError" in loud.stderr


def test_a_full_disk_during_a_checkpoint_keeps_the_last_one_and_resumes(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    argv = [
        "train",
        "classification",
        "--model",
        "lstm",
        *TINY,
        "--max-steps",
        "4",
        "--eval-every",
        "2",
        "--out",
        str(out),
    ]
    save_checkpoint = RunDirectory.save_checkpoint

    def fill_the_disk_after_the_first(run, model, state):
        if run.checkpoint_weights is not None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(run.file("checkpoint")))
        save_checkpoint(run, model, state)

    monkeypatch.setattr(RunDirectory, "save_checkpoint", fill_the_disk_after_the_first)
    _fails_with(argv, capsys, f"{out / 'checkpoint'}: No space left on device. Free some space and run the same")
    assert json.loads((out / "checkpoint" / "state.json").read_text())["step"] == 2
    monkeypatch.setattr(RunDirectory, "save_checkpoint", save_checkpoint)  # space is back
    assert main(argv) == 0
    assert "resuming at step 2 of 4" in capsys.readouterr().err


def test_a_full_disk_reported_by_h5py_is_one_line_naming_the_file():
    # h5py's own message spans lines and holds the file and errno in its text (seen on a full tmpfs).
    error = OSError(
        "Can't synchronously write data (file write failed: time = Sun Dec  6 11:42:43 2026\n, "
        "filename = '/mnt/run/best.weights.h5', file descriptor = 6, errno = 28, error message = "
        "'No space left on device', buf = 0x55a4b9f0c4c8, total write size = 206616)"
    )
    assert one_line(error) == (
        "/mnt/run/best.weights.h5: No space left on device. Free some space and run the same command "
        "again: a run resumes from its last checkpoint."
    )
