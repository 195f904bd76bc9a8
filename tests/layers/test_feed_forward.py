import math

import numpy as np
import pytest

from tests.layers.numpy_transformer import gelu
from zoo.layers.feed_forward import FeedForward
from zoo.testing import assert_allclose, run_layer_checks, to_numpy


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def silu(x):
    return x / (1.0 + np.exp(-x))


NUMPY_ACTIVATIONS = {"relu": lambda x: np.maximum(x, 0.0), "gelu": gelu, "gelu_tanh": gelu_tanh}


def dense(x, projection):
    kernel = to_numpy(projection.kernel).astype("float64")
    out = x @ kernel
    return out if projection.bias is None else out + to_numpy(projection.bias)


def numpy_feed_forward(x, layer):
    x = x.astype("float64")
    hidden = dense(x, layer.up_projection)
    if layer.activation == "swiglu":
        hidden = silu(dense(x, layer.gate_projection)) * hidden
    else:
        hidden = NUMPY_ACTIVATIONS[layer.activation](hidden)
    return dense(hidden, layer.down_projection)


@pytest.mark.parametrize("activation", ["relu", "gelu", "gelu_tanh", "swiglu"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_matches_numpy(activation, use_bias):
    x = (2.0 * np.random.randn(2, 5, 8)).astype("float32")
    layer = FeedForward(hidden_dim=12, activation=activation, use_bias=use_bias, bias_initializer="random_normal")
    assert_allclose(layer(x), numpy_feed_forward(x, layer))


def test_exact_and_tanh_gelu_differ():
    """Guards the "gelu" (BERT, erf) / "gelu_tanh" (GPT-2) distinction: same weights, other numbers."""
    x = (2.0 * np.random.randn(2, 5, 8)).astype("float32")
    exact, approximate = FeedForward(12, activation="gelu"), FeedForward(12, activation="gelu_tanh")
    exact.build(x.shape)
    approximate.build(x.shape)
    approximate.set_weights(exact.get_weights())
    assert np.abs(to_numpy(exact(x)) - to_numpy(approximate(x))).max() > 1e-5


def test_projections_and_their_shapes():
    swiglu = FeedForward(hidden_dim=6, output_dim=3, activation="swiglu", use_bias=False)
    swiglu.build((None, 4, 8))
    assert [tuple(w.shape) for w in swiglu.weights] == [(8, 6), (8, 6), (6, 3)]
    relu = FeedForward(hidden_dim=6, activation="relu")
    relu.build((None, 4, 8))
    assert [tuple(w.shape) for w in relu.weights] == [(8, 6), (6,), (6, 8), (8,)]
    assert relu.compute_output_shape((None, 4, 8)) == (None, 4, 8)
    assert swiglu.compute_output_shape((None, 4, 8)) == (None, 4, 3)


def test_dropout_only_in_training():
    x = np.random.randn(2, 5, 8).astype("float32")
    layer = FeedForward(hidden_dim=32, dropout=0.5)
    inference = to_numpy(layer(x, training=False))
    assert_allclose(inference, numpy_feed_forward(x, layer))
    assert not np.allclose(to_numpy(layer(x, training=True)), inference)


def test_mask_is_passed_through():
    mask = np.array([[True, True, False]])
    np.testing.assert_array_equal(to_numpy(FeedForward(4).compute_mask(np.zeros((1, 3, 2)), mask)), mask)


@pytest.mark.parametrize(
    "init_kwargs, expected_output_shape",
    [
        ({"hidden_dim": 16, "activation": "relu", "dropout": 0.1}, (2, 5, 8)),
        ({"hidden_dim": 16, "activation": "gelu"}, (2, 5, 8)),
        ({"hidden_dim": 16, "activation": "gelu_tanh", "output_dim": 4}, (2, 5, 4)),
        ({"hidden_dim": 16, "activation": "swiglu", "use_bias": False}, (2, 5, 8)),
    ],
)
def test_layer_contract(init_kwargs, expected_output_shape, tmp_path):
    run_layer_checks(
        FeedForward,
        init_kwargs,
        np.random.rand(2, 5, 8).astype("float32"),
        tmp_path,
        expected_output_shape=expected_output_shape,
    )


@pytest.mark.parametrize(
    "init_kwargs, message",
    [
        ({"hidden_dim": 0}, "hidden_dim=0"),
        ({"hidden_dim": 4.0}, "hidden_dim=4.0"),
        ({"hidden_dim": 4, "output_dim": -1}, "output_dim=-1"),
        ({"hidden_dim": 4, "activation": "tanh"}, "activation='tanh'"),
        ({"hidden_dim": 4, "dropout": 1.0}, "dropout=1.0"),
    ],
)
def test_bad_arguments_are_quoted(init_kwargs, message):
    with pytest.raises(ValueError, match=message):
        FeedForward(**init_kwargs)
