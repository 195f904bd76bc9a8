"""BERT's masked-LM head: transform the hidden states of masked positions, project through the embedding."""

import keras
from keras import ops

from zoo.layers import LayerNorm, TokenEmbedding
from zoo.layers.initializers import clone_initializer
from zoo.validation import require_choice, require_positive_number

_HEAD_ACTIVATIONS = {
    "relu": ops.relu,
    "gelu": lambda x: ops.gelu(x, approximate=False),
    "gelu_tanh": lambda x: ops.gelu(x, approximate=True),
}


# Ours, not keras_hub.layers.MaskedLMHead: it ties to our TokenEmbedding and returns float32 logits.
@keras.saving.register_keras_serializable(package="zoo")
class MaskedLMHead(keras.layers.Layer):
    """Predicts the tokens at `mask_positions`: `LayerNorm(act(Dense(h))) @ embeddings^T + bias`.

    `call(sequence_output, mask_positions)` first gathers the `(batch, P)` positions from the
    `(batch, length, hidden_dim)` hidden states, so the transform and the vocabulary projection
    cost P positions, not the whole sequence. The projection is `token_embedding(x, reverse=True)`:
    with a tied embedding (BERT) the output kernel is the embedding table itself. Logits
    `(batch, P, vocabulary_size)` are float32 under any dtype policy, for a stable loss.

    Args:
        token_embedding: the `TokenEmbedding` whose table (or reverse kernel) projects to logits.
        activation: activation of the transform: "gelu" (BERT), "gelu_tanh" or "relu".
        norm_epsilon: epsilon of the transform's LayerNorm.
        kernel_initializer: initializer of the transform's kernel.

    Example:

        embedding = TokenEmbedding(vocabulary_size=100, hidden_dim=16)
        head = MaskedLMHead(embedding)
        head(keras.random.normal((2, 10, 16)), np.array([[1, 4], [0, 9]])).shape  # (2, 2, 100)
    """

    def __init__(self, token_embedding, activation="gelu", norm_epsilon=1e-12, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(token_embedding, TokenEmbedding):
            raise ValueError(
                f"`token_embedding` must be a TokenEmbedding. Received: token_embedding={token_embedding!r}"
            )
        self.token_embedding = token_embedding
        self.activation = require_choice("activation", activation, tuple(_HEAD_ACTIVATIONS))
        self.norm_epsilon = require_positive_number("norm_epsilon", norm_epsilon)
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or keras.initializers.TruncatedNormal(stddev=0.02)
        )
        self.autocast = False  # the output bias is read and added in float32.

    @property
    def vocabulary_size(self):
        return self.token_embedding.vocabulary_size

    def build(self, sequence_output_shape, mask_positions_shape=None):
        hidden_dim = self.token_embedding.hidden_dim
        if not self.token_embedding.built:
            self.token_embedding.build()
        self.dense = keras.layers.Dense(
            hidden_dim,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            dtype=self.dtype_policy,
            name="dense",
        )
        self.dense.build((None, None, sequence_output_shape[-1]))
        self.norm = LayerNorm(epsilon=self.norm_epsilon, dtype=self.dtype_policy, name="norm")
        self.norm.build((None, None, hidden_dim))
        self.output_bias = self.add_weight(name="output_bias", shape=(self.vocabulary_size,), initializer="zeros")

    def call(self, sequence_output, mask_positions):
        positions = ops.expand_dims(ops.cast(mask_positions, "int32"), -1)
        x = ops.take_along_axis(sequence_output, positions, axis=1)
        x = self.norm(_HEAD_ACTIVATIONS[self.activation](self.dense(x)))
        logits = ops.cast(self.token_embedding(x, reverse=True), "float32")
        return logits + ops.cast(self.output_bias, "float32")

    def compute_output_shape(self, sequence_output_shape, mask_positions_shape):
        return tuple(mask_positions_shape) + (self.vocabulary_size,)

    def compute_output_spec(self, sequence_output, mask_positions):
        return keras.KerasTensor(self.compute_output_shape(sequence_output.shape, mask_positions.shape), "float32")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "token_embedding": keras.layers.serialize(self.token_embedding),
                "activation": self.activation,
                "norm_epsilon": self.norm_epsilon,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["token_embedding"] = keras.layers.deserialize(config["token_embedding"])
        return cls(**config)
