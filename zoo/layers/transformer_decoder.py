"""Transformer decoder block: causal self-attention, optional cross-attention, feed-forward."""

import keras
from keras import ops

from zoo._compat import get_keras_mask
from zoo.layers.masks import padding_to_attention_mask
from zoo.layers.transformer_block import TransformerBlock


@keras.saving.register_keras_serializable(package="zoo")
class TransformerDecoderBlock(TransformerBlock):
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

        block = TransformerDecoderBlock(num_heads=4, intermediate_dim=64)
        block(keras.random.normal((2, 10, 32))).shape  # (2, 10, 32)
    """

    def __init__(self, num_heads, intermediate_dim, use_cross_attention=False, **kwargs):
        super().__init__(num_heads, intermediate_dim, **kwargs)
        self.use_cross_attention = bool(use_cross_attention)

    def build(self, decoder_sequence_shape, encoder_sequence_shape=None):
        hidden_dim = decoder_sequence_shape[-1]
        self.self_attention = self._build_attention("self_attention", hidden_dim, self.rotary_max_wavelength)
        self.self_attention.build(decoder_sequence_shape)
        self.self_attention_norm = self._build_norm("self_attention_norm", decoder_sequence_shape)
        if self.use_cross_attention:
            self.cross_attention = self._build_attention("cross_attention", hidden_dim, None)
            self.cross_attention.build(decoder_sequence_shape, encoder_sequence_shape or decoder_sequence_shape)
            self.cross_attention_norm = self._build_norm("cross_attention_norm", decoder_sequence_shape)
        self._build_feed_forward(decoder_sequence_shape)

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
        updated = {"cache": None}

        def self_attend(h):
            if self_attention_cache is None:
                return self.self_attention(h, attention_mask=self_mask, use_causal_mask=True, training=training)
            output, updated["cache"] = self.self_attention(
                h,
                attention_mask=self_mask,
                use_causal_mask=True,
                cache=self_attention_cache,
                cache_update_index=cache_update_index,
                training=training,
            )
            return output

        x = self._residual(decoder_sequence, self_attend, self.self_attention_norm, training)
        if self.use_cross_attention:
            x = self._cross_attention_residual(
                x, encoder_sequence, encoder_padding_mask, cross_attention_cache, query_length, training
            )
        x = self._feed_forward_residual(x, training)
        return x if self_attention_cache is None else (x, updated["cache"])

    def _cross_attention_residual(self, x, encoder_sequence, encoder_padding_mask, cache, query_length, training):
        if encoder_sequence is None and cache is None:
            raise ValueError(
                "This block has use_cross_attention=True: pass `encoder_sequence` or `cross_attention_cache`."
            )
        if encoder_padding_mask is None and encoder_sequence is not None:
            encoder_padding_mask = get_keras_mask(encoder_sequence)
        mask = padding_to_attention_mask(encoder_padding_mask, query_length=query_length)

        def cross_attend(h):
            if cache is not None:
                return self.cross_attention(h, attention_mask=mask, cache=cache, training=training)[0]
            return self.cross_attention(h, encoder_sequence, attention_mask=mask, training=training)

        return self._residual(x, cross_attend, self.cross_attention_norm, training)

    def compute_output_shape(self, decoder_sequence_shape, encoder_sequence_shape=None):
        return decoder_sequence_shape

    def get_config(self):
        config = super().get_config()
        config.update({"use_cross_attention": self.use_cross_attention})
        return config
