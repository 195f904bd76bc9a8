"""benchmarks/precision.py: its command lines, history reading and argument checks (no training here)."""

from pathlib import Path

import pytest

from benchmarks import precision


def test_both_precisions_train_the_same_run():
    fp32, bf16 = (
        precision.train_command("torch", name, Path("wiki"), 200, 100, Path("out")) for name in precision.PRECISIONS
    )
    differ = [(a, b) for a, b in zip(fp32, bf16) if a != b]
    assert differ == [("float32", "mixed_bfloat16")]
    assert fp32[fp32.index("--data") + 1] == str(Path("wiki/train.txt"))
    assert fp32[fp32.index("--backend") + 1] == "torch"


def test_logged_losses_and_gap(tmp_path):
    (tmp_path / "history.csv").write_text("epoch,step,loss,val_loss\n1,100,5.5,5.25\n2,200,5.0,4.0\n")
    assert precision.logged_losses(tmp_path) == [(100, 5.5, 5.25), (200, 5.0, 4.0)]
    assert precision.relative_gap(4.0, 4.1) == pytest.approx(0.025)


def test_data_folder_needs_both_files(tmp_path, capsys):
    (tmp_path / "train.txt").write_text("text\n")
    with pytest.raises(SystemExit):
        precision.parse_args(["--data", str(tmp_path)])
    assert f"--data {tmp_path}: no valid.txt there." in capsys.readouterr().err
