"""`.keras` files written by an earlier commit still load, with the same outputs, on every backend.

A user's run folder outlives the code that wrote it: renaming a block, a sublayer or an attribute
must not break it. The files were written under JAX by `make_saved_models.py`.
"""

import keras
import numpy as np
import pytest

from tests.models.saved_models.make_saved_models import HERE, inputs


@pytest.mark.parametrize("name", ["gpt", "bert", "seq2seq"])
def test_a_model_saved_by_an_earlier_commit_loads_with_its_outputs(name):
    model = keras.saving.load_model(HERE / f"{name}.keras")  # safe_mode=True
    outputs = keras.ops.convert_to_numpy(model(inputs(name)))
    expected = np.load(HERE / f"{name}_outputs.npy")
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(outputs, expected, atol=1e-5)
