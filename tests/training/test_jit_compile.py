"""XLA (`--jit-compile on`) and eager train steps give the same losses on TensorFlow; which runs `auto` compiles."""

import keras
import numpy as np
import pytest


def _tiny_causal_lm():
    from zoo.models.gpt import GPTBackbone, GPTCausalLM

    keras.utils.set_random_seed(0)
    backbone = GPTBackbone(
        vocabulary_size=64, num_layers=2, hidden_dim=32, num_heads=4, intermediate_dim=64, max_sequence_length=16
    )
    return GPTCausalLM(backbone)


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="torch.compile takes minutes to compile on 2 cores; benchmarks/train.py measures it",
)
@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="XLA is JAX's default: tests/training/test_fast_path.py compares it with eager",
)
def test_compiled_and_eager_train_steps_give_the_same_losses():
    from zoo.models.gpt import next_token_batch

    ids = np.random.default_rng(0).integers(5, 64, size=(8, 17)).astype("int32")
    x, y, weights = next_token_batch(ids, np.ones_like(ids))
    losses = {}
    for jit_compile in (True, False):
        model = _tiny_causal_lm()  # the same initial weights for both
        model.compile(optimizer=keras.optimizers.AdamW(1e-3), jit_compile=jit_compile)
        history = model.fit(x, y, sample_weight=weights, batch_size=4, epochs=3, shuffle=False, verbose=0)
        losses[jit_compile] = history.history["loss"]
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-4)
    assert losses[True][-1] < losses[True][0]


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
