"""`--jit-compile on` (XLA) and `off` (eager) give the same losses on TensorFlow: compiling only reorders floats."""

import keras
import numpy as np
import pytest

from recipes.cli import main
from tests.training.history import logged

TINY = [
    "clm",
    "--model",
    "gpt",
    "--size",
    "tiny",
    "--train-examples",
    "64",
    "--valid-examples",
    "16",
    "--max-steps",
    "3",
    "--eval-every",
    "3",
    "--batch-size",
    "8",
    "--seq-len",
    "32",
    "--vocabulary-size",
    "400",
    "--padding",
    "max_length",
    "--dropout",
    "0",
]


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="torch.compile takes minutes to compile on 2 cores; benchmarks/train.py measures it",
)
@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="XLA is JAX's default: tests/training/test_fast_path.py compares it with eager",
)
def test_compiled_and_eager_train_steps_give_the_same_losses(tmp_path):
    for mode in ("on", "off"):
        assert main(["train", *TINY, "--jit-compile", mode, "--out", str(tmp_path / mode)]) == 0
    on, off = (logged(tmp_path / mode, "loss", "val_loss") for mode in ("on", "off"))
    np.testing.assert_allclose(on, off, rtol=1e-4)


@pytest.mark.parametrize(
    "task, overrides, tensorflow_choice",
    [
        ("clm", {}, True),  # windows without padding: one shape
        ("mlm", {}, True),  # packed windows: one shape
        ("mlm", {"line_by_line": True}, "auto"),
        ("mlm", {"nsp": True}, "auto"),  # pairs of lines, padded dynamically
        ("classification", {"padding": "max_length"}, True),
        ("classification", {}, "auto"),  # dynamic padding: a compilation per batch width
        ("clm", {"strategy": "data_parallel"}, "auto"),  # XLA under MirroredStrategy fails on CPUs
        ("clm", {"precision": "mixed_bfloat16"}, "auto"),  # XLA's CPU dots ignore bf16 instructions
        ("mlm", {"precision": "mixed_float16"}, "auto"),
        ("clm", {"jit_compile": "off"}, False),
        ("classification", {"jit_compile": "on"}, True),
    ],
)
def test_auto_compiles_tensorflow_runs_whose_batches_have_one_shape(task, overrides, tensorflow_choice):
    from recipes import get_recipe
    from zoo.training.config import resolve_config
    from zoo.training.trainer import _jit_compile

    recipe = get_recipe(task)
    config = resolve_config(recipe, {"model": "bert" if task == "mlm" else "gpt", **overrides})
    expected = {"auto": "auto", "on": True, "off": False}[config.jit_compile]
    if keras.backend.backend() == "tensorflow":
        expected = tensorflow_choice
    assert _jit_compile(recipe, config) == expected
