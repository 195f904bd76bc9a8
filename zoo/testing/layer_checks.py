"""Checks every zoo layer must pass, shared by the layer tests of all three backends.

Example:

    from zoo.testing import run_layer_checks

    def test_feed_forward_contract(tmp_path):
        run_layer_checks(
            FeedForward,
            init_kwargs={"hidden_dim": 16, "activation": "gelu"},
            input_data=np.random.rand(2, 5, 8).astype("float32"),
            expected_output_shape=(2, 5, 8),
            tmp_path=tmp_path,
        )
"""

import copy

import keras
import numpy as np

from zoo.testing.numeric import assert_allclose, to_numpy


def mixed_precision_policies():
    """Mixed policies this backend computes on CPU (float16 matmuls included)."""
    return ["mixed_bfloat16", "mixed_float16"]


def _as_list(data):
    return list(data) if isinstance(data, (list, tuple)) else [data]


def _call(layer, input_data, call_kwargs):
    return layer(*_as_list(input_data), **(call_kwargs or {}))


def _flatten_outputs(outputs):
    return [to_numpy(o) for o in keras.tree.flatten(outputs)]


def check_config_round_trip(layer):
    """`from_config(get_config())` rebuilds a layer whose config is identical."""
    config = layer.get_config()
    clone = layer.__class__.from_config(copy.deepcopy(config))
    assert clone.get_config() == config, (config, clone.get_config())
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["module"] is not None
    restored = keras.saving.deserialize_keras_object(serialized, safe_mode=True)
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    return clone


def check_symbolic_call(layer_cls, init_kwargs, input_data, call_kwargs=None, expected_output_shape=None):
    """Calling on `keras.Input`s (batch dimension unknown) gives the eager output shapes."""
    inputs = [
        keras.Input(shape=np.shape(x)[1:], dtype=keras.backend.standardize_dtype(np.asarray(x).dtype))
        for x in _as_list(input_data)
    ]
    layer = layer_cls(**init_kwargs)
    symbolic = keras.tree.flatten(_call(layer, inputs, call_kwargs))
    eager = keras.tree.flatten(_call(layer, input_data, call_kwargs))
    for s, e in zip(symbolic, eager):
        assert tuple(s.shape[1:]) == tuple(e.shape[1:]), (s.shape, e.shape)
    if expected_output_shape is not None:
        assert tuple(eager[0].shape) == tuple(expected_output_shape), eager[0].shape
    return layer


def build_functional_model(layer, input_data, call_kwargs=None):
    """Wraps `layer` in a functional model whose inputs match `input_data`."""
    inputs = [
        keras.Input(shape=np.shape(x)[1:], dtype=keras.backend.standardize_dtype(np.asarray(x).dtype))
        for x in _as_list(input_data)
    ]
    outputs = _call(layer, inputs, call_kwargs)
    return keras.Model(inputs, outputs)


def check_saving_round_trip(layer_cls, init_kwargs, input_data, tmp_path, call_kwargs=None):
    """`.keras` save then `load_model(safe_mode=True)` gives identical outputs."""
    model = build_functional_model(layer_cls(**init_kwargs), input_data, call_kwargs)
    expected = _flatten_outputs(model(_as_list(input_data), training=False))
    path = str(tmp_path / f"{layer_cls.__name__}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    actual = _flatten_outputs(loaded(_as_list(input_data), training=False))
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)
    return loaded


def check_fit_step(layer_cls, init_kwargs, input_data, call_kwargs=None):
    """One `fit` step on a mean-squared loss changes the layer's weights and stays finite."""
    layer = layer_cls(**init_kwargs)
    model = build_functional_model(layer, input_data, call_kwargs)
    if not model.trainable_weights:
        return
    outputs = model(_as_list(input_data))
    targets = [np.zeros_like(o) for o in _flatten_outputs(outputs)]
    before = [to_numpy(w).copy() for w in model.trainable_weights]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(
        _as_list(input_data),
        targets if len(targets) > 1 else targets[0],
        epochs=1,
        batch_size=len(targets[0]),
        verbose=0,
    )
    assert np.isfinite(history.history["loss"][0])
    after = [to_numpy(w) for w in model.trainable_weights]
    assert any(not np.array_equal(b, a) for b, a in zip(before, after)), "fit did not change any weight"


def check_mixed_precision(layer_cls, init_kwargs, input_data, call_kwargs=None, policy="mixed_bfloat16"):
    """Under a mixed policy: float32 variables, outputs in the compute dtype, close to float32 outputs."""
    reference_layer = layer_cls(**init_kwargs)
    reference = _flatten_outputs(_call(reference_layer, input_data, call_kwargs))
    layer = layer_cls(**init_kwargs, dtype=policy)
    compute_dtype = keras.DTypePolicy(policy).compute_dtype
    _call(layer, input_data, call_kwargs)  # builds the variables, so the float32 weights can be copied in
    layer.set_weights(reference_layer.get_weights())
    outputs = keras.tree.flatten(_call(layer, input_data, call_kwargs))
    for variable in layer.weights:
        if variable.trainable:
            assert variable.dtype == "float32", (variable.path, variable.dtype)
    for output, expected in zip(outputs, reference):
        if "float" in keras.backend.standardize_dtype(output.dtype):
            assert keras.backend.standardize_dtype(output.dtype) == compute_dtype, output.dtype
            scale = max(1.0, float(np.abs(expected).max()))
            tolerance = (0.05 if compute_dtype == "bfloat16" else 0.01) * scale
            assert_allclose(to_numpy(output).astype("float32"), expected, atol=tolerance, rtol=0.05)


def run_layer_checks(
    layer_cls,
    init_kwargs,
    input_data,
    tmp_path,
    call_kwargs=None,
    expected_output_shape=None,
    run_fit=True,
    run_mixed_precision=True,
):
    """Runs the whole layer contract: config, symbolic call, `.keras` round trip, fit, mixed precision."""
    layer = check_symbolic_call(layer_cls, init_kwargs, input_data, call_kwargs, expected_output_shape)
    check_config_round_trip(layer)
    check_saving_round_trip(layer_cls, init_kwargs, input_data, tmp_path, call_kwargs)
    if run_fit:
        check_fit_step(layer_cls, init_kwargs, input_data, call_kwargs)
    if run_mixed_precision:
        for policy in mixed_precision_policies():
            check_mixed_precision(layer_cls, init_kwargs, input_data, call_kwargs, policy)
