import keras
import numpy as np
import pytest

from zoo.layers.seq2seq_attention import BahdanauAttention, LuongAttention
from zoo.testing import assert_allclose, run_layer_checks, to_numpy

BATCH, T_Q, T_S, QUERY_DIM, VALUE_DIM = 2, 3, 5, 6, 4
# Row 0 has two padded source positions, row 1 none.
SOURCE_MASK = np.array([[True, True, True, False, False], [True] * T_S])


def random_inputs(query_rank=3, query_dim=QUERY_DIM, value_dim=VALUE_DIM):
    query_shape = (BATCH, T_Q, query_dim) if query_rank == 3 else (BATCH, query_dim)
    query = np.random.randn(*query_shape).astype("float32")
    values = np.random.randn(BATCH, T_S, value_dim).astype("float32")
    return query, values


def numpy_attention(score, query, values, mask):
    """Context and weights from `score(q, h)`, one query row and source position at a time."""
    single_step = query.ndim == 2
    queries = query[:, None] if single_step else query
    batch, t_q, t_s = queries.shape[0], queries.shape[1], values.shape[1]
    weights = np.zeros((batch, t_q, t_s))
    for b in range(batch):
        real = np.ones(t_s, bool) if mask is None else mask[b]
        for t in range(t_q):
            scores = np.array([score(queries[b, t], values[b, j]) for j in range(t_s)])
            if real.any():
                exp = np.where(real, np.exp(scores - scores[real].max()), 0.0)
                weights[b, t] = exp / exp.sum()
    context = weights @ values
    return (context[:, 0], weights[:, 0]) if single_step else (context, weights)


def numpy_bahdanau(layer, query, values, mask):
    w_q = to_numpy(layer.query_dense.kernel).astype("float64")
    w_k = to_numpy(layer.key_dense.kernel).astype("float64")
    bias = to_numpy(layer.key_dense.bias) if layer.use_bias else 0.0
    v = to_numpy(layer.score_dense.kernel)[:, 0]
    return numpy_attention(lambda q, h: v @ np.tanh(q @ w_q + h @ w_k + bias), query, values, mask)


def numpy_luong(layer, query, values, mask):
    scale = float(to_numpy(layer.scale)) if layer.use_scale else 1.0
    if layer.score == "dot":
        return numpy_attention(lambda q, h: scale * (q @ h), query, values, mask)
    w = to_numpy(layer.key_dense.kernel).astype("float64").T  # (query_dim, value_dim)
    return numpy_attention(lambda q, h: scale * (q @ w @ h), query, values, mask)


def built_luong(score="general", use_scale=False, **kwargs):
    layer = LuongAttention(score=score, use_scale=use_scale, **kwargs)
    dim = VALUE_DIM if score == "dot" else QUERY_DIM
    layer.build((None, None, dim), (None, None, VALUE_DIM))
    if use_scale:
        layer.scale.assign(0.7)  # away from its initial 1.0, so a missing scale shows
    return layer


def layer_and_inputs(kind, query_rank=3):
    if kind == "bahdanau":
        layer = BahdanauAttention(units=8, bias_initializer="random_normal")
        return layer, random_inputs(query_rank)
    layer = built_luong(score=kind, use_scale=True)
    query_dim = VALUE_DIM if kind == "dot" else QUERY_DIM
    return layer, random_inputs(query_rank, query_dim=query_dim)


@pytest.mark.parametrize("use_bias", [True, False])
def test_bahdanau_matches_numpy(use_bias):
    layer = BahdanauAttention(units=8, use_bias=use_bias, bias_initializer="random_normal")
    for query_rank in (2, 3):
        query, values = random_inputs(query_rank)
        for mask in (None, SOURCE_MASK):
            context, weights = layer(query, values, values_mask=mask, return_attention_scores=True)
            expected_context, expected_weights = numpy_bahdanau(layer, query, values, mask)
            assert_allclose(weights, expected_weights)
            assert_allclose(context, expected_context)


@pytest.mark.parametrize("score", ["dot", "general"])
@pytest.mark.parametrize("use_scale", [True, False])
def test_luong_matches_numpy(score, use_scale):
    layer = built_luong(score, use_scale)
    for query_rank in (2, 3):
        query, values = random_inputs(query_rank, query_dim=VALUE_DIM if score == "dot" else QUERY_DIM)
        for mask in (None, SOURCE_MASK):
            context, weights = layer(query, values, values_mask=mask, return_attention_scores=True)
            expected_context, expected_weights = numpy_luong(layer, query, values, mask)
            assert_allclose(weights, expected_weights)
            assert_allclose(context, expected_context)


@pytest.mark.parametrize("kind", ["bahdanau", "dot", "general"])
def test_weights_sum_to_one_over_real_tokens_and_are_zero_on_padding(kind):
    layer, (query, values) = layer_and_inputs(kind)
    mask = SOURCE_MASK.copy()
    mask[1] = False  # a source that is all padding gets no weight and a zero context
    context, weights = layer(query, values, values_mask=mask, return_attention_scores=True)
    weights, context = to_numpy(weights), to_numpy(context)
    np.testing.assert_array_equal(weights[0][:, ~SOURCE_MASK[0]], 0.0)
    assert_allclose(weights[0].sum(-1), np.ones(T_Q))
    np.testing.assert_array_equal(weights[1], 0.0)
    np.testing.assert_array_equal(context[1], 0.0)


