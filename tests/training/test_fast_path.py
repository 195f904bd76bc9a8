"""The recipes' fast path and the plain one train to the same losses, on every backend.

Fast is what `zoo train` compiles by default: fused `dot_product_attention`, Keras' `jit_compile`
choice ("auto": XLA on JAX), the loss on a (positions, vocabulary) matrix. Plain is attention by
explicit scores and softmax, run eagerly. `--remat` recomputes the blocks and must change nothing.
Tolerance: 1e-4 relative on each step's loss (fused attention and XLA only reorder float sums).
"""

import keras
import numpy as np

from benchmarks.train import gpt_examples, zoo_task
from zoo.training.remat import transformer_blocks

SHAPE = {
    "num_layers": 2,
    "hidden_dim": 32,
    "num_heads": 4,
    "intermediate_dim": 64,
    "sequence_length": 16,
    "batch_size": 4,
}
STEPS = 4


def padded_batches():
    """`STEPS` batches of causal LM examples, padded at the end of even rows and at the start of odd ones.

    Padding at the start is what a wrong mask would show: later tokens attend to those positions.
    """
    x, y, weights = gpt_examples(np.random.default_rng(0), SHAPE, SHAPE["batch_size"] * STEPS)
    for rows, columns in ((slice(0, None, 2), slice(-5, None)), (slice(1, None, 2), slice(0, 6))):
        x["padding_mask"][rows, columns] = 0
        weights[rows, columns] = 0
    return x, y, weights


def losses(*, fused, **settings):
    """The loss `fit` logs after each of `STEPS` steps (its running mean) of a GPT run with these settings."""
    task = zoo_task("gpt", SHAPE, "float32", STEPS, **settings)
    for block in transformer_blocks(task):
        block.self_attention.use_fused = fused
    x, y, weights = padded_batches()
    logged = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: logged.append(float(logs["loss"])))
    task.fit(x, y, sample_weight=weights, batch_size=SHAPE["batch_size"], shuffle=False, verbose=0, callbacks=[record])
    return logged


def test_fast_plain_and_rematerialized_paths_give_the_same_losses():
    fast = losses(fused="auto")
    plain = losses(fused=False, jit_compile="off")
    recomputed = losses(fused="auto", remat=True)
    assert len(fast) == STEPS
    np.testing.assert_allclose(plain, fast, rtol=1e-4)
    np.testing.assert_allclose(recomputed, fast, rtol=1e-4)
