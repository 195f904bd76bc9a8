"""GPT sequence classifier: a linear head on the hidden state of the last non-padding token."""

import keras
from keras import ops

from zoo.models.functional_model import token_inputs
from zoo.models.gpt.task import GPTTask
from zoo.validation import require_positive_int, require_rate


@keras.saving.register_keras_serializable(package="zoo")
class LastTokenPooling(keras.layers.Layer):
    """`(batch, length, dim)` hidden states -> `(batch, dim)` at each row's last non-padding token.

    Rows are right-padded: the token read is at `sum(padding_mask) - 1` (position 0 for an
    all-padding row). Under causal attention it is the only position that has seen the whole text.

    Example:

        LastTokenPooling()(keras.random.normal((2, 5, 8)), np.array([[1, 1, 0, 0, 0], [1] * 5])).shape  # (2, 8)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def call(self, hidden_states, padding_mask):
        lengths = ops.sum(ops.cast(padding_mask, "int32"), axis=1)
        last = ops.maximum(lengths - 1, 0)
        index = ops.broadcast_to(last[:, None, None], (ops.shape(hidden_states)[0], 1, ops.shape(hidden_states)[2]))
        return ops.squeeze(ops.take_along_axis(hidden_states, index, axis=1), axis=1)

    def compute_output_shape(self, hidden_states_shape, padding_mask_shape):
        return (hidden_states_shape[0], hidden_states_shape[2])


@keras.saving.register_keras_serializable(package="zoo")
class GPTClassifier(GPTTask):
    """Sequence classification with a `GPTBackbone`, read at the last non-padding token (GPT-1 style).

    Inputs are right-padded `{"token_ids", "padding_mask"}`; outputs are float32 logits
    `(batch, num_classes)`. Train with integer labels (`compile()` defaults to sparse
    cross-entropy from logits and accuracy).

    Args:
        backbone: a `GPTBackbone`.
        num_classes: number of classes.
        dropout: dropout rate before the classification head.

    Example:

        backbone = GPTBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32, num_heads=4,
                               intermediate_dim=64, max_sequence_length=16)
        classifier = GPTClassifier(backbone, num_classes=3)
        classifier({"token_ids": np.array([[5, 6, 0]]), "padding_mask": np.array([[1, 1, 0]])}).shape  # (1, 3)
    """

    accuracy_argument = "metrics"

    def __init__(self, backbone, num_classes, dropout=0.0, **kwargs):
        require_positive_int("num_classes", num_classes)
        require_rate("dropout", dropout)

        # === Layers ===
        pooling = LastTokenPooling(dtype=backbone.dtype_policy, name="last_token_pooling")
        head_dropout = keras.layers.Dropout(dropout, dtype=backbone.dtype_policy, name="head_dropout")
        head = keras.layers.Dense(
            num_classes,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
            dtype=backbone.dtype_policy,
            name="logits",
        )

        # === Functional Model ===
        inputs = token_inputs()
        pooled = pooling(backbone(inputs), inputs["padding_mask"])
        logits = ops.cast(head(head_dropout(pooled)), "float32")
        super().__init__(backbone, inputs=inputs, outputs=logits, **kwargs)

        # === Config ===
        self.pooling = pooling
        self.head_dropout = head_dropout
        self.head = head
        self.num_classes = num_classes
        self.dropout = dropout

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes, "dropout": self.dropout})
        return config
