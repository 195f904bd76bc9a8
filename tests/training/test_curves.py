"""A run's curves.png: drawn from its history, redrawn only when the history grew."""

import pytest

from zoo.training.curves import TrainingCurves, plot_curves

pytestmark = pytest.mark.one_backend  # matplotlib only: runs in one suite (tests/conftest.py)

HISTORY = [
    {"epoch": 1, "step": 10, "elapsed_s": 1.0, "learning_rate": 1e-3, "loss": 2.0, "val_loss": 2.2},
    {"epoch": 2, "step": 20, "elapsed_s": 2.0, "learning_rate": 5e-4, "loss": 1.5, "val_loss": 1.9},
]


def test_plot_curves_writes_a_png_and_nothing_for_an_empty_history(tmp_path):
    assert plot_curves([], tmp_path / "none.png") is None and not (tmp_path / "none.png").exists()
    path = plot_curves(HISTORY, tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_same_history_is_not_drawn_twice(tmp_path):
    path = tmp_path / "curves.png"
    curves = TrainingCurves(path)
    curves.draw(HISTORY[:1])
    assert path.is_file()
    path.unlink()
    curves.draw(HISTORY[:1])  # what a finishing run asks after its last validation drew
    assert not path.exists()
    curves.draw(HISTORY)
    assert path.is_file()
    path.unlink()
    TrainingCurves(path).draw(HISTORY)  # a resumed process has drawn nothing yet: it draws
    assert path.is_file()
