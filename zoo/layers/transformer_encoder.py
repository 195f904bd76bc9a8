"""Transformer encoder block: self-attention and feed-forward, each in a residual branch."""

import keras
from keras import ops

from zoo._compat import get_keras_mask
from zoo.layers.masks import padding_to_attention_mask
from zoo.layers.transformer_block import TransformerBlock


@keras.saving.register_keras_serializable(package="zoo")
class TransformerEncoderBlock(TransformerBlock):
    """One encoder block (BERT / the original Transformer), pre-LN or post-LN.

    Pre-LN: `x + attn(norm(x))`, then `x + ffn(norm(x))` (GPT-2, most modern models).
    Post-LN: `norm(x + attn(x))`, then `norm(x + ffn(x))` (BERT, Vaswani et al.).
    Padding comes from the Keras mask of `inputs` or from `padding_mask`; the mask is propagated.

    Args:
        num_heads: number of attention heads.
        intermediate_dim: hidden width of the feed-forward network.
        head_dim: width of each head; defaults to `hidden_dim // num_heads`.
        num_key_value_heads: key/value heads for grouped-query attention; defaults to `num_heads`.
        activation: "relu", "gelu", "gelu_tanh" or "swiglu".
        dropout: dropout rate of both residual branches and inside the feed-forward network.
        attention_dropout: dropout rate of the attention probabilities.
        norm: "layer_norm" or "rms_norm".
        norm_epsilon: epsilon of the norms.
        norm_first: True for pre-LN, False for post-LN.
        use_bias: whether the projections have biases.
        rotary_max_wavelength: apply rotary position embeddings to queries and keys if set.
        kernel_initializer: initializer of every projection kernel.

    Example:

        block = TransformerEncoderBlock(num_heads=4, intermediate_dim=64)
        block(keras.random.normal((2, 10, 32))).shape  # (2, 10, 32)
    """

    def build(self, inputs_shape):
        self.self_attention = self._build_attention("self_attention", inputs_shape[-1], self.rotary_max_wavelength)
        self.self_attention.build(inputs_shape)
        self.attention_norm = self._build_norm("attention_norm", inputs_shape)
        self._build_feed_forward(inputs_shape)

    def call(self, inputs, padding_mask=None, attention_mask=None, training=None):
        if padding_mask is None:
            padding_mask = get_keras_mask(inputs)
        mask = padding_to_attention_mask(padding_mask, attention_mask, query_length=ops.shape(inputs)[1])
        x = self._residual(
            inputs,
            lambda h: self.self_attention(h, attention_mask=mask, training=training),
            self.attention_norm,
            training,
        )
        return self._feed_forward_residual(x, training)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape
