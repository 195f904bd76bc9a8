import keras
import numpy as np
import pytest

from zoo.layers import projections
from zoo.layers.projections import BiasFusedDense, BiasFusedEinsumDense, _contracted_axes
from zoo.testing import assert_allclose, run_layer_checks, to_numpy

# (equation, output_shape, bias_axes, input shape)
EINSUM_CASES = [
    ("btd,dnh->btnh", (None, 3, 4), "nh", (2, 5, 6)),  # attention's query/key/value projections
    ("btnh,nhd->btd", (None, 6), "d", (2, 5, 3, 4)),  # attention's output projection
    ("btd,dnh->btnh", (None, 3, 4), None, (2, 5, 6)),
    ("btd,dnh->btnh", (None, 3, 4), "h", (2, 5, 6)),  # partial bias: Keras' einsum
    ("btd,dnh->bnth", (3, None, 4), "nh", (2, 5, 6)),  # transposed output: Keras' einsum
]


@pytest.mark.parametrize(
    "equation, bias_axes, expected",
    [
        ("btd,dnh->btnh", "nh", 1),
        ("btnh,nhd->btd", "d", 2),
        ("btd,dnh->btnh", None, 1),
        ("ab,bc->ac", "c", 1),
        ("b t d , d n h -> b t n h", "nh", 1),
        ("btd,dnh->btnh", "h", None),
        ("btd,dnh->bnth", "nh", None),
        ("btd,bdh->bth", "h", None),
        ("btd,de->bte", "d", None),
    ],
)
def test_contracted_axes(equation, bias_axes, expected):
    assert _contracted_axes(equation, bias_axes) == expected


def _count_fused_calls(monkeypatch):
    calls = []

    def counting_addmm(inputs, kernel, bias, contracted):
        calls.append(contracted)
        return fused_addmm(inputs, kernel, bias, contracted)

    fused_addmm = projections._addmm
    monkeypatch.setattr(projections, "_addmm", counting_addmm)
    return calls


def _same_weights(layer, reference, inputs):
    layer(inputs)
    reference(inputs)
    reference.set_weights(layer.get_weights())


@pytest.mark.parametrize("activation", [None, "gelu"])
def test_dense_matches_keras_dense(activation, backend, monkeypatch):
    calls = _count_fused_calls(monkeypatch)
    inputs = np.random.randn(2, 5, 6).astype("float32")
    layer = BiasFusedDense(4, activation=activation, bias_initializer="random_normal")
    reference = keras.layers.Dense(4, activation=activation)
    _same_weights(layer, reference, inputs)
    calls.clear()
    assert_allclose(layer(inputs), reference(inputs))
    assert calls == ([1] if backend == "torch" else [])


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape", EINSUM_CASES)
def test_einsum_dense_matches_keras_einsum_dense(equation, output_shape, bias_axes, input_shape, backend, monkeypatch):
    calls = _count_fused_calls(monkeypatch)
    inputs = np.random.randn(*input_shape).astype("float32")
    arguments = {"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes}
    layer = BiasFusedEinsumDense(**arguments, bias_initializer="random_normal")
    reference = keras.layers.EinsumDense(**arguments)
    _same_weights(layer, reference, inputs)
    calls.clear()
    assert_allclose(layer(inputs), reference(inputs))
    fused = backend == "torch" and bias_axes is not None and _contracted_axes(equation, bias_axes) is not None
    assert calls == ([_contracted_axes(equation, bias_axes)] if fused else [])


def _trained_weights(layer, inputs, targets):
    model = keras.Sequential([keras.Input(inputs.shape[1:]), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(inputs, targets, batch_size=len(inputs), epochs=2, verbose=0, shuffle=False)
    return [to_numpy(weight) for weight in model.get_weights()]


def test_gradients_match_keras():
    """Two SGD steps through the fused layer move kernel and bias exactly as through Keras' layer."""
    inputs = np.random.randn(4, 5, 6).astype("float32")
    targets = np.random.randn(4, 5, 3, 2).astype("float32")
    arguments = {"equation": "btd,dnh->btnh", "output_shape": (None, 3, 2), "bias_axes": "nh"}
    layer, reference = BiasFusedEinsumDense(**arguments), keras.layers.EinsumDense(**arguments)
    _same_weights(layer, reference, inputs)
    for fused, plain in zip(_trained_weights(layer, inputs, targets), _trained_weights(reference, inputs, targets)):
        assert_allclose(fused, plain)
    assert not np.allclose(to_numpy(layer.bias), 0.0)


def test_lora_keeps_keras_call(monkeypatch):
    calls = _count_fused_calls(monkeypatch)
    inputs = np.random.randn(2, 5, 6).astype("float32")
    layer, reference = BiasFusedDense(4), keras.layers.Dense(4)
    _same_weights(layer, reference, inputs)
    for each in (layer, reference):
        each.enable_lora(2, b_initializer="ones")
    reference.set_weights(layer.get_weights())
    calls.clear()
    assert_allclose(layer(inputs), reference(inputs))
    assert calls == []


@pytest.mark.parametrize(
    "layer_cls, init_kwargs, input_shape",
    [
        (BiasFusedDense, {"units": 4, "activation": "relu"}, (2, 5, 6)),
        (BiasFusedEinsumDense, {"equation": "btnh,nhd->btd", "output_shape": (5, 6), "bias_axes": "d"}, (2, 5, 3, 4)),
    ],
)
def test_layer_contract(layer_cls, init_kwargs, input_shape, tmp_path):
    run_layer_checks(layer_cls, init_kwargs, np.random.randn(*input_shape).astype("float32"), tmp_path)
