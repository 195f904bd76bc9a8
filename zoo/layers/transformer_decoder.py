"""Transformer decoder block: causal self-attention, optional cross-attention, feed-forward."""

import keras
from keras import ops
from keras.src.backend import get_keras_mask  # not exported by keras 3.15; keras-hub imports it so

from zoo.layers.attention import MultiHeadAttention
from zoo.layers.feed_forward import FeedForward
from zoo.layers.masks import padding_to_attention_mask
from zoo.layers.norms import build_norm
from zoo.layers.transformer_encoder import NORMS
from zoo.layers.validation import require_choice, require_positive_int, require_rate


@keras.saving.register_keras_serializable(package="zoo")
class TransformerDecoderBlock(keras.layers.Layer):
    """One decoder block (GPT, or the decoder of an encoder-decoder Transformer), pre-LN or post-LN.

    Self-attention is always causal. With `use_cross_attention=True` a cross-attention branch
    attends to `encoder_sequence` (or to a precomputed `cross_attention_cache`). For incremental
    decoding pass `self_attention_cache` (batch, 2, max_length, kv_heads, head_dim) and
    `cache_update_index`: the block writes the new tokens' keys/values at that index and returns
    `(outputs, updated_cache)`; one token at a time gives the same outputs as the full sequence.

    Args:
        num_heads: number of attention heads.
        intermediate_dim: hidden width of the feed-forward network.
        use_cross_attention: add a cross-attention branch over an encoder's outputs.
        head_dim: width of each head; defaults to `hidden_dim // num_heads`.
        num_key_value_heads: key/value heads for grouped-query attention; defaults to `num_heads`.
        activation: "relu", "gelu", "gelu_tanh" or "swiglu".
        dropout: dropout rate of the residual branches and inside the feed-forward network.
        attention_dropout: dropout rate of the attention probabilities.
        norm: "layer_norm" or "rms_norm".
        norm_epsilon: epsilon of the norms.
        norm_first: True for pre-LN, False for post-LN.
        use_bias: whether the projections have biases.
        rotary_max_wavelength: rotary position embeddings in self-attention if set.
        kernel_initializer: initializer of every projection kernel.

    Example:

    >>> block = TransformerDecoderBlock(num_heads=4, intermediate_dim=64)
    >>> block(keras.random.normal((2, 10, 32))).shape
    (2, 10, 32)
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        use_cross_attention=False,
        head_dim=None,
        num_key_value_heads=None,
        activation="gelu",
        dropout=0.0,
        attention_dropout=0.0,
        norm="layer_norm",
        norm_epsilon=1e-5,
        norm_first=True,
        use_bias=True,
        rotary_max_wavelength=None,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = require_positive_int("num_heads", num_heads)
        self.intermediate_dim = require_positive_int("intermediate_dim", intermediate_dim)
        self.use_cross_attention = bool(use_cross_attention)
        self.head_dim = None if head_dim is None else require_positive_int("head_dim", head_dim)
        self.num_key_value_heads = num_key_value_heads
        self.activation = activation
        self.dropout = require_rate("dropout", dropout)
        self.attention_dropout = require_rate("attention_dropout", attention_dropout)
        self.norm = require_choice("norm", norm, NORMS)
        self.norm_epsilon = norm_epsilon
        self.norm_first = bool(norm_first)
        self.use_bias = bool(use_bias)
        self.rotary_max_wavelength = rotary_max_wavelength
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.supports_masking = True

    def _attention(self, name, head_dim, hidden_dim, rotary_max_wavelength):
        return MultiHeadAttention(
            num_heads=self.num_heads,
            head_dim=head_dim,
            num_key_value_heads=self.num_key_value_heads,
            output_dim=hidden_dim,
            use_bias=self.use_bias,
            dropout=self.attention_dropout,
            rotary_max_wavelength=rotary_max_wavelength,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name=name,
        )

    def _norm(self, name, shape):
        norm = build_norm(self.norm, self.norm_epsilon, name=name, dtype=self.dtype_policy)
        norm.build(shape)
        return norm

    def build(self, decoder_sequence_shape, encoder_sequence_shape=None):
        hidden_dim = decoder_sequence_shape[-1]
        head_dim = self.head_dim or hidden_dim // self.num_heads
        if self.head_dim is None and head_dim * self.num_heads != hidden_dim:
            raise ValueError(
                f"hidden_dim={hidden_dim} is not divisible by num_heads={self.num_heads}; "
                "pass head_dim explicitly."
            )
        self.self_attention = self._attention("self_attention", head_dim, hidden_dim, self.rotary_max_wavelength)
        self.self_attention.build(decoder_sequence_shape)
        self.self_attention_norm = self._norm("self_attention_norm", decoder_sequence_shape)
        if self.use_cross_attention:
            if encoder_sequence_shape is None:
                encoder_sequence_shape = decoder_sequence_shape
            self.cross_attention = self._attention("cross_attention", head_dim, hidden_dim, None)
            self.cross_attention.build(decoder_sequence_shape, encoder_sequence_shape)
            self.cross_attention_norm = self._norm("cross_attention_norm", decoder_sequence_shape)
        self.feed_forward = FeedForward(
            hidden_dim=self.intermediate_dim,
            activation=self.activation,
            dropout=self.dropout,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="feed_forward",
        )
        self.feed_forward.build(decoder_sequence_shape)
        self.feed_forward_norm = self._norm("feed_forward_norm", decoder_sequence_shape)
        self.residual_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name="residual_dropout")

    def _residual(self, x, sublayer, norm, training):
        """Applies `sublayer` in a residual branch; returns (new x, sublayer's extra outputs)."""
        inputs = norm(x) if self.norm_first else x
        outputs, extra = sublayer(inputs)
        x = x + self.residual_dropout(outputs, training=training)
        return (x if self.norm_first else norm(x)), extra

    def compute_cross_attention_cache(self, encoder_sequence):
        """Keys and values of `encoder_sequence`, computed once per source for fast decoding."""
        return self.cross_attention.compute_cross_attention_cache(encoder_sequence)

    def call(
        self,
        decoder_sequence,
        encoder_sequence=None,
        decoder_padding_mask=None,
        encoder_padding_mask=None,
        self_attention_cache=None,
        cache_update_index=None,
        cross_attention_cache=None,
        training=None,
    ):
        if (self_attention_cache is None) != (cache_update_index is None):
            raise ValueError("Pass `self_attention_cache` and `cache_update_index` together, or neither.")
        if decoder_padding_mask is None and self_attention_cache is None:
            decoder_padding_mask = get_keras_mask(decoder_sequence)
        query_length = ops.shape(decoder_sequence)[1]
        self_mask = padding_to_attention_mask(decoder_padding_mask, query_length=query_length)

        def self_attend(h):
            result = self.self_attention(
                h,
                attention_mask=self_mask,
                use_causal_mask=True,
                cache=self_attention_cache,
                cache_update_index=cache_update_index,
                training=training,
            )
            return result if self_attention_cache is not None else (result, None)

        x, updated_cache = self._residual(decoder_sequence, self_attend, self.self_attention_norm, training)

        if self.use_cross_attention:
            if encoder_sequence is None and cross_attention_cache is None:
                raise ValueError(
                    "This block has use_cross_attention=True: pass `encoder_sequence` or `cross_attention_cache`."
                )
            if encoder_padding_mask is None and encoder_sequence is not None:
                encoder_padding_mask = get_keras_mask(encoder_sequence)
            cross_mask = padding_to_attention_mask(encoder_padding_mask, query_length=query_length)

            def cross_attend(h):
                if cross_attention_cache is not None:
                    output, _ = self.cross_attention(
                        h, attention_mask=cross_mask, cache=cross_attention_cache, training=training
                    )
                    return output, None
                return self.cross_attention(h, encoder_sequence, attention_mask=cross_mask, training=training), None

            x, _ = self._residual(x, cross_attend, self.cross_attention_norm, training)

        x, _ = self._residual(
            x, lambda h: (self.feed_forward(h, training=training), None), self.feed_forward_norm, training
        )
        if self_attention_cache is not None:
            return x, updated_cache
        return x

    def compute_mask(self, decoder_sequence, mask=None, **kwargs):
        return mask

    def compute_output_shape(self, decoder_sequence_shape, encoder_sequence_shape=None):
        return decoder_sequence_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "use_cross_attention": self.use_cross_attention,
                "head_dim": self.head_dim,
                "num_key_value_heads": self.num_key_value_heads,
                "activation": self.activation,
                "dropout": self.dropout,
                "attention_dropout": self.attention_dropout,
                "norm": self.norm,
                "norm_epsilon": self.norm_epsilon,
                "norm_first": self.norm_first,
                "use_bias": self.use_bias,
                "rotary_max_wavelength": self.rotary_max_wavelength,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
