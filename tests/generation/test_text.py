"""`zoo.generation.text`: when decoding raw texts compiles its loop, per backend."""

import keras

from zoo.generation.text import TORCH_COMPILE_BATCHES, compile_pays_off


def test_decoding_compiles_where_the_compilation_pays_for_itself():
    backend = keras.backend.backend()
    assert compile_pays_off(9, batch_size=8) == (backend == "jax")  # a `zoo predict` of a few texts
    assert compile_pays_off(5 * 8, batch_size=8) == (backend in ("jax", "tensorflow"))
    assert compile_pays_off(TORCH_COMPILE_BATCHES * 8, batch_size=8) == (backend != "torch")
    assert compile_pays_off(TORCH_COMPILE_BATCHES * 8 + 1, batch_size=8)  # a validation split: every backend
