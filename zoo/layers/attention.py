"""Multi-head attention with grouped/multi-query heads, rotary positions and a KV cache.

One layer serves Transformer encoders (self-attention with padding masks), decoders (causal
self-attention, cross-attention) and incremental decoding (a preallocated KV cache written one
chunk at a time).
"""

import contextlib
import math

import keras
from keras import ops

from zoo._compat import get_keras_mask, set_keras_mask
from zoo.layers.initializers import clone_initializer
from zoo.layers.position_encodings import RotaryEmbedding
from zoo.layers.projections import BiasFusedEinsumDense
from zoo.validation import require_positive_int, require_positive_number, require_rate

# Finite, so a fully masked row (a padded query) softmaxes to uniform weights, not NaN, on both paths.
_MASKED_SCORE = -1e9


@contextlib.contextmanager
def _keras_masks_hidden(*tensors):
    """Hides the Keras masks of `tensors` (EinsumDense would warn it drops them), then restores them."""
    masks = [get_keras_mask(t) for t in tensors]
    for tensor in tensors:
        set_keras_mask(tensor, None)
    try:
        yield
    finally:
        for tensor, mask in zip(tensors, masks):
            if mask is not None:
                set_keras_mask(tensor, mask)


def _logical_and(mask, other):
    return other if mask is None else ops.logical_and(mask, other)


def _padding_and_attention_mask(query_mask, value_mask, attention_mask):
    """Boolean mask broadcastable to (batch, T, S): padded queries mask rows, padded values columns."""
    mask = None
    if query_mask is not None:
        mask = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
    if value_mask is not None:
        mask = _logical_and(mask, ops.expand_dims(ops.cast(value_mask, "bool"), -2))
    if attention_mask is not None:
        mask = _logical_and(mask, ops.cast(attention_mask, "bool"))
    return mask


def _write_cache(cache, index, update):
    """`cache` with `update` written at position `index` of its length axis (2).

    While `torch.export` captures a decoding step or loop the write is in place: the exported
    program owns its cache, and a functional update would copy every block's whole cache each
    step (gpt-small at batch 1: ~90 us a block). Everywhere else it is `slice_update`.
    """
    update = ops.cast(update, cache.dtype)
    if keras.backend.backend() == "torch":
        import torch

        if torch.compiler.is_exporting():
            positions = torch.as_tensor(index, device=cache.device).reshape(1).long()
            return cache.index_copy_(2, positions + torch.arange(update.shape[2], device=cache.device), update)
    return ops.slice_update(cache, (0, 0, index, 0, 0), update)


def _causal_mask(query_length, key_length, start_index):
    """(T, S) boolean: query token i (absolute position start_index + i) sees key positions <= its own."""
    query_positions = ops.expand_dims(ops.arange(query_length, dtype="int32") + start_index, -1)
    return ops.expand_dims(ops.arange(key_length, dtype="int32"), 0) <= query_positions


