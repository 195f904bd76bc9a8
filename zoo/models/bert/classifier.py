"""BERT sequence classifier: a dense layer on the pooled first token."""

import keras
from keras import ops

from zoo.models.bert.backbone import bert_initializer
from zoo.models.bert.task import BertTask
from zoo.validation import require_positive_int, require_rate


@keras.saving.register_keras_serializable(package="zoo")
class BertClassifier(BertTask):
    """Classifies a sentence or a sentence pair from the backbone's pooled `[CLS]` vector.

    Inputs are the backbone's dict (`"token_ids"`, `"segment_ids"`, `"padding_mask"`); a pair is
    one sequence `[CLS] a [SEP] b [SEP]` with segment ids 0 for `a` and 1 for `b`. Output:
    float32 logits `(batch, num_classes)` = `Dense(dropout(pooled_output))`.

    Args:
        backbone: a `BertBackbone`.
        num_classes: number of classes.
        dropout: dropout rate on the pooled vector before the output layer.

    Example:

    >>> backbone = BertBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32, num_heads=2,
    ...                         intermediate_dim=64)
    >>> classifier = BertClassifier(backbone, num_classes=3)
    >>> x = {"token_ids": np.array([[2, 7, 3, 9, 3]]), "segment_ids": np.array([[0, 0, 0, 1, 1]]),
    ...      "padding_mask": np.ones((1, 5), "int32")}
    >>> classifier.predict(x, verbose=0).shape
    (1, 3)
    """

    def __init__(self, backbone, num_classes, dropout=0.1, **kwargs):
        require_positive_int("num_classes", num_classes)
        require_rate("dropout", dropout)

        # === Layers ===
        # Locals, assigned to `self` after `super().__init__()`: torch modules refuse attributes before it.
        pooled_dropout = keras.layers.Dropout(dropout, dtype=backbone.dtype_policy, name="pooled_dropout")
        output_dense = keras.layers.Dense(
            num_classes, kernel_initializer=bert_initializer(), dtype=backbone.dtype_policy, name="logits"
        )

        # === Functional Model ===
        pooled = backbone(backbone.input)["pooled_output"]
        logits = ops.cast(output_dense(pooled_dropout(pooled)), "float32")
        super().__init__(backbone, inputs=backbone.input, outputs=logits, **kwargs)
        self.pooled_dropout = pooled_dropout
        self.output_dense = output_dense

        # === Config ===
        self.num_classes = num_classes
        self.dropout = dropout

    def get_config(self):
        return super().get_config() | {"num_classes": self.num_classes, "dropout": self.dropout}
