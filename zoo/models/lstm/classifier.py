"""LSTM text classifier: an `LSTMBackbone`, pooling over the real tokens and a dense head."""

import keras
from keras import ops

from zoo.layers.pooling import POOLINGS as SEQUENCE_POOLINGS
from zoo.layers.pooling import masked_pooling
from zoo.models.functional_model import token_inputs
from zoo.models.lstm.backbone import LSTMTask
from zoo.validation import require_choice, require_positive_int, require_rate

POOLINGS = (*SEQUENCE_POOLINGS, "last")


def pool_lstm_outputs(backbone_outputs, padding_mask, pooling):
    """`(batch, D)` float32 summary of the real steps: `masked_pooling`, or "last": the final states."""
    if pooling == "last":
        # The final states: forward after the last real token, backward after the first one.
        return ops.cast(backbone_outputs["final_hidden"], "float32")
    return masked_pooling(backbone_outputs["sequence_output"], padding_mask, pooling)


@keras.saving.register_keras_serializable(package="zoo")
class LSTMClassifier(LSTMTask):
    """Sequence classifier: an `LSTMBackbone`, pooling over the real tokens, dropout and a dense head.

    Inputs are `{"token_ids": (batch, T) int32, "padding_mask": (batch, T)}`; the output is
    float32 logits `(batch, num_classes)`. Padding (mask 0) changes nothing: it is masked out of
    every LSTM layer (see `LSTMBackbone`) and out of the pooling. `compile()` with no arguments
    uses AdamW (1e-3), sparse categorical cross-entropy on the logits and accuracy.
    `from_backbone_arguments` builds the backbone and the classifier in one call.

    Args:
        backbone: an `LSTMBackbone` (e.g. a causal LM's, to start from its word vectors and layers).
        num_classes: number of labels.
        pooling: "max" or "mean" over the real steps of the top layer, or "last": its final
            states (forward after the last real token, concatenated with backward after the first).
        dropout: dropout rate on the pooled vector.

    Example:

        backbone = LSTMBackbone(vocabulary_size=100, embedding_dim=16, hidden_dim=32)
        classifier = LSTMClassifier(backbone, num_classes=3)
        classifier({"token_ids": np.array([[5, 7, 9, 0]]), "padding_mask": np.array([[1, 1, 1, 0]])}).shape  # (1, 3)
    """

    accuracy_argument = "metrics"

    def __init__(self, backbone, num_classes, pooling="max", dropout=0.0, **kwargs):
        require_positive_int("num_classes", num_classes)
        require_choice("pooling", pooling, POOLINGS)
        require_rate("dropout", dropout)
        kwargs.setdefault("dtype", backbone.dtype_policy)

        # === Layers ===
        head_dropout = keras.layers.Dropout(dropout, dtype=backbone.dtype_policy, name="head_dropout")
        head = keras.layers.Dense(num_classes, dtype=backbone.dtype_policy, name="head")

        # === Functional Model ===
        inputs = token_inputs()
        pooled = pool_lstm_outputs(backbone(inputs), inputs["padding_mask"], pooling)
        logits = ops.cast(head(head_dropout(ops.cast(pooled, head.compute_dtype))), "float32")
        super().__init__(backbone, inputs=inputs, outputs=logits, **kwargs)

        # === Config ===
        self.num_classes = num_classes
        self.pooling = pooling
        self.dropout = dropout
        self.head = head

    @classmethod
    def from_backbone_arguments(cls, vocabulary_size, num_classes, embedding_dim, hidden_dim, **arguments):
        """A classifier on a new `LSTMBackbone`; `dropout` acts on every LSTM layer's input and on the pooled vector.

        Example: `LSTMClassifier.from_backbone_arguments(**classifier_config("small", 8000, num_classes=2))`.
        """
        dims = (vocabulary_size, embedding_dim, hidden_dim)
        return super().from_backbone_arguments(*dims, num_classes=num_classes, **arguments)

    def get_config(self):
        config = {"num_classes": self.num_classes, "pooling": self.pooling, "dropout": self.dropout}
        return super().get_config() | config
