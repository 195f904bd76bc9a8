"""Tiny runs trained once on this session's backend, shared by the export and backend-switching tests."""

import keras
import pytest

from recipes.cli import main
from tests.export.tiny_runs import RUNS, TINY

# TensorFlow would compile these 20-step train steps with XLA (one batch shape: `--jit-compile
# auto`), which costs more than the training. What is exported does not depend on it; the XLA
# train step is tested by tests/training/test_jit_compile.py and test_train_every_task[clm-gpt].
NO_XLA = ["--jit-compile", "off"] if keras.backend.backend() == "tensorflow" else []


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory):
    """`{name: run folder}` of every run in `RUNS`, trained on this backend."""
    root = tmp_path_factory.mktemp("runs")
    for name, argv in RUNS.items():
        assert main(["train", *argv, *TINY, *NO_XLA, "--out", str(root / name)]) == 0
    return {name: root / name for name in RUNS}
