"""Token embedding that also projects hidden states back to vocabulary logits (weight tying)."""

import keras
import numpy as np
from keras import ops

from zoo.layers.initializers import clone_initializer
from zoo.validation import require_positive_int

# Far below the logits of a trained model (GPT-2's are within about -200..0), and finite in
# float16/bfloat16, so a softmax, a log-softmax and label smoothing stay finite.
SUPPRESSED_LOGIT = -1e4
# Up to this many rows (decoding: batch x beams, one token each) PyTorch computes tied logits as
# `(table @ rows^T)^T` (see `TokenEmbedding._project`). At 32 rows a beam search's log-softmax and
# top-k over the transposed logits took back what the product gained (in-process A/B, gpt-small).
FEW_ROWS = 16


def _checked_ids(ids, vocabulary_size):
    ids = tuple(int(i) for i in ids)
    bad = [i for i in ids if not 0 <= i < vocabulary_size]
    if bad:
        raise ValueError(f"`suppressed_ids` must be ids below vocabulary_size={vocabulary_size}. Received: {bad}")
    return tuple(sorted(set(ids)))


def _is_integer(x):
    return "int" in keras.backend.standardize_dtype(x.dtype)


def _require_integer_ids(inputs):
    # Float ids would be autocast to the compute dtype: bfloat16 cannot hold every id above 256.
    if not _is_integer(inputs):
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        raise ValueError(f"TokenEmbedding needs integer token ids. Received: dtype={dtype}")


# Ours, not keras.layers.ReversibleEmbedding: registered under "zoo", our argument names and checks, our dtype rules.
@keras.saving.register_keras_serializable(package="zoo")
class TokenEmbedding(keras.layers.Layer):
    """Token ids -> vectors, and with `reverse=True` hidden states -> logits over the vocabulary.

    `reverse=True` computes `hidden @ embeddings^T` when `tie_weights` (Press & Wolf, 2016; GPT-2,
    BERT) or `hidden @ reverse_embeddings` with a separate `(hidden_dim, vocabulary_size)` kernel.
    The table is kept in float32 and both directions return the compute dtype: the caller decides
    whether to cast logits to float32 for the loss. With `mask_zero`, id 0 is padding and the
    lookup carries a Keras mask; the reverse direction passes its input's mask through.

    Args:
        vocabulary_size: number of token ids (largest id + 1).
        hidden_dim: width of each embedding vector.
        tie_weights: whether the reverse projection reuses the embedding table.
        embeddings_initializer: initializer of the table(s); defaults to
            `RandomNormal(stddev=0.02)` as in GPT-2 and BERT.
        mask_zero: whether id 0 is padding, masked out of downstream layers.
        suppressed_ids: ids the reverse direction never predicts: their logits are
            `SUPPRESSED_LOGIT` (-1e4), below anything a trained model gives, so greedy, beam and
            sampling never pick them. An imported checkpoint uses it for the zoo's special ids its
            own vocabulary has no trained row for (GPT-2 has no pad, unk or mask token).

    Example:

        embedding = TokenEmbedding(vocabulary_size=100, hidden_dim=16)
        hidden = embedding(np.array([[5, 7, 0]]))
        embedding(hidden, reverse=True).shape  # (1, 3, 100)
    """

    def __init__(
        self,
        vocabulary_size,
        hidden_dim,
        tie_weights=True,
        embeddings_initializer=None,
        mask_zero=False,
        suppressed_ids=(),
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = require_positive_int("vocabulary_size", vocabulary_size)
        self.hidden_dim = require_positive_int("hidden_dim", hidden_dim)
        self.tie_weights = bool(tie_weights)
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer or keras.initializers.RandomNormal(stddev=0.02)
        )
        self.mask_zero = bool(mask_zero)
        self.suppressed_ids = _checked_ids(suppressed_ids, self.vocabulary_size)
        self.supports_masking = True
        self.autocast = False  # the table is read in float32 and cast explicitly in `call`.

    def build(self, inputs_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.vocabulary_size, self.hidden_dim),
            initializer=clone_initializer(self.embeddings_initializer),
        )
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings",
                shape=(self.hidden_dim, self.vocabulary_size),
                initializer=clone_initializer(self.embeddings_initializer),
            )

    def call(self, inputs, reverse=False):
        if not reverse:
            _require_integer_ids(inputs)
            vectors = ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)
            return ops.cast(vectors, self.compute_dtype)
        hidden = ops.cast(inputs, self.compute_dtype)
        # One 2-D matmul over all positions: with (batch, T, d) operands XLA on CPUs copied the
        # transposed (batch x T, vocabulary) gradient for the table's gradient (20% slower, measured).
        logits = self._project(ops.reshape(hidden, (-1, self.hidden_dim)))
        if self.suppressed_ids:
            logits = ops.where(self._suppressed_mask(), ops.cast(SUPPRESSED_LOGIT, logits.dtype), logits)
        return ops.reshape(logits, (*ops.shape(hidden)[:-1], self.vocabulary_size))

    def _project(self, rows):
        """`(n, hidden_dim)` hidden states -> `(n, vocabulary_size)` logits."""
        if not self.tie_weights:
            return ops.matmul(rows, ops.cast(self.reverse_embeddings, self.compute_dtype))
        table = ops.cast(self.embeddings, self.compute_dtype)
        if keras.backend.backend() == "torch" and isinstance(rows.shape[0], int) and rows.shape[0] <= FEW_ROWS:
            # Decoding's few rows: PyTorch's CPU matmul (MKL) of a few rows by the transposed table is
            # slow; the table times the rows' transpose is the same product, transposed back (a view).
            # (8, 256) rows, 8,192-token table, 2-core AMD EPYC: 1.0 ms against 2.9 ms (4 rows: 3.5x);
            # gpt-small greedy decoding at batch 8, 1.2-1.34x the tokens/s.
            return ops.transpose(ops.matmul(table, ops.transpose(rows)))
        return ops.matmul(rows, ops.transpose(table))

    def _suppressed_mask(self):
        """`(vocabulary_size,)` bool, True at `suppressed_ids` (a constant: nothing to train or save)."""
        return ops.convert_to_tensor(np.isin(np.arange(self.vocabulary_size), self.suppressed_ids))

    def compute_mask(self, inputs, mask=None):
        # Ids are integers, hidden states (the reverse direction) are floats.
        if self.mask_zero and _is_integer(inputs):
            return ops.not_equal(inputs, 0)
        return mask

    def compute_output_shape(self, inputs_shape, reverse=False):
        if reverse:
            return tuple(inputs_shape[:-1]) + (self.vocabulary_size,)
        return tuple(inputs_shape) + (self.hidden_dim,)

    def compute_output_spec(self, inputs, reverse=False):
        if not reverse:
            _require_integer_ids(inputs)
        return keras.KerasTensor(self.compute_output_shape(inputs.shape, reverse), dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "hidden_dim": self.hidden_dim,
                "tie_weights": self.tie_weights,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
                "mask_zero": self.mask_zero,
                "suppressed_ids": list(self.suppressed_ids),
            }
        )
        return config
