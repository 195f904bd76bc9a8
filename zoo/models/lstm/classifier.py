"""LSTM text classifier: an `LSTMBackbone`, pooling over the real tokens and a dense head."""

import keras
from keras import ops

from zoo.layers.pooling import POOLINGS as SEQUENCE_POOLINGS
from zoo.layers.pooling import masked_pooling
from zoo.models.lstm.backbone import LSTMBackbone
from zoo.models.text_classifier import TextClassifier
from zoo.validation import require_choice, require_positive_int, require_rate

POOLINGS = (*SEQUENCE_POOLINGS, "last")


def pool_lstm_outputs(backbone_outputs, padding_mask, pooling):
    """`(batch, D)` float32 summary of the real steps: `masked_pooling`, or "last": the final states."""
    if pooling == "last":
        # The final states: forward after the last real token, backward after the first one.
        return ops.cast(backbone_outputs["final_hidden"], "float32")
    return masked_pooling(backbone_outputs["sequence_output"], padding_mask, pooling)


@keras.saving.register_keras_serializable(package="zoo")
class LSTMClassifier(TextClassifier):
    """Sequence classifier: embedding, stacked (bi)LSTM, pooling over the real tokens, dense head.

    Inputs are `{"token_ids": (batch, T) int32, "padding_mask": (batch, T)}`; the output is
    float32 logits `(batch, num_classes)`. Padding (mask 0) changes nothing: it is masked out of
    every LSTM layer (see `LSTMBackbone`) and out of the pooling. The model holds its
    `LSTMBackbone` as `backbone`. `compile()` with no arguments uses AdamW (1e-3), sparse
    categorical cross-entropy on the logits and accuracy.

    Args:
        vocabulary_size: number of token ids (largest id + 1).
        num_classes: number of labels.
        embedding_dim: width of the token embeddings.
        hidden_dim: units of each LSTM (per direction).
        num_layers: number of stacked LSTM layers.
        bidirectional: whether each layer reads the sequence in both directions.
        pooling: "max" or "mean" over the real steps of the top layer, or "last": its final
            states (forward after the last real token, concatenated with backward after the first).
        dropout: dropout rate on the input of every LSTM layer and on the pooled vector.
        dtype: dtype policy of the layers (e.g. "mixed_bfloat16"); the logits stay float32.

    Example:

        classifier = LSTMClassifier(vocabulary_size=100, num_classes=3, embedding_dim=16, hidden_dim=32)
        classifier({"token_ids": np.array([[5, 7, 9, 0]]), "padding_mask": np.array([[1, 1, 1, 0]])}).shape  # (1, 3)
    """

    def __init__(
        self,
        vocabulary_size,
        num_classes,
        embedding_dim,
        hidden_dim,
        num_layers=1,
        bidirectional=True,
        pooling="max",
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        require_positive_int("num_classes", num_classes)
        require_choice("pooling", pooling, POOLINGS)
        require_rate("dropout", dropout)

        # === Layers ===
        backbone = LSTMBackbone(
            vocabulary_size,
            embedding_dim,
            hidden_dim,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            dtype=dtype,
            name="backbone",
        )
        head_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="head_dropout")
        head = keras.layers.Dense(num_classes, dtype=dtype, name="head")

        # === Functional Model ===
        inputs = backbone.input
        pooled = pool_lstm_outputs(backbone(inputs), inputs["padding_mask"], pooling)
        logits = ops.cast(head(head_dropout(ops.cast(pooled, head.compute_dtype))), "float32")
        super().__init__(inputs=inputs, outputs=logits, dtype=dtype, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_classes = num_classes
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = dropout
        self.backbone = backbone
        self.head = head

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "num_classes": self.num_classes,
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "pooling": self.pooling,
            "dropout": self.dropout,
        }
