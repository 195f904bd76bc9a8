"""Independent NumPy forward of the BERT family (fp64), reading the weights off the Keras layers."""

import numpy as np

from tests.layers import numpy_transformer as ref

ACTIVATIONS = {"gelu": ref.gelu, "relu": lambda x: np.maximum(x, 0.0)}


def set_seeded_weights(model, seed=0, scale=0.2):
    """Every weight drawn from `np.random.default_rng(seed)` in `model.weights` order; LayerNorm scales near 1."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        values = rng.normal(0.0, scale, size=tuple(weight.shape))
        weight.assign((values + 1.0 if weight.path.endswith("gamma") else values).astype("float32"))


def _encoder_block(block, x, mask, activation):
    weights = ref.attention_weights(block.self_attention)
    heads = block.num_heads
    x = ref.residual(
        x, lambda h: ref.attention(h, h, weights, heads, heads, mask), block.attention_norm, block.norm_first
    )
    ffn = block.feed_forward

    def feed_forward(h):
        return ref.dense(ffn.down_projection, activation(ref.dense(ffn.up_projection, h)))

    return ref.residual(x, feed_forward, block.feed_forward_norm, block.norm_first)


def backbone_forward(backbone, inputs):
    """`(sequence_output, pooled_output)` of `BertBackbone` for a dict of NumPy inputs."""
    token_ids, segment_ids = inputs["token_ids"], inputs["segment_ids"]
    length = token_ids.shape[1]
    x = (
        ref.weights_of(backbone.token_embedding.embeddings)[token_ids]
        + ref.weights_of(backbone.segment_embedding.embeddings)[segment_ids]
        + ref.weights_of(backbone.position_embedding.position_embeddings)[:length]
    )
    x = ref.norm(backbone.embeddings_norm, x)
    keys = inputs["padding_mask"].astype(bool)[:, None, :]
    mask = np.broadcast_to(keys, (token_ids.shape[0], length, length))
    for block in backbone.encoder_blocks:
        x = _encoder_block(block, x, mask, ACTIVATIONS[backbone.activation])
    if backbone.final_norm is not None:
        x = ref.norm(backbone.final_norm, x)
    pooled = np.tanh(ref.dense(backbone.pooler, x[:, 0]))
    return x, pooled


def masked_lm_forward(head, sequence_output, mask_positions):
    """Logits of `MaskedLMHead`: gather, transform, project through the embedding table, add the bias."""
    gathered = np.take_along_axis(sequence_output, mask_positions[..., None], axis=1)
    hidden = ref.norm(head.norm, ACTIVATIONS[head.activation](ref.dense(head.dense, gathered)))
    return hidden @ ref.weights_of(head.token_embedding.embeddings).T + ref.weights_of(head.output_bias)
