"""Independent NumPy forward of `GPTBackbone` / `GPTCausalLM`, and seeded weights for parity tests."""

import math

import numpy as np

from tests.layers import numpy_transformer as ref
from zoo.testing import to_numpy


def set_seeded_weights(model, scale=0.2, seed=0):
    """Every weight from `np.random.default_rng(seed)`, in `model.weights` order (norm scales around 1)."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        values = rng.normal(0.0, scale, weight.shape)
        if weight.path.endswith("gamma"):
            values += 1.0
        weight.assign(values.astype("float32"))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def rotate(x, max_wavelength):
    """Rotary embedding, "rotate half" layout, positions 0..T-1 of x (batch, T, heads, head_dim)."""
    half = x.shape[-1] // 2
    inverse_frequencies = max_wavelength ** (-np.arange(half) * 2.0 / x.shape[-1])
    angles = np.arange(x.shape[1])[:, None] * inverse_frequencies
    angles = np.concatenate([angles, angles], -1)[None, :, None, :]
    rotated_half = np.concatenate([-x[..., half:], x[..., :half]], -1)
    return x * np.cos(angles) + rotated_half * np.sin(angles)


def _dense(layer, x):
    out = x @ to_numpy(layer.kernel)
    return out + to_numpy(layer.bias) if layer.bias is not None else out


def _norm(layer, x):
    gamma = to_numpy(layer.gamma)
    if getattr(layer, "beta", None) is None:
        return ref.rms_norm(x, gamma, layer.epsilon)
    return ref.layer_norm(x, gamma, to_numpy(layer.beta), layer.epsilon)


def _projection(layer, x, equation):
    out = np.einsum(equation, x, to_numpy(layer.kernel))
    return out + to_numpy(layer.bias) if layer.bias is not None else out


def _attention(attention, x, padding_mask, rotary_max_wavelength):
    q = _projection(attention.query, x, "btd,dnh->btnh")
    k = _projection(attention.key, x, "bsd,dnh->bsnh")
    v = _projection(attention.value, x, "bsd,dnh->bsnh")
    if rotary_max_wavelength is not None:
        q, k = rotate(q, rotary_max_wavelength), rotate(k, rotary_max_wavelength)
    groups = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, groups, axis=2), np.repeat(v, groups, axis=2)
    scores = np.einsum("btnh,bsnh->bnts", q, k) / math.sqrt(q.shape[-1])
    length = x.shape[1]
    allowed = np.tril(np.ones((length, length), bool))[None] & padding_mask[:, None, :].astype(bool)
    scores = np.where(allowed[:, None], scores, ref.NEG_INF)
    context = np.einsum("bnts,bsnh->btnh", ref.softmax(scores), v)
    return _projection(attention.attention_output, context, "btnh,nhd->btd")


def _feed_forward(ffn, x, activation):
    up = _dense(ffn.up_projection, x)
    if activation == "swiglu":
        gate = _dense(ffn.gate_projection, x)
        hidden = gate / (1.0 + np.exp(-gate)) * up
    else:
        hidden = {"gelu_tanh": gelu_tanh, "gelu": ref.gelu, "relu": lambda h: np.maximum(h, 0)}[activation](up)
    return _dense(ffn.down_projection, hidden)


def numpy_backbone(backbone, token_ids, padding_mask):
    """Final hidden states (batch, T, hidden_dim), float64."""
    x = to_numpy(backbone.token_embedding.embeddings)[token_ids].astype("float64")
    if backbone.position_encoding == "learned":
        x = x + to_numpy(backbone.position_embedding.position_embeddings)[: token_ids.shape[1]]
    rotary = backbone.rotary_max_wavelength if backbone.position_encoding == "rotary" else None
    for block in backbone.decoder_blocks:
        x = x + _attention(block.self_attention, _norm(block.self_attention_norm, x), padding_mask, rotary)
        x = x + _feed_forward(block.feed_forward, _norm(block.feed_forward_norm, x), backbone.activation)
    return _norm(backbone.final_norm, x)


def numpy_logits(backbone, token_ids, padding_mask):
    """Next-token logits of `GPTCausalLM` through the tied embedding."""
    return numpy_backbone(backbone, token_ids, padding_mask) @ to_numpy(backbone.token_embedding.embeddings).T
