import keras
import numpy as np
import pytest

from tests.layers.numpy_transformer import layer_norm, rms_norm
from zoo.layers.norms import LayerNorm, RMSNorm, build_norm
from zoo.testing import assert_allclose, run_layer_checks, to_numpy


def random_inputs(shape=(2, 5, 8), offset=0.0):
    return (offset + 3.0 * np.random.randn(*shape)).astype("float32")


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False), (False, False)])
def test_layer_norm_matches_numpy(center, scale):
    x = random_inputs(offset=2.0)
    layer = LayerNorm(epsilon=1e-3, center=center, scale=scale)
    layer.build(x.shape)
    gamma = np.random.randn(8).astype("float32") if scale else np.ones(8)
    beta = np.random.randn(8).astype("float32") if center else np.zeros(8)
    layer.set_weights([w for w, used in ((gamma, scale), (beta, center)) if used])
    assert_allclose(layer(x), layer_norm(x.astype("float64"), gamma, beta, 1e-3))


@pytest.mark.parametrize("scale", [True, False])
def test_rms_norm_matches_numpy(scale):
    x = random_inputs(offset=2.0)
    layer = RMSNorm(epsilon=1e-3, scale=scale)
    layer.build(x.shape)
    gamma = np.random.randn(8).astype("float32") if scale else np.ones(8)
    layer.set_weights([gamma] if scale else [])
    assert_allclose(layer(x), rms_norm(x.astype("float64"), gamma, 1e-3))


def test_rms_norm_does_not_center():
    x = random_inputs(offset=5.0)
    assert not np.allclose(to_numpy(RMSNorm()(x)), to_numpy(LayerNorm()(x)), atol=1e-2)


@pytest.mark.parametrize("norm_cls", [LayerNorm, RMSNorm])
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_statistics_are_float32_under_mixed_precision(norm_cls, policy):
    """Mean of squares ~90,000 overflows float16 (max 65,504): only float32 statistics stay finite."""
    x = (300.0 * np.random.randn(2, 5, 8)).astype("float32")
    reference = to_numpy(norm_cls()(x))
    layer = norm_cls(dtype=policy)
    outputs = layer(x)
    assert keras.backend.standardize_dtype(outputs.dtype) == keras.DTypePolicy(policy).compute_dtype
    assert all(w.dtype == "float32" for w in layer.weights)
    outputs = to_numpy(outputs).astype("float32")
    assert np.isfinite(outputs).all()
    assert_allclose(outputs, reference, atol=0.05, rtol=0.02)


@pytest.mark.parametrize("norm_cls", [LayerNorm, RMSNorm])
def test_mask_is_passed_through(norm_cls):
    """Masked steps stay out of a downstream masked average."""
    x = random_inputs((2, 4, 8))
    x[0, 2:] = 0.0
    inputs = keras.Input((4, 8))
    norm = norm_cls()
    pooled = keras.layers.GlobalAveragePooling1D()(norm(keras.layers.Masking(0.0)(inputs)))
    normalized = to_numpy(norm(x))
    expected = np.stack([normalized[0, :2].mean(0), normalized[1].mean(0)])
    assert_allclose(keras.Model(inputs, pooled)(x), expected)


@pytest.mark.parametrize(
    "norm_cls, init_kwargs",
    [
        (LayerNorm, {"epsilon": 1e-6}),
        (LayerNorm, {"center": False}),
        (RMSNorm, {"epsilon": 1e-5}),
        (RMSNorm, {"scale": False}),
    ],
)
def test_layer_contract(norm_cls, init_kwargs, tmp_path):
    run_layer_checks(
        norm_cls,
        init_kwargs,
        random_inputs(),
        tmp_path,
        expected_output_shape=(2, 5, 8),
    )


def test_build_norm_makes_the_named_norm():
    layer = build_norm("layer_norm", name="attention_norm", dtype="mixed_bfloat16")
    assert (type(layer), layer.epsilon, layer.name, layer.dtype_policy.name) == (
        LayerNorm,
        1e-5,
        "attention_norm",
        "mixed_bfloat16",
    )
    assert (type(build_norm("rms_norm")), build_norm("rms_norm").epsilon) == (RMSNorm, 1e-6)
    assert build_norm("rms_norm", 1e-3).epsilon == 1e-3


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: LayerNorm(epsilon=0), "epsilon=0"),
        (lambda: RMSNorm(epsilon="x"), "epsilon='x'"),
        (lambda: build_norm("batch_norm"), "kind='batch_norm'"),
        (lambda: build_norm("rms_norm", epsilon=-1.0), "epsilon=-1.0"),
    ],
)
def test_bad_arguments_are_quoted(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
