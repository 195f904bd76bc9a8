import math

import keras
import numpy as np
import pytest
from keras.src.backend import get_keras_mask

from zoo.layers.attention import MultiHeadAttention
from zoo.testing import assert_allclose, run_layer_checks, to_numpy

BATCH, LENGTH, HIDDEN = 2, 6, 8


def numpy_rotary(x, start=0, max_wavelength=10000.0):
    """Rotate-half RoPE: features j and j + d/2 turn by (start + pos) / max_wavelength ** (2j / d)."""
    _, length, _, dim = x.shape
    half = dim // 2
    positions = np.arange(start, start + length, dtype="float64")[:, None]
    theta = positions / max_wavelength ** (2 * np.arange(half) / dim)
    cos, sin = np.cos(theta)[None, :, None], np.sin(theta)[None, :, None]
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def numpy_attention(layer, query, value=None, mask=None, causal=False):
    """Textbook attention from the layer's weights; query head i reads kv head i // (heads / kv_heads).

    A fully masked row gets uniform weights (every score equal), the layer's documented behaviour.
    """
    value = query if value is None else value
    query, value = np.asarray(query, "float64"), np.asarray(value, "float64")

    def weight(sublayer, name):
        return to_numpy(getattr(getattr(layer, sublayer), name)).astype("float64")

    def project(x, sublayer, equation):
        y = np.einsum(equation, x, weight(sublayer, "kernel"))
        return y + weight(sublayer, "bias") if layer.use_bias else y

    q = project(query, "query", "btd,dnh->btnh")
    k = project(value, "key", "btd,dnh->btnh")
    v = project(value, "value", "btd,dnh->btnh")
    if layer.rotary_max_wavelength is not None:
        q = numpy_rotary(q, max_wavelength=layer.rotary_max_wavelength)
        k = numpy_rotary(k, max_wavelength=layer.rotary_max_wavelength)
    groups = layer.num_heads // layer.num_key_value_heads
    k, v = np.repeat(k, groups, axis=2), np.repeat(v, groups, axis=2)
    scores = np.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(layer.head_dim)
    allowed = np.ones((query.shape[0], query.shape[1], value.shape[1]), bool)
    if mask is not None:
        allowed &= mask
    if causal:
        allowed &= np.tril(np.ones(allowed.shape[1:], bool))
    scores = np.where(allowed[:, None], scores, -1e9)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    attended = np.einsum("bnts,bsnh->btnh", weights, v)
    return project(attended, "attention_output", "btnh,nhd->btd")


def plain_and_fused(**kwargs):
    """Two layers with the same weights, one per computation path."""
    kwargs = {"num_heads": 4, "head_dim": 4, "bias_initializer": "random_normal", **kwargs}
    plain = MultiHeadAttention(use_fused=False, **kwargs)
    fused = MultiHeadAttention(use_fused=True, **kwargs)
    return plain, fused


def random_inputs(*shape):
    return np.random.randn(*shape).astype("float32")


def padding_mask(lengths, max_length):
    return np.arange(max_length)[None, :] < np.asarray(lengths)[:, None]


def reference_case(name):
    """(layer kwargs, positional inputs, call kwargs, reference mask, causal) for one scenario."""
    query, value = random_inputs(BATCH, LENGTH, HIDDEN), random_inputs(BATCH, 4, 6)
    if name == "attention_mask":
        mask = np.random.rand(BATCH, LENGTH, LENGTH) > 0.4
        mask[0, 2] = False  # one fully masked query row
        return {}, [query], {"attention_mask": mask}, mask, False
    if name == "causal":
        return {}, [query], {"use_causal_mask": True}, None, True
    if name == "causal_with_attention_mask":
        mask = np.broadcast_to(padding_mask([6, 4], LENGTH)[:, None, :], (BATCH, LENGTH, LENGTH))
        return {}, [query], {"attention_mask": mask, "use_causal_mask": True}, mask, True
    if name == "cross":
        mask = np.broadcast_to(padding_mask([4, 2], 4)[:, None, :], (BATCH, LENGTH, 4))
        return {"output_dim": 5}, [query, value], {"attention_mask": mask}, mask, False
    if name == "cross_causal":
        return {}, [query, value], {"use_causal_mask": True}, None, True
    if name == "grouped_query":
        return {"num_key_value_heads": 2}, [query], {"use_causal_mask": True}, None, True
    if name == "multi_query":
        return {"num_key_value_heads": 1}, [query], {"use_causal_mask": True}, None, True
    if name == "rotary":
        return {"rotary_max_wavelength": 100}, [query], {"use_causal_mask": True}, None, True
    if name == "rotary_multi_query_cross":
        return {"rotary_max_wavelength": 100, "num_key_value_heads": 1}, [query, value], {}, None, False
    raise KeyError(name)


