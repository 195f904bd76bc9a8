"""Position-wise feed-forward network of a Transformer block (ReLU, GELU or SwiGLU)."""

import keras
from keras import ops

from zoo.layers.initializers import clone_initializer
from zoo.layers.projections import BiasFusedDense
from zoo.validation import require_choice, require_positive_int, require_rate

ACTIVATIONS = ("relu", "gelu", "gelu_tanh", "swiglu")

_ELEMENTWISE_ACTIVATIONS = {
    "relu": ops.relu,
    "gelu": lambda x: ops.gelu(x, approximate=False),
    "gelu_tanh": lambda x: ops.gelu(x, approximate=True),
}


@keras.saving.register_keras_serializable(package="zoo")
class FeedForward(keras.layers.Layer):
    """`down(dropout(act(up(x))))`, or `down(dropout(silu(gate(x)) * up(x)))` for SwiGLU.

    Activations: "relu" (Vaswani et al.), "gelu" (exact erf GELU, BERT), "gelu_tanh" (the tanh
    approximation, GPT-2) and "swiglu" (LLaMA; adds a gate projection of width `hidden_dim`).
    Dropout acts on the hidden activations during training only. The Keras mask is passed through.

    Args:
        hidden_dim: width of the hidden (intermediate) layer.
        output_dim: width of the output; defaults to the last dimension of the inputs.
        activation: "relu", "gelu", "gelu_tanh" or "swiglu".
        dropout: dropout rate applied after the activation.
        use_bias: whether the projections have biases.
        kernel_initializer: initializer of every projection kernel.
        bias_initializer: initializer of every projection bias.

    Example:

        ffn = FeedForward(hidden_dim=64, activation="swiglu")
        ffn(keras.random.normal((2, 10, 16))).shape  # (2, 10, 16)
    """

    def __init__(
        self,
        hidden_dim,
        output_dim=None,
        activation="gelu",
        dropout=0.0,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_dim = require_positive_int("hidden_dim", hidden_dim)
        self.output_dim = None if output_dim is None else require_positive_int("output_dim", output_dim)
        self.activation = require_choice("activation", activation, ACTIVATIONS)
        self.dropout = require_rate("dropout", dropout)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.supports_masking = True

    def _dense(self, units, name):
        return BiasFusedDense(
            units,
            use_bias=self.use_bias,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            bias_initializer=clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, inputs_shape):
        hidden_shape = tuple(inputs_shape[:-1]) + (self.hidden_dim,)
        self.up_projection = self._dense(self.hidden_dim, "up_projection")
        self.up_projection.build(inputs_shape)
        if self.activation == "swiglu":
            self.gate_projection = self._dense(self.hidden_dim, "gate_projection")
            self.gate_projection.build(inputs_shape)
        self.hidden_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name="hidden_dropout")
        self.down_projection = self._dense(self.output_dim or inputs_shape[-1], "down_projection")
        self.down_projection.build(hidden_shape)

    def call(self, inputs, training=None):
        hidden = self.up_projection(inputs)
        if self.activation == "swiglu":
            hidden = ops.silu(self.gate_projection(inputs)) * hidden
        else:
            hidden = _ELEMENTWISE_ACTIVATIONS[self.activation](hidden)
        hidden = self.hidden_dropout(hidden, training=training)
        return self.down_projection(hidden)

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape[:-1]) + (self.output_dim or inputs_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "output_dim": self.output_dim,
                "activation": self.activation,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