@pytest.mark.parametrize("kind", ["bahdanau", "dot", "general"])
def test_single_step_matches_row_of_full_sequence(kind):
    layer, (query, values) = layer_and_inputs(kind)
    full_context, full_weights = to_numpy(layer(query, values, values_mask=SOURCE_MASK, return_attention_scores=True))
    for t in range(T_Q):
        context, weights = layer(query[:, t], values, values_mask=SOURCE_MASK, return_attention_scores=True)
        assert_allclose(context, full_context[:, t], atol=1e-6)
        assert_allclose(weights, full_weights[:, t], atol=1e-6)


@pytest.mark.parametrize("kind", ["bahdanau", "dot", "general"])
def test_precomputed_keys_give_same_output(kind):
    for query_rank in (2, 3):
        layer, (query, values) = layer_and_inputs(kind, query_rank)
        expected = to_numpy(layer(query, values, values_mask=SOURCE_MASK))
        keys = layer.precompute_keys(values)
        units = 8 if kind == "bahdanau" else QUERY_DIM if kind == "general" else VALUE_DIM
        assert tuple(keys.shape) == (BATCH, T_S, units)
        actual = to_numpy(layer(query, values, keys=keys, values_mask=SOURCE_MASK))
        np.testing.assert_array_equal(actual, expected)


def test_keras_mask_of_values_and_query_is_followed():
    """Source padding from `Embedding(mask_zero=True)` is masked; the query's mask passes to the context."""
    source_tokens = keras.Input((None,), dtype="int32")
    target_tokens = keras.Input((None,), dtype="int32")
    source_embedding = keras.layers.Embedding(10, VALUE_DIM, mask_zero=True)
    target_embedding = keras.layers.Embedding(10, QUERY_DIM, mask_zero=True)
    values, query = source_embedding(source_tokens), target_embedding(target_tokens)
    attention = BahdanauAttention(units=8)
    context = attention(query, values)
    pooled = keras.layers.GlobalAveragePooling1D()(context)  # averages unmasked query steps only
    model = keras.Model([source_tokens, target_tokens], [context, pooled])

    source = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]])
    target = np.array([[6, 7, 0], [8, 9, 1]])
    context, pooled = to_numpy(model([source, target]))
    embedded_query, embedded_values = to_numpy(target_embedding(target)), to_numpy(source_embedding(source))
    expected_context, _ = numpy_bahdanau(attention, embedded_query, embedded_values, source != 0)
    assert_allclose(context, expected_context)
    assert_allclose(pooled[0], expected_context[0, :2].mean(0))
    assert_allclose(pooled[1], expected_context[1].mean(0))


@pytest.mark.parametrize(
    "layer_cls, init_kwargs, query_shape, call_kwargs, expected_output_shape",
    [
        (BahdanauAttention, {"units": 6}, (2, 3, 5), None, (2, 3, 7)),
        (BahdanauAttention, {"units": 6, "use_bias": False}, (2, 5), {"return_attention_scores": True}, (2, 7)),
        (LuongAttention, {"score": "general", "use_scale": True}, (2, 3, 5), None, (2, 3, 7)),
        (LuongAttention, {"score": "dot", "use_scale": True}, (2, 7), {"return_attention_scores": True}, (2, 7)),
        (LuongAttention, {"score": "dot"}, (2, 3, 7), {"return_attention_scores": True}, (2, 3, 7)),
    ],
)
def test_layer_contract(layer_cls, init_kwargs, query_shape, call_kwargs, expected_output_shape, tmp_path):
    query = np.random.rand(*query_shape).astype("float32")
    values = np.random.rand(2, 4, 7).astype("float32")
    run_layer_checks(
        layer_cls,
        init_kwargs,
        [query, values],
        tmp_path,
        call_kwargs=call_kwargs,
        expected_output_shape=expected_output_shape,
    )


@pytest.mark.parametrize("kind", ["bahdanau", "dot", "general"])
def test_mixed_precision_weights_stay_normalised_and_masked(kind):
    mask = SOURCE_MASK.copy()
    mask[1] = False
    for policy in ("mixed_float16", "mixed_bfloat16"):
        keras.config.set_dtype_policy(policy)
        layer, (query, values) = layer_and_inputs(kind)
        context, weights = layer(query * 30, values, values_mask=mask, return_attention_scores=True)
        assert keras.backend.standardize_dtype(weights.dtype) == keras.DTypePolicy(policy).compute_dtype
        weights, context = to_numpy(weights).astype("float32"), to_numpy(context).astype("float32")
        assert np.all(np.isfinite(context))
        assert_allclose(weights[0].sum(-1), np.ones(T_Q), atol=1e-2)
        np.testing.assert_array_equal(weights[0][:, ~SOURCE_MASK[0]], 0.0)
        np.testing.assert_array_equal(weights[1], 0.0)


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: BahdanauAttention(units=0), "units=0"),
        (lambda: BahdanauAttention(units=-3), "units=-3"),
        (lambda: BahdanauAttention(units=2.5), "units=2.5"),
        (lambda: LuongAttention(score="concat"), "score='concat'"),
    ],
)
def test_bad_arguments_are_quoted(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_dot_score_rejects_different_sizes():
    query, values = random_inputs(query_dim=6, value_dim=4)
    with pytest.raises(ValueError, match="query_dim=6, value_dim=4"):
        LuongAttention(score="dot")(query, values)


@pytest.mark.parametrize("layer_cls, init_kwargs", [(BahdanauAttention, {"units": 4}), (LuongAttention, {})])
def test_precompute_keys_before_build_says_so(layer_cls, init_kwargs):
    layer = layer_cls(**init_kwargs)
    with pytest.raises(ValueError, match="before `precompute_keys`"):
        layer.precompute_keys(np.zeros((1, 3, 4), "float32"))
