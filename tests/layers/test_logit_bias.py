import numpy as np

from zoo.layers import LogitBias
from zoo.testing import assert_allclose, run_layer_checks, to_numpy


def test_adds_one_bias_per_entry_of_the_last_axis():
    layer = LogitBias()
    logits = np.random.randn(2, 3, 7).astype("float32")
    layer.build(logits.shape)
    assert_allclose(layer(logits), logits)  # zeros at first
    bias = np.arange(7, dtype="float32")
    layer.bias.assign(bias)
    assert_allclose(layer(logits), logits + bias)
    assert to_numpy(layer.bias).shape == (7,)


def test_layer_contract(tmp_path):
    run_layer_checks(
        LogitBias, {}, np.random.randn(2, 3, 7).astype("float32"), tmp_path, expected_output_shape=(2, 3, 7)
    )
