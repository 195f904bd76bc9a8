"""Copy attention (pointer-generator): the output distribution mixes generating a token with copying one.

See et al. 2017, "Get To The Point", and OpenNMT's `CopyGenerator`: a copy attention over the
encoder outputs gives a distribution over source positions; each position's weight goes to its
token id, and a gate `p_gen` (from the decoder state and the attended context) mixes that copy
distribution with the vocabulary softmax. With one subword vocabulary for both sides (as the
zoo's recipes train it, byte fallback included) every source token is in the vocabulary, so no
extended vocabulary is needed. Written here because keras-hub has no copy mechanism.
"""

import keras
from keras import ops

from zoo.validation import require_positive_int

# The log of a probability the mixture rounds to zero (float32 underflow), instead of -inf.
_LOG_FLOOR = 1e-12
_MASKED_SCORE = -1e9


@keras.saving.register_keras_serializable(package="zoo")
class CopyGenerator(keras.layers.Layer):
    """Turns vocabulary logits into the log-probabilities of the generate-or-copy mixture.

    `call(decoder_hidden (batch, T, d), logits (batch, T, V), encoder_outputs (batch, S, e),
    encoder_token_ids (batch, S), encoder_padding_mask (batch, S))` returns float32
    `log(p_gen * softmax(logits) + (1 - p_gen) * copy)` `(batch, T, V)`, where
    `copy[v] = sum of the copy attention over source positions holding token v`. The output
    is a valid logits tensor (its softmax is the mixture), so the usual cross-entropy trains it.
    `project_keys(encoder_outputs)` and `mix(...)` split the work for cached decoding.

    Args:
        attention_dim: width of the copy attention's queries and keys.

    Example:

        copy = CopyGenerator(attention_dim=16)
        log_probs = copy(np.zeros((1, 2, 8)), np.zeros((1, 2, 50)), np.zeros((1, 4, 8)),
                         np.array([[7, 9, 9, 0]]), np.array([[1, 1, 1, 0]]))
        log_probs.shape  # (1, 2, 50)
    """

    def __init__(self, attention_dim, **kwargs):
        super().__init__(**kwargs)
        self.attention_dim = require_positive_int("attention_dim", attention_dim)
        dense = {"dtype": self.dtype_policy}
        self.query_projection = keras.layers.Dense(attention_dim, use_bias=False, name="query", **dense)
        self.key_projection = keras.layers.Dense(attention_dim, use_bias=False, name="key", **dense)
        self.gate = keras.layers.Dense(1, name="gate", **dense)

    def build(
        self,
        decoder_hidden_shape,
        logits_shape,
        encoder_outputs_shape,
        encoder_token_ids_shape,
        encoder_padding_mask_shape,
    ):
        self.query_projection.build(decoder_hidden_shape)
        self.key_projection.build(encoder_outputs_shape)
        self.gate.build((None, None, decoder_hidden_shape[-1] + encoder_outputs_shape[-1]))

    def project_keys(self, encoder_outputs):
        """The copy attention's keys `(batch, S, attention_dim)`, computed once per source."""
        return self.key_projection(encoder_outputs)

    def call(self, decoder_hidden, logits, encoder_outputs, encoder_token_ids, encoder_padding_mask):
        keys = self.project_keys(encoder_outputs)
        return self.mix(decoder_hidden, logits, keys, encoder_outputs, encoder_token_ids, encoder_padding_mask)

    def mix(self, decoder_hidden, logits, keys, encoder_outputs, encoder_token_ids, encoder_padding_mask):
        """`call` with the keys already projected (the decoding loop keeps them in its state)."""
        queries = self.query_projection(decoder_hidden)
        scores = ops.cast(ops.einsum("btd,bsd->bts", queries, keys), "float32") * self.attention_dim**-0.5
        visible = ops.cast(encoder_padding_mask, "bool")[:, None, :]
        attention = ops.softmax(ops.where(visible, scores, _MASKED_SCORE), axis=-1)
        context = ops.einsum("bts,bsd->btd", ops.cast(attention, encoder_outputs.dtype), encoder_outputs)
        generate = ops.sigmoid(ops.cast(self.gate(ops.concatenate([decoder_hidden, context], axis=-1)), "float32"))
        copied = _scatter_to_vocabulary(attention, encoder_token_ids, logits.shape[-1])
        mixture = generate * ops.softmax(ops.cast(logits, "float32"), axis=-1) + (1.0 - generate) * copied
        return ops.log(ops.maximum(mixture, _LOG_FLOOR))

    def compute_output_spec(self, decoder_hidden, logits, *args, **kwargs):
        return keras.KerasTensor(logits.shape, dtype="float32")

    def get_config(self):
        return super().get_config() | {"attention_dim": self.attention_dim}


def _scatter_to_vocabulary(attention, token_ids, vocabulary_size):
    """`(batch, T, V)`: each source position's attention added at its token id (repeats add up)."""
    batch, target_length, source_length = ops.shape(attention)
    ids = ops.broadcast_to(ops.cast(token_ids, "int32")[:, None, :], (batch, target_length, source_length))
    copied = sum_by_token_id(
        ops.reshape(attention, (-1, source_length)), ops.reshape(ids, (-1, source_length)), vocabulary_size
    )
    return ops.reshape(copied, (batch, target_length, vocabulary_size))


def sum_by_token_id(values, token_ids, vocabulary_size):
    """`(rows, vocabulary_size)` float32: each row's `values` (rows, n) added at its `token_ids` (rows, n).

    Example: `sum_by_token_id([[0.5, 0.2, 0.3]], [[4, 9, 4]], 10)[0, 4]` is 0.8.
    """
    rows, width = ops.shape(token_ids)
    row_ids = ops.broadcast_to(ops.arange(rows, dtype="int32")[:, None], (rows, width))
    pairs = ops.reshape(ops.stack([row_ids, ops.cast(token_ids, "int32")], axis=-1), (-1, 2))
    # `scatter_update(..., reduction="add")` rather than `ops.scatter`, which PyTorch runs one index at a time.
    return ops.scatter_update(
        ops.zeros((rows, vocabulary_size), "float32"),
        pairs,
        ops.reshape(ops.cast(values, "float32"), (-1,)),
        reduction="add",
    )
