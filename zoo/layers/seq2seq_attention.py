"""Attention for LSTM encoder-decoders: additive (Bahdanau et al. 2015) and multiplicative (Luong et al. 2015).

Both layers take a decoder `query` and the encoder outputs `values` and return context vectors.
`query` is `(batch, query_dim)` for one decoding step or `(batch, T_q, query_dim)` for every
decoder step at once (teacher forcing); a step gives the matching row of the full call.
For step-by-step decoding, `keys = layer.precompute_keys(values)` projects the encoder outputs
once per source sentence and `layer(query, values, keys=keys)` reuses them, so a step costs
O(T_s * units) instead of a fresh projection of every source position.
"""

import keras
from keras import ops

from zoo.layers.initializers import clone_initializer
from zoo.validation import require_choice, require_positive_int

LUONG_SCORES = ("dot", "general")


def _masked_softmax(scores, mask):
    """float32 softmax over source positions; padding positions (mask False) get exactly zero."""
    if mask is None:
        return ops.softmax(scores, axis=-1)
    mask = ops.expand_dims(ops.cast(mask, "bool"), axis=-2)  # (batch, 1, T_s)
    weights = ops.softmax(ops.where(mask, scores, -1e9), axis=-1)
    # A source that is all padding would otherwise get uniform weights instead of none.
    return ops.where(mask, weights, 0.0)


