"""Independent NumPy reference of the Transformer pieces, used by the block and model tests."""

import math

import numpy as np

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
