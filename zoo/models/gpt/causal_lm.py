"""GPT causal language model: next-token logits through the tied embedding, plus the decoding protocol."""

import keras
from keras import ops

from zoo.models.functional_model import token_inputs
from zoo.models.gpt.task import GPTTask
from zoo.models.kv_cache import cache_key, empty_self_attention_caches


def next_token_batch(token_ids, padding_mask, loss_mask=None):
    """`(x, y, sample_weight)` for `fit`: inputs `[:-1]`, labels `[1:]`, weights = padding (or `loss_mask`) `[1:]`.

    Works on NumPy arrays and on tensors inside `tf.data` (plain slicing), the keras-hub
    `CausalLMPreprocessor` convention. `loss_mask` (same shape as `token_ids`) marks the
    tokens that count in the loss, e.g. only the target part of a prefix-LM example.

    Example:

        x, y, w = next_token_batch(np.array([[2, 7, 8, 3, 0]]), np.array([[1, 1, 1, 1, 0]]))
        y, w  # (array([[7, 8, 3, 0]]), array([[1, 1, 1, 0]]))
    """
    weights = padding_mask if loss_mask is None else loss_mask
    x = {"token_ids": token_ids[..., :-1], "padding_mask": padding_mask[..., :-1]}
    return x, token_ids[..., 1:], weights[..., 1:]


@keras.saving.register_keras_serializable(package="zoo")
class GPTCausalLM(GPTTask):
    """Next-token prediction with a `GPTBackbone`; logits through the tied token embedding, in float32.

    Train with `fit(x, y, sample_weight)` where `x = {"token_ids", "padding_mask"}`, `y` the
    next tokens and `sample_weight` the padding mask of `y` (see `next_token_batch`); the loss
    is `SparseCategoricalCrossentropy(from_logits=True)` (the default of `compile()`).

    Decoding protocol (used by `zoo.generation.generate`): `init_decoding_state(batch_size,
    max_length)` returns zero KV caches, one `(batch, 2, max_length, kv_heads, head_dim)` tensor
    per block (`zoo.models.kv_cache`); `decode_step(token_ids, state, index)` reads the tokens at positions
    `index .. index + T - 1`, writes their keys/values into the caches and returns their
    next-token logits `(batch, T, vocabulary_size)` and the new state.

    Args:
        backbone: a `GPTBackbone`.

    Example:

        backbone = GPTBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32, num_heads=4,
                               intermediate_dim=64, max_sequence_length=16)
        lm = GPTCausalLM(backbone)
        lm({"token_ids": np.array([[5, 6, 7]]), "padding_mask": np.array([[1, 1, 1]])}).shape  # (1, 3, 100)
    """

    def __init__(self, backbone, **kwargs):
        # === Functional Model ===
        inputs = token_inputs()
        hidden = backbone(inputs)
        logits = ops.cast(backbone.token_embedding(hidden, reverse=True), "float32")
        super().__init__(backbone, inputs=inputs, outputs=logits, **kwargs)

    def init_decoding_state(self, batch_size, max_length):
        backbone = self.backbone
        if max_length > backbone.max_sequence_length:
            raise ValueError(
                f"`max_length` must be at most max_sequence_length={backbone.max_sequence_length}. "
                f"Received: max_length={max_length!r}"
            )
        return empty_self_attention_caches(
            backbone.num_layers,
            batch_size,
            max_length,
            backbone.num_key_value_heads,
            backbone.head_dim,
            backbone.compute_dtype,
        )

    def decode_step(self, token_ids, state, index):
        backbone = self.backbone
        x = backbone.token_embedding(token_ids)
        if backbone.position_embedding is not None:
            x = x + backbone.position_embedding(x, start_index=index)
        new_state = {}
        for i, block in enumerate(backbone.decoder_blocks):
            key = cache_key("self_attention", i)
            x, new_state[key] = block(x, self_attention_cache=state[key], cache_update_index=index)
        x = backbone.final_norm(x)
        logits = ops.cast(backbone.token_embedding(x, reverse=True), "float32")
        return logits, new_state