REFERENCE_CASES = [
    "attention_mask",
    "causal",
    "causal_with_attention_mask",
    "cross",
    "cross_causal",
    "grouped_query",
    "multi_query",
    "rotary",
    "rotary_multi_query_cross",
]


@pytest.mark.parametrize("name", REFERENCE_CASES)
def test_matches_numpy_reference_on_both_paths(name):
    layer_kwargs, inputs, call_kwargs, mask, causal = reference_case(name)
    plain, fused = plain_and_fused(**layer_kwargs)
    plain_output = plain(*inputs, **call_kwargs)
    fused(*inputs, **call_kwargs)
    fused.set_weights(plain.get_weights())
    fused_output = fused(*inputs, **call_kwargs)
    expected = numpy_attention(plain, *inputs, mask=mask, causal=causal)
    assert_allclose(plain_output, expected)
    assert_allclose(fused_output, expected)
    assert_allclose(fused_output, plain_output)


def test_keras_padding_mask_on_both_paths():
    tokens = np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 0, 0, 0]])
    embedded = keras.layers.Embedding(10, HIDDEN, mask_zero=True)(tokens)
    plain, fused = plain_and_fused()
    plain_output = plain(embedded)
    fused(embedded)
    fused.set_weights(plain.get_weights())
    fused_output = fused(embedded)
    valid = tokens != 0
    expected = numpy_attention(plain, to_numpy(embedded), mask=valid[:, :, None] & valid[:, None, :])
    assert_allclose(plain_output, expected)
    assert_allclose(fused_output, expected)
    # Padded query rows attend to nothing: finite (uniform weights), not NaN.
    assert np.isfinite(to_numpy(fused_output)).all() and np.isfinite(to_numpy(plain_output)).all()
    np.testing.assert_array_equal(to_numpy(get_keras_mask(fused_output)), valid)
    # The caller's tensor keeps its mask.
    np.testing.assert_array_equal(to_numpy(get_keras_mask(embedded)), valid)


def test_padding_mask_propagates_through_a_functional_model():
    tokens = keras.Input(shape=(None,), dtype="int32")
    embedded = keras.layers.Embedding(10, HIDDEN, mask_zero=True)(tokens)
    attended = MultiHeadAttention(num_heads=2, head_dim=4)(embedded)
    pooled = keras.layers.GlobalAveragePooling1D()(attended)
    model = keras.Model(tokens, pooled)
    batch = np.array([[3, 1, 4, 0, 0], [2, 6, 5, 3, 5]])
    mean_of_valid = to_numpy(keras.Model(tokens, attended)(batch))[0, :3].mean(0)
    assert_allclose(to_numpy(model(batch))[0], mean_of_valid)


def decode_in_chunks(layer, inputs, chunk_sizes, cache, tensor_index):
    outputs, index = [], 0
    for size in chunk_sizes:
        update_index = keras.ops.convert_to_tensor(index, "int32") if tensor_index else index
        output, cache = layer(inputs[:, index : index + size], cache=cache, cache_update_index=update_index)
        outputs.append(to_numpy(output))
        index += size
    return np.concatenate(outputs, axis=1), cache


