"""Transformer encoder block: self-attention and feed-forward, each in a residual branch."""

import keras
from keras import ops
from keras.src.backend import get_keras_mask  # not exported by keras 3.15; keras-hub imports it so

from zoo.layers.attention import MultiHeadAttention
from zoo.layers.feed_forward import FeedForward
from zoo.layers.masks import padding_to_attention_mask
from zoo.layers.norms import build_norm
from zoo.layers.validation import require_choice, require_positive_int, require_rate

NORMS = ("layer_norm", "rms_norm")


@keras.saving.register_keras_serializable(package="zoo")
class TransformerEncoderBlock(keras.layers.Layer):
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

    >>> block = TransformerEncoderBlock(num_heads=4, intermediate_dim=64)
    >>> block(keras.random.normal((2, 10, 32))).shape
    (2, 10, 32)
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
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

    def build(self, inputs_shape):
        hidden_dim = inputs_shape[-1]
        head_dim = self.head_dim or hidden_dim // self.num_heads
        if head_dim * self.num_heads != hidden_dim and self.head_dim is None:
            raise ValueError(
                f"hidden_dim={hidden_dim} is not divisible by num_heads={self.num_heads}; "
                "pass head_dim explicitly."
            )
        self.self_attention = MultiHeadAttention(
            num_heads=self.num_heads,
            head_dim=head_dim,
            num_key_value_heads=self.num_key_value_heads,
            output_dim=hidden_dim,
            use_bias=self.use_bias,
            dropout=self.attention_dropout,
            rotary_max_wavelength=self.rotary_max_wavelength,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="self_attention",
        )
        self.self_attention.build(inputs_shape)
        self.attention_norm = build_norm(self.norm, self.norm_epsilon, name="attention_norm", dtype=self.dtype_policy)
        self.attention_norm.build(inputs_shape)
        self.feed_forward = FeedForward(
            hidden_dim=self.intermediate_dim,
            activation=self.activation,
            dropout=self.dropout,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="feed_forward",
        )
        self.feed_forward.build(inputs_shape)
        self.feed_forward_norm = build_norm(
            self.norm, self.norm_epsilon, name="feed_forward_norm", dtype=self.dtype_policy
        )
        self.feed_forward_norm.build(inputs_shape)
        self.residual_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name="residual_dropout")

    def _residual(self, x, sublayer, norm, training):
        if self.norm_first:
            return x + self.residual_dropout(sublayer(norm(x)), training=training)
        return norm(x + self.residual_dropout(sublayer(x), training=training))

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
        return self._residual(x, lambda h: self.feed_forward(h, training=training), self.feed_forward_norm, training)

    def compute_mask(self, inputs, mask=None, **kwargs):
        return mask

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
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
