"""CopyGenerator against a NumPy pointer-generator written from See et al. (2017), and its gradients."""

import keras
import numpy as np

from zoo.layers import CopyGenerator
from zoo.testing import to_numpy


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def numpy_copy_generator(layer, hidden, logits, encoder_outputs, token_ids, padding_mask):
    """The mixture by loops: attention over the source, its weights summed per token id, gated."""
    w_q, w_k = to_numpy(layer.query_projection.kernel), to_numpy(layer.key_projection.kernel)
    w_g, b_g = to_numpy(layer.gate.kernel), to_numpy(layer.gate.bias)
    out = np.zeros(logits.shape)
    for b in range(logits.shape[0]):
        keys = encoder_outputs[b] @ w_k
        for t in range(logits.shape[1]):
            scores = keys @ (hidden[b, t] @ w_q) / np.sqrt(w_q.shape[1])
            attention = softmax(np.where(padding_mask[b] == 1, scores, -np.inf))
            context = attention @ encoder_outputs[b]
            p_gen = 1 / (1 + np.exp(-(np.concatenate([hidden[b, t], context]) @ w_g + b_g)))
            copy = np.zeros(logits.shape[-1])
            for position, token in enumerate(token_ids[b]):
                copy[token] += attention[position]
            out[b, t] = np.log(p_gen * softmax(logits[b, t]) + (1 - p_gen) * copy)
    return out


def inputs(seed=0, vocabulary_size=30):
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(2, 3, 8)).astype("float32")
    logits = rng.normal(size=(2, 3, vocabulary_size)).astype("float32")
    encoder_outputs = rng.normal(size=(2, 5, 6)).astype("float32")
    token_ids = np.array([[4, 7, 4, 9, 0], [11, 12, 13, 0, 0]], "int32")  # a repeated 4, then padding
    padding_mask = (token_ids != 0).astype("int32")
    return hidden, logits, encoder_outputs, token_ids, padding_mask


def test_mixture_equals_numpy_pointer_generator():
    args = inputs()
    layer = CopyGenerator(attention_dim=4)
    got = to_numpy(layer(*args))
    np.testing.assert_allclose(got, numpy_copy_generator(layer, *args), atol=1e-5)
    np.testing.assert_allclose(np.exp(got).sum(-1), 1.0, atol=1e-5)


def test_split_decoding_path_equals_call():
    args = inputs(seed=1)
    layer = CopyGenerator(attention_dim=4)
    whole = to_numpy(layer(*args))
    hidden, logits, encoder_outputs, token_ids, padding_mask = args
    split = layer.mix(hidden, logits, layer.project_keys(encoder_outputs), encoder_outputs, token_ids, padding_mask)
    np.testing.assert_allclose(to_numpy(split), whole, atol=1e-6)


def test_source_tokens_gain_probability_and_padding_gets_none_from_copy():
    hidden, _, encoder_outputs, token_ids, padding_mask = inputs(seed=2)
    flat_logits = np.zeros((2, 3, 30), "float32")  # the vocabulary alone is uniform
    probabilities = np.exp(
        to_numpy(CopyGenerator(attention_dim=4)(hidden, flat_logits, encoder_outputs, token_ids, padding_mask))
    )
    uniform = 1 / 30
    # All the copy mass lands on the source tokens: together they beat the vocabulary's share.
    assert (probabilities[0][:, [4, 7, 9]].sum(-1) > 3 * uniform).all()
    assert (probabilities[1][:, [11, 12, 13]].sum(-1) > 3 * uniform).all()
    absent = [v for v in range(30) if v not in (4, 7, 9, 11, 12, 13)]
    assert (probabilities[:, :, absent] < uniform).all()  # pad id 0 included: masked positions copy nothing


def test_gradients_reach_every_weight_and_the_logits():
    hidden, logits, encoder_outputs, token_ids, padding_mask = inputs(seed=3)
    layer = CopyGenerator(attention_dim=4)
    layer(hidden, logits, encoder_outputs, token_ids, padding_mask)
    labels = np.array([[4, 7, 2], [13, 1, 11]])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def loss(weights, logits):
        for variable, value in zip(layer.trainable_variables, weights):
            variable.assign(value)
        return loss_fn(labels, layer(hidden, logits, encoder_outputs, token_ids, padding_mask))

    weights = [to_numpy(v) for v in layer.trainable_variables]
    assert len(weights) == 4  # query, key, gate kernel and bias
    base = float(to_numpy(loss(weights, logits)))
    for i, value in enumerate(weights + [logits]):
        step = np.zeros_like(value)
        step.flat[0] = 1e-2
        moved = [w + step if j == i else w for j, w in enumerate(weights)]
        changed = float(to_numpy(loss(moved, logits + step if i == len(weights) else logits)))
        assert changed != base, f"input {i} does not reach the loss"


def test_config_round_trip():
    layer = CopyGenerator(attention_dim=12, name="copy")
    restored = CopyGenerator.from_config(layer.get_config())
    assert restored.attention_dim == 12 and restored.name == "copy"