@pytest.mark.parametrize(
    "layer_kwargs",
    [
        pytest.param({}, id="mha"),
        pytest.param({"rotary_max_wavelength": 100}, id="rotary", marks=pytest.mark.slow),
        pytest.param({"num_key_value_heads": 2, "rotary_max_wavelength": 100}, id="gqa_rotary"),
        pytest.param({"num_key_value_heads": 1}, id="mqa"),
        pytest.param({"num_key_value_heads": 2, "use_bias": False}, id="gqa_no_bias"),
    ],
)
@pytest.mark.parametrize("use_fused", [True, False], ids=["fused", "plain"])
@pytest.mark.parametrize(
    "chunk_sizes, tensor_index",
    [([3, 1, 2], True), pytest.param([1] * 6, False, marks=pytest.mark.slow)],
    ids=["prompt_then_tokens", "token_by_token"],
)
def test_cached_decoding_matches_full_causal_call(layer_kwargs, use_fused, chunk_sizes, tensor_index):
    layer = MultiHeadAttention(num_heads=4, head_dim=4, use_fused=use_fused, **layer_kwargs)
    inputs = random_inputs(BATCH, LENGTH, HIDDEN)
    full = layer(inputs, use_causal_mask=True)
    max_length, kv_heads = LENGTH + 2, layer.num_key_value_heads
    # Garbage in the not-yet-written positions must be ignored.
    initial_cache = random_inputs(BATCH, 2, max_length, kv_heads, 4)
    stepped, cache = decode_in_chunks(layer, inputs, chunk_sizes, initial_cache, tensor_index)
    assert_allclose(stepped, full)
    cache = to_numpy(cache)
    assert cache.shape == (BATCH, 2, max_length, kv_heads, 4)
    assert_allclose(cache[:, :, :LENGTH], layer.compute_cross_attention_cache(inputs))
    np.testing.assert_array_equal(cache[:, :, LENGTH:], initial_cache[:, :, LENGTH:])


def test_cached_decoding_with_lora_on_one_projection_matches_full_call():
    # Decoding on JAX projects with the three kernels side by side; a LoRA kernel must still count.
    layer = MultiHeadAttention(num_heads=4, head_dim=4, num_key_value_heads=2)
    inputs = random_inputs(BATCH, LENGTH, HIDDEN)
    without_lora = to_numpy(layer(inputs, use_causal_mask=True))
    layer.key.enable_lora(2)
    layer.key.lora_kernel_b.assign(random_inputs(*layer.key.lora_kernel_b.shape))
    full = to_numpy(layer(inputs, use_causal_mask=True))
    assert not np.allclose(full, without_lora, atol=1e-3)
    assert_allclose(full, numpy_attention(layer, inputs, causal=True))
    stepped, _ = decode_in_chunks(layer, inputs, [3, 1, 2], np.zeros((BATCH, 2, LENGTH, 2, 4), "float32"), True)
    assert_allclose(stepped, full)


@pytest.mark.parametrize("layer_kwargs", [{}, {"rotary_max_wavelength": 100, "num_key_value_heads": 2}])
def test_cross_attention_cache_reuse_matches_plain_cross_attention(layer_kwargs):
    layer = MultiHeadAttention(num_heads=4, head_dim=4, **layer_kwargs)
    query, encoder_outputs = random_inputs(BATCH, 3, HIDDEN), random_inputs(BATCH, 5, 6)
    mask = np.broadcast_to(padding_mask([5, 2], 5)[:, None, :], (BATCH, 3, 5))
    expected = layer(query, encoder_outputs, attention_mask=mask)
    cache = layer.compute_cross_attention_cache(encoder_outputs)
    assert tuple(cache.shape) == (BATCH, 2, 5, layer.num_key_value_heads, 4)
    output, returned_cache = layer(query, cache=cache, attention_mask=mask)
    assert_allclose(output, expected)
    np.testing.assert_array_equal(to_numpy(returned_cache), to_numpy(cache))


def test_dropout_only_in_training():
    layer = MultiHeadAttention(num_heads=2, head_dim=4, dropout=0.5)
    inputs = random_inputs(BATCH, LENGTH, HIDDEN)
    inference = layer(inputs, training=False)
    assert_allclose(inference, numpy_attention(layer, inputs))
    assert_allclose(layer(inputs), inference)
    first, second = to_numpy(layer(inputs, training=True)), to_numpy(layer(inputs, training=True))
    assert not np.allclose(first, to_numpy(inference), atol=1e-3)
    assert not np.allclose(first, second, atol=1e-3)