class _EncoderDecoderAttention(keras.layers.Layer):
    """Masking, float32 softmax, weighted sum, 2-D/3-D queries and shapes, shared by both layers.

    Subclasses define `precompute_keys(values)` and `_scores(query, keys)`, which returns float32
    scores `(batch, T_q, T_s)` for a 3-D query.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _require_built(self):
        if not self.built:
            raise ValueError(
                f"{self.__class__.__name__} '{self.name}' has no weights yet: call it once "
                "(or build it) before `precompute_keys`."
            )

    def call(self, query, values, keys=None, values_mask=None, return_attention_scores=False):
        is_single_step = len(query.shape) == 2
        if is_single_step:
            query = ops.expand_dims(query, axis=1)
        if keys is None:
            keys = self.precompute_keys(values)
        weights = _masked_softmax(self._scores(query, keys), values_mask)
        weights = ops.cast(weights, self.compute_dtype)
        context = ops.matmul(weights, values)
        if is_single_step:
            context, weights = ops.squeeze(context, axis=1), ops.squeeze(weights, axis=1)
        return (context, weights) if return_attention_scores else context

    def compute_output_shape(self, query_shape, values_shape):
        return (*query_shape[:-1], values_shape[-1])

    def compute_output_spec(self, query, values, keys=None, values_mask=None, return_attention_scores=False):
        context = keras.KerasTensor(self.compute_output_shape(query.shape, values.shape), dtype=self.compute_dtype)
        if not return_attention_scores:
            return context
        weights = keras.KerasTensor((*query.shape[:-1], values.shape[1]), dtype=self.compute_dtype)
        return context, weights


@keras.saving.register_keras_serializable(package="zoo")
class BahdanauAttention(_EncoderDecoderAttention):
    """Additive attention: `score(s_t, h_j) = v^T tanh(W_q s_t + W_k h_j + b)`.

    Call arguments: `query` `(batch, [T_q,] query_dim)` (decoder states), `values`
    `(batch, T_s, value_dim)` (encoder outputs), optional `keys` from `precompute_keys(values)`,
    `values_mask` `(batch, T_s)` (True = real token; defaults to the Keras mask of `values`) and
    `return_attention_scores`. Returns the context `(batch, [T_q,] value_dim)` and, if asked, the
    attention weights `(batch, [T_q,] T_s)`, which are zero on padding. The softmax runs in float32.

    Args:
        units: size of the hidden layer of the scoring network (`W_q`, `W_k`, `v`).
        use_bias: whether to add the bias `b` (held by the keys projection).
        kernel_initializer: initializer of `W_q`, `W_k` and `v`.
        bias_initializer: initializer of `b`.

    Example:

        attention = BahdanauAttention(units=32)
        encoder_outputs = keras.random.normal((2, 7, 16))
        attention(keras.random.normal((2, 5, 24)), encoder_outputs).shape  # teacher forcing (2, 5, 16)
        keys = attention.precompute_keys(encoder_outputs)  # once per source sentence
        attention(keras.random.normal((2, 24)), encoder_outputs, keys=keys).shape  # one step (2, 16)
    """

    def __init__(self, units, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = require_positive_int("units", units)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def _dense(self, units, use_bias, name):
        return keras.layers.Dense(
            units,
            use_bias=use_bias,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            bias_initializer=clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, query_shape, values_shape):
        self.query_dense = self._dense(self.units, use_bias=False, name="query_dense")
        self.query_dense.build(query_shape)
        self.key_dense = self._dense(self.units, use_bias=self.use_bias, name="key_dense")
        self.key_dense.build(values_shape)
        self.score_dense = self._dense(1, use_bias=False, name="score_dense")
        self.score_dense.build((None, self.units))

    def precompute_keys(self, values):
        """`W_k h_j + b` for every source position: `(batch, T_s, units)`."""
        self._require_built()
        return self.key_dense(values)

    def _scores(self, query, keys):
        query = ops.expand_dims(self.query_dense(query), axis=2)  # (batch, T_q, 1, units)
        keys = ops.expand_dims(keys, axis=1)  # (batch, 1, T_s, units)
        scores = ops.squeeze(self.score_dense(ops.tanh(query + keys)), axis=-1)
        return ops.cast(scores, "float32")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="zoo")
class LuongAttention(_EncoderDecoderAttention):
    """Multiplicative attention: `score(s_t, h_j) = s_t . h_j` ("dot") or `s_t^T W h_j` ("general").

    Call arguments and outputs are those of `BahdanauAttention`. "dot" needs
    `query_dim == value_dim`; "general" projects the values to `query_dim` (`W h_j`, what
    `precompute_keys` returns). The softmax runs in float32.

    Args:
        score: "dot" or "general".
        use_scale: whether to multiply the scores by a learned scalar (initialised to 1).
        kernel_initializer: initializer of `W` ("general" only).

    Example:

        attention = LuongAttention(score="general", use_scale=True)
        encoder_outputs = keras.random.normal((2, 7, 16))
        context, weights = attention(
            keras.random.normal((2, 5, 24)), encoder_outputs, return_attention_scores=True)
        context.shape, weights.shape  # ((2, 5, 16), (2, 5, 7))
    """

    def __init__(self, score="general", use_scale=False, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.score = require_choice("score", score, LUONG_SCORES)
        self.use_scale = use_scale
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, query_shape, values_shape):
        query_dim, value_dim = query_shape[-1], values_shape[-1]
        if self.score == "dot" and query_dim != value_dim:
            raise ValueError(
                'LuongAttention(score="dot") needs queries and values of the same size; use '
                f'score="general" for different sizes. Received: query_dim={query_dim}, value_dim={value_dim}'
            )
        if self.score == "general":
            self.key_dense = keras.layers.Dense(
                query_dim,
                use_bias=False,
                kernel_initializer=clone_initializer(self.kernel_initializer),
                dtype=self.dtype_policy,
                name="key_dense",
            )
            self.key_dense.build(values_shape)
        if self.use_scale:
            # Kept float32 under mixed precision: the scores are scaled after the cast to float32.
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones", autocast=False)

    def precompute_keys(self, values):
        """The values themselves ("dot") or `W h_j` ("general"): `(batch, T_s, query_dim)`."""
        if self.score == "dot":
            return values
        self._require_built()
        return self.key_dense(values)

    def _scores(self, query, keys):
        scores = ops.cast(ops.matmul(query, ops.swapaxes(keys, -1, -2)), "float32")
        return scores * self.scale if self.use_scale else scores

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "score": self.score,
                "use_scale": self.use_scale,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