@keras.saving.register_keras_serializable(package="zoo")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention (Vaswani et al.) with GQA/MQA, RoPE, a KV cache and a fused path.

    `call(query, value=None, key=None, attention_mask=None, use_causal_mask=False, cache=None,
    cache_update_index=None, training=None)`:

    - `value=None` is self-attention; `key=None` uses `value` as key.
    - Masks are combined into one boolean `(batch, T, S)` mask (True = may attend): the
      `attention_mask`, the Keras mask of `query` (masks query rows) and of `value` (masks key
      columns), and a causal mask when `use_causal_mask=True`. A fully masked query row (a padded
      query) attends uniformly to every key, so its output is finite on both paths. The output
      carries the query's Keras mask.
    - `cache` of shape `(batch, 2, max_length, num_key_value_heads, head_dim)` (keys at index 0,
      values at 1) with `cache_update_index`: the new tokens' keys and values are written at that
      index, the queries attend over the whole cache causally (query token i, at absolute position
      `cache_update_index + i`, sees cache positions up to its own) and `(output, cache)` is
      returned. Rotary positions are offset by `cache_update_index` too. Padding of cached
      positions must come through `attention_mask` of shape `(batch, T, max_length)`. Under
      `torch.export` the cache is written in place (the exported program mutates its input).
    - `cache` without `cache_update_index`: cross-attention over precomputed encoder keys/values
      (see `compute_cross_attention_cache`); returns `(output, cache)`. Encoder padding must come
      through `attention_mask`.
    - On JAX a decoding step (`cache_update_index` given) of self-attention projects queries, keys
      and values with one einsum over the three kernels side by side, and `use_fused="auto"`
      attends through the plain path there: both faster in XLA's decoding loop, same numbers.

    Scores and softmax run in float32 under mixed precision. The fused path is
    `keras.ops.dot_product_attention` (flash attention where the backend and inputs allow it);
    the plain path computes the same numbers with einsums and applies attention dropout.

    Args:
        num_heads: number of query heads.
        head_dim: size of each head.
        num_key_value_heads: number of key/value heads; must divide `num_heads`. `None` means
            `num_heads` (multi-head), 1 is multi-query, anything between is grouped-query.
        output_dim: size of the output features; `None` means the last dimension of `query`.
        use_bias: whether the projections have biases.
        dropout: dropout rate on the attention probabilities, applied in training only.
        rotary_max_wavelength: `None` for no rotary embedding, else the `max_wavelength` of the
            `RotaryEmbedding` applied to queries and keys (needs an even `head_dim`).
        use_fused: `True` always uses the fused path (needs `dropout=0`), `False` never does,
            `"auto"` uses it whenever dropout is inactive in the call.
        kernel_initializer: initializer of the projection kernels.
        bias_initializer: initializer of the projection biases.

    Example:

        attention = MultiHeadAttention(num_heads=4, head_dim=8, num_key_value_heads=2)
        tokens = keras.random.normal((2, 10, 32))
        attention(tokens, use_causal_mask=True).shape  # (2, 10, 32)
        cache = keras.ops.zeros((2, 2, 10, 2, 8))
        output, cache = attention(tokens[:, :3], cache=cache, cache_update_index=0)
        output.shape  # (2, 3, 32)
    """

    def __init__(
        self,
        num_heads,
        head_dim,
        num_key_value_heads=None,
        output_dim=None,
        use_bias=True,
        dropout=0.0,
        rotary_max_wavelength=None,
        use_fused="auto",
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = require_positive_int("num_heads", num_heads)
        self.head_dim = require_positive_int("head_dim", head_dim)
        if num_key_value_heads is None:
            num_key_value_heads = self.num_heads
        self.num_key_value_heads = require_positive_int("num_key_value_heads", num_key_value_heads)
        if self.num_heads % self.num_key_value_heads:
            raise ValueError(
                f"`num_key_value_heads` must divide `num_heads`={self.num_heads}. "
                f"Received: num_key_value_heads={num_key_value_heads!r}"
            )
        self.output_dim = None if output_dim is None else require_positive_int("output_dim", output_dim)
        if not isinstance(use_bias, bool):
            raise ValueError(f"`use_bias` must be True or False. Received: use_bias={use_bias!r}")
        self.use_bias = use_bias
        self.dropout = require_rate("dropout", dropout)
        self.rotary_max_wavelength = (
            None
            if rotary_max_wavelength is None
            else require_positive_number("rotary_max_wavelength", rotary_max_wavelength)
        )
        if self.rotary_max_wavelength is not None and self.head_dim % 2:
            raise ValueError(f"Rotary embeddings need an even `head_dim`. Received: head_dim={head_dim!r}")
        if not (isinstance(use_fused, bool) or use_fused == "auto"):
            raise ValueError(f"`use_fused` must be True, False or 'auto'. Received: use_fused={use_fused!r}")
        if use_fused is True and self.dropout > 0:
            raise ValueError(
                "The fused path cannot apply attention dropout; use use_fused='auto' or dropout=0. "
                f"Received: use_fused=True, dropout={dropout!r}"
            )
        self.use_fused = use_fused
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.supports_masking = True

    def _einsum_dense(self, name, equation, output_shape, bias_axes):
        return BiasFusedEinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self.use_bias else None,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            bias_initializer=clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        heads = (None, self.num_heads, self.head_dim)
        key_value_heads = (None, self.num_key_value_heads, self.head_dim)
        self.query = self._einsum_dense("query", "btd,dnh->btnh", heads, "nh")
        self.query.build(query_shape)
        self.key = self._einsum_dense("key", "bsd,dnh->bsnh", key_value_heads, "nh")
        self.key.build(key_shape)
        self.value = self._einsum_dense("value", "bsd,dnh->bsnh", key_value_heads, "nh")
        self.value.build(value_shape)
        output_dim = query_shape[-1] if self.output_dim is None else self.output_dim
        self.attention_output = self._einsum_dense("attention_output", "btnh,nhd->btd", (None, output_dim), "d")
        self.attention_output.build(tuple(query_shape[:-1]) + (self.num_heads, self.head_dim))
        self.rotary_embedding = (
            None
            if self.rotary_max_wavelength is None
            else RotaryEmbedding(max_wavelength=self.rotary_max_wavelength, dtype=self.dtype_policy)
        )
        self.attention_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)

    def _rotated(self, heads, start_index):
        """`heads` (queries or keys) with rotary positions from `start_index`, when the layer has them."""
        if self.rotary_embedding is None:
            return heads
        return self.rotary_embedding(heads, start_index=start_index)

    def _keys_and_values(self, key, value, start_index):
        return self._rotated(self.key(key), start_index), self.value(value)

    def _projections_joinable(self):
        """Whether the query, key and value kernels are plain weights that can be laid side by side."""
        layers = (self.query, self.key, self.value)
        return not any(layer.lora_enabled or getattr(layer, "quantization_mode", None) for layer in layers)

    def _joint_projections(self, inputs, start_index):
        """Self-attention's queries, keys and values through one einsum over the three kernels side by side.

        A decoding step's few rows make each projection a small matmul whose cost is mostly its call.
        Inside a jitted decoding loop XLA lays the kernels side by side once, before the loop.
        """
        layers = (self.query, self.key, self.value)
        kernel = ops.concatenate([ops.cast(layer.kernel, self.compute_dtype) for layer in layers], axis=1)
        projected = ops.einsum("btd,dnh->btnh", inputs, kernel)
        if self.use_bias:
            projected = projected + ops.concatenate([ops.cast(layer.bias, self.compute_dtype) for layer in layers])
        heads, key_value_heads = self.num_heads, self.num_key_value_heads
        queries = self._rotated(projected[:, :, :heads], start_index)
        keys = self._rotated(projected[:, :, heads : heads + key_value_heads], start_index)
        return queries, keys, projected[:, :, heads + key_value_heads :]

    def compute_cross_attention_cache(self, value, key=None):
        """Encoder keys/values stacked as `(batch, 2, S, num_key_value_heads, head_dim)` for `call(cache=...)`."""
        if not self.built:
            raise ValueError(
                f"Call layer '{self.name}' on (query, value) once before building a cross-attention cache, "
                "so its projections exist."
            )
        key = value if key is None else key
        with _keras_masks_hidden(key, value):
            keys, values = self._keys_and_values(key, value, start_index=0)
        return ops.stack([keys, values], axis=1)

    def call(
        self,
        query,
        value=None,
        key=None,
        attention_mask=None,
        use_causal_mask=False,
        cache=None,
        cache_update_index=None,
        training=None,
    ):
        value = query if value is None else value
        key = value if key is None else key
        query_mask = get_keras_mask(query)
        value_mask = get_keras_mask(value) if cache is None else None
        start_index = 0 if cache_update_index is None else cache_update_index

        # A cache write is a decoding step. On JAX it projects with one einsum and attends through the
        # plain einsums (see `_joint_projections`, `fused` below): together 1.2x gpt-small's beam search
        # tokens/s at batch 1 (2-core AMD EPYC). TensorFlow's XLA loop gained nothing (0.97-0.99x).
        decoding = cache_update_index is not None and keras.backend.backend() == "jax"
        with _keras_masks_hidden(query, value, key):
            if decoding and value is query and key is query and self._projections_joinable():
                queries, keys, values = self._joint_projections(query, start_index)
            else:
                queries = self._rotated(self.query(query), start_index)
                if cache is None or cache_update_index is not None:  # else the cache holds them all
                    keys, values = self._keys_and_values(key, value, start_index)
            if cache is not None:
                if cache_update_index is not None:
                    cache = _write_cache(cache, cache_update_index, ops.stack([keys, values], axis=1))
                keys = ops.cast(cache[:, 0], self.compute_dtype)
                values = ops.cast(cache[:, 1], self.compute_dtype)

            mask = _padding_and_attention_mask(query_mask, value_mask, attention_mask)
            causal = use_causal_mask or cache_update_index is not None
            # The backend's own causal flag (flash attention's fast path) fits only an unshifted causal-only mask.
            causal_only = causal and mask is None and cache_update_index is None
            if causal:
                causal_mask = _causal_mask(ops.shape(queries)[1], ops.shape(keys)[1], start_index)
                mask = _logical_and(mask, ops.expand_dims(causal_mask, 0))

            dropout_active = bool(training) and self.dropout > 0
            # JAX's decoding step ran 4-13% faster through the plain einsums than through
            # `dot_product_attention`, whose XLA program transposed each block's cache every step.
            fused = self.use_fused if self.use_fused != "auto" else not (dropout_active or decoding)
            if fused:
                attended = self._fused_attention(queries, keys, values, None if causal_only else mask, causal_only)
            else:
                attended = self._plain_attention(queries, keys, values, mask, training)
            output = self.attention_output(attended)
        if cache is None:
            return output
        return output, cache

    def _fused_attention(self, queries, keys, values, mask, is_causal):
        if self.num_key_value_heads == 1 and self.num_heads > 1 and keras.backend.backend() == "tensorflow":
            # Keras' TensorFlow dot_product_attention repeats kv heads only when there are 2+ of them.
            keys = ops.repeat(keys, self.num_heads, axis=2)
            values = ops.repeat(values, self.num_heads, axis=2)
        return ops.dot_product_attention(
            queries,
            keys,
            values,
            mask=None if mask is None else ops.expand_dims(mask, 1),
            scale=1.0 / math.sqrt(self.head_dim),
            is_causal=is_causal,
        )

    def _plain_attention(self, queries, keys, values, mask, training):
        batch, query_length = ops.shape(queries)[0], ops.shape(queries)[1]
        groups = self.num_heads // self.num_key_value_heads
        # Query head k * groups + g reads kv head k: a free reshape instead of repeating keys and values.
        queries = ops.reshape(queries, (batch, query_length, self.num_key_value_heads, groups, self.head_dim))
        queries = queries * ops.cast(1.0 / math.sqrt(self.head_dim), queries.dtype)
        scores = ops.cast(ops.einsum("btkgh,bskh->bkgts", queries, keys), "float32")
        if mask is not None:
            scores = ops.where(mask[:, None, None], scores, _MASKED_SCORE)
        probabilities = ops.cast(ops.softmax(scores, axis=-1), self.compute_dtype)
        probabilities = self.attention_dropout(probabilities, training=training)
        attended = ops.einsum("bkgts,bskh->btkgh", probabilities, values)
        return ops.reshape(attended, (batch, query_length, self.num_heads, self.head_dim))

    def compute_mask(self, query, mask=None):
        return mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None, cache_shape=None):
        output_dim = query_shape[-1] if self.output_dim is None else self.output_dim
        output_shape = tuple(query_shape[:-1]) + (output_dim,)
        if cache_shape is None:
            return output_shape
        return output_shape, tuple(cache_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "head_dim": self.head_dim,
                "num_key_value_heads": self.num_key_value_heads,
                "output_dim": self.output_dim,
                "use_bias": self.use_bias,
                "dropout": self.dropout,
                "rotary_max_wavelength": self.rotary_max_wavelength,
                "use_fused": self.use_fused,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
