"""Independent NumPy reference of the Transformer pieces, used by the block and model tests."""

import math

import numpy as np

from zoo.testing import to_numpy

NEG_INF = -1e9


def layer_norm(x, gamma, beta, epsilon):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def rms_norm(x, gamma, epsilon):
    return x / np.sqrt((x**2).mean(-1, keepdims=True) + epsilon) * gamma


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def attention(query, value, w, num_heads, num_kv_heads, mask=None, causal=False):
    """w: dict with q/k/v kernels (d, heads, head_dim), biases (heads, head_dim), o kernel (heads, head_dim, d)."""
    q = np.einsum("btd,dnh->btnh", query, w["q"]) + w["q_bias"]
    k = np.einsum("bsd,dnh->bsnh", value, w["k"]) + w["k_bias"]
    v = np.einsum("bsd,dnh->bsnh", value, w["v"]) + w["v_bias"]
    groups = num_heads // num_kv_heads
    k, v = np.repeat(k, groups, axis=2), np.repeat(v, groups, axis=2)
    scores = np.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(q.shape[-1])
    t, s = scores.shape[-2:]
    allowed = np.ones((query.shape[0], t, s), bool)
    if mask is not None:
        allowed &= mask.astype(bool)
    if causal:
        allowed &= np.tril(np.ones((t, s), bool))
    scores = np.where(allowed[:, None], scores, NEG_INF)
    context = np.einsum("bnts,bsnh->btnh", softmax(scores), v)
    return np.einsum("btnh,nhd->btd", context, w["o"]) + w["o_bias"]


# Reading a zoo layer's weights into the reference (float64, so the reference adds no rounding of its own).


def weights_of(variable):
    return to_numpy(variable).astype("float64")


def dense(layer, x):
    return x @ weights_of(layer.kernel) + weights_of(layer.bias)


def norm(layer, x):
    """A zoo `LayerNorm` layer applied in NumPy."""
    return layer_norm(x, weights_of(layer.gamma), weights_of(layer.beta), layer.epsilon)


def residual(x, branch, norm_layer, norm_first):
    """Pre-LN `x + branch(norm(x))` or post-LN `norm(x + branch(x))`, as the zoo blocks compute it."""
    if norm_first:
        return x + branch(norm(norm_layer, x))
    return norm(norm_layer, x + branch(x))


def attention_weights(attention):
    """The kernels and biases of a zoo `MultiHeadAttention`, keyed as `attention()` expects."""
    projections = {"q": attention.query, "k": attention.key, "v": attention.value, "o": attention.attention_output}
    weights = {key: weights_of(layer.kernel) for key, layer in projections.items()}
    weights.update({f"{key}_bias": weights_of(layer.bias) for key, layer in projections.items()})
    return weights
