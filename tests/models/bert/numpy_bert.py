"""Independent NumPy forward of the BERT family (fp64), reading the weights off the Keras layers."""

import numpy as np

from tests.layers import numpy_transformer as ref
from zoo.testing import to_numpy

ACTIVATIONS = {"gelu": ref.gelu, "relu": lambda x: np.maximum(x, 0.0)}


def set_seeded_weights(model, seed=0, scale=0.2):
    """Every weight drawn from `np.random.default_rng(seed)` in `model.weights` order; LayerNorm scales near 1."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        values = rng.normal(0.0, scale, size=tuple(weight.shape))
        weight.assign((values + 1.0 if weight.path.endswith("gamma") else values).astype("float32"))


def _array(variable):
    return to_numpy(variable).astype("float64")


def dense(layer, x):
    return x @ _array(layer.kernel) + _array(layer.bias)


def norm(layer, x):
    return ref.layer_norm(x, _array(layer.gamma), _array(layer.beta), layer.epsilon)


def _attention_weights(attention):
    names = {"q": attention.query, "k": attention.key, "v": attention.value, "o": attention.attention_output}
    weights = {key: _array(layer.kernel) for key, layer in names.items()}
    weights.update({f"{key}_bias": _array(layer.bias) for key, layer in names.items()})
    return weights


def _residual(x, branch, norm_layer, norm_first):
    if norm_first:
        return x + branch(norm(norm_layer, x))
    return norm(norm_layer, x + branch(x))


def _encoder_block(block, x, mask, activation):
    weights = _attention_weights(block.self_attention)
    heads = block.num_heads
    x = _residual(x, lambda h: ref.attention(h, h, weights, heads, heads, mask), block.attention_norm, block.norm_first)
    ffn = block.feed_forward

    def feed_forward(h):
        return dense(ffn.down_projection, activation(dense(ffn.up_projection, h)))

    return _residual(x, feed_forward, block.feed_forward_norm, block.norm_first)


def backbone_forward(backbone, inputs):
    """`(sequence_output, pooled_output)` of `BertBackbone` for a dict of NumPy inputs."""
    token_ids, segment_ids = inputs["token_ids"], inputs["segment_ids"]
    length = token_ids.shape[1]
    x = (
        _array(backbone.token_embedding.embeddings)[token_ids]
        + _array(backbone.segment_embedding.embeddings)[segment_ids]
        + _array(backbone.position_embedding.position_embeddings)[:length]
    )
    x = norm(backbone.embeddings_norm, x)
    keys = inputs["padding_mask"].astype(bool)[:, None, :]
    mask = np.broadcast_to(keys, (token_ids.shape[0], length, length))
    for block in backbone.encoder_blocks:
        x = _encoder_block(block, x, mask, ACTIVATIONS[backbone.activation])
    if backbone.final_norm is not None:
        x = norm(backbone.final_norm, x)
    pooled = np.tanh(dense(backbone.pooler, x[:, 0]))
    return x, pooled


def masked_lm_forward(head, sequence_output, mask_positions):
    """Logits of `MaskedLMHead`: gather, transform, project through the embedding table, add the bias."""
    gathered = np.take_along_axis(sequence_output, mask_positions[..., None], axis=1)
    hidden = norm(head.norm, ACTIVATIONS[head.activation](dense(head.dense, gathered)))
    return hidden @ _array(head.token_embedding.embeddings).T + _array(head.output_bias)