@pytest.mark.parametrize("policy", ["mixed_float16", pytest.param("mixed_bfloat16", marks=pytest.mark.slow)])
def test_mixed_precision_paths_and_cache_agree(policy):
    plain, fused = plain_and_fused(num_key_value_heads=2, rotary_max_wavelength=100, dtype=policy)
    inputs = random_inputs(BATCH, LENGTH, HIDDEN)
    plain_output = plain(inputs, use_causal_mask=True)
    fused(inputs)
    fused.set_weights(plain.get_weights())
    fused_output = fused(inputs, use_causal_mask=True)
    assert keras.backend.standardize_dtype(fused_output.dtype) == plain.compute_dtype
    expected = to_numpy(plain_output).astype("float32")
    tolerance = 0.05 if policy == "mixed_bfloat16" else 0.01
    assert_allclose(to_numpy(fused_output).astype("float32"), expected, atol=tolerance, rtol=0.05)
    cache = keras.ops.zeros((BATCH, 2, LENGTH, 2, 4), dtype=plain.compute_dtype)
    stepped, cache = decode_in_chunks(plain, inputs, [2, 1, 3], cache, tensor_index=False)
    assert keras.backend.standardize_dtype(cache.dtype) == plain.compute_dtype
    assert_allclose(stepped.astype("float32"), expected, atol=tolerance, rtol=0.05)


def test_self_attention_contract(tmp_path):
    run_layer_checks(
        MultiHeadAttention,
        {"num_heads": 2, "head_dim": 4, "num_key_value_heads": 1, "rotary_max_wavelength": 100, "dropout": 0.1},
        random_inputs(BATCH, 5, HIDDEN),
        tmp_path,
        call_kwargs={"use_causal_mask": True},
        expected_output_shape=(BATCH, 5, HIDDEN),
    )


def test_cross_attention_contract(tmp_path):
    run_layer_checks(
        MultiHeadAttention,
        {"num_heads": 2, "head_dim": 4, "output_dim": 6, "use_bias": False, "use_fused": True},
        [random_inputs(BATCH, 3, HIDDEN), random_inputs(BATCH, 5, 6)],
        tmp_path,
        expected_output_shape=(BATCH, 3, 6),
    )


def test_compute_output_shape():
    layer = MultiHeadAttention(num_heads=2, head_dim=4, output_dim=6)
    assert layer.compute_output_shape((None, 3, 8)) == (None, 3, 6)
    cache_shape = (None, 2, 9, 2, 4)
    assert layer.compute_output_shape((None, 1, 8), cache_shape=cache_shape) == ((None, 1, 6), cache_shape)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_heads": 0}, "num_heads=0"),
        ({"head_dim": -1}, "head_dim=-1"),
        ({"num_key_value_heads": 0}, "num_key_value_heads=0"),
        ({"num_key_value_heads": 3}, "num_key_value_heads=3"),
        ({"output_dim": 2.5}, "output_dim=2.5"),
        ({"use_bias": "yes"}, "use_bias='yes'"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"rotary_max_wavelength": 0}, "rotary_max_wavelength=0"),
        ({"rotary_max_wavelength": 100, "head_dim": 5}, "head_dim=5"),
        ({"use_fused": "always"}, "use_fused='always'"),
        ({"use_fused": True, "dropout": 0.1}, "use_fused=True, dropout=0.1"),
        ({"kernel_initializer": "no_such_initializer"}, "no_such_initializer"),
    ],
)
def test_bad_arguments_are_quoted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiHeadAttention(**{"num_heads": 4, "head_dim": 4, **kwargs})


def test_cross_attention_cache_needs_a_built_layer():
    with pytest.raises(ValueError, match="once before building a cross-attention cache"):
        MultiHeadAttention(num_heads=2, head_dim=4).compute_cross_attention_cache(random_inputs(1, 3, 4))
