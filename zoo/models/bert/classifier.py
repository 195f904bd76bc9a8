"""BERT sequence classifier: a dense layer on the pooled first token (or the mean or max of the real tokens)."""

import keras
from keras import ops

from zoo.layers.pooling import POOLINGS as SEQUENCE_POOLINGS
from zoo.layers.pooling import masked_pooling
from zoo.models.bert.backbone import bert_initializer
from zoo.models.bert.task import BertTask
from zoo.validation import require_choice, require_positive_int, require_rate

POOLINGS = ("first", *SEQUENCE_POOLINGS)


@keras.saving.register_keras_serializable(package="zoo")
class BertClassifier(BertTask):
    """Classifies a sentence or a sentence pair from the backbone's pooled `[CLS]` vector (or all its tokens).

    Inputs are the backbone's dict (`"token_ids"`, `"segment_ids"`, `"padding_mask"`); a pair is
    one sequence `[CLS] a [SEP] b [SEP]` with segment ids 0 for `a` and 1 for `b`. Output:
    float32 logits `(batch, num_classes)` = `Dense(dropout(pooled))`.

    Args:
        backbone: a `BertBackbone`.
        num_classes: number of classes.
        dropout: dropout rate on the pooled vector before the output layer.
        pooling: "first": the backbone's `pooled_output` (`tanh(Dense(h_[CLS]))`, BERT's); "mean"
            or "max": of the final token vectors over the real tokens (`padding_mask`), which a
            model trained from scratch on long texts learns from sooner.

    Example:

        backbone = BertBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32, num_heads=2,
                                intermediate_dim=64)
        classifier = BertClassifier(backbone, num_classes=3)
        x = {"token_ids": np.array([[2, 7, 3, 9, 3]]), "segment_ids": np.array([[0, 0, 0, 1, 1]]),
             "padding_mask": np.ones((1, 5), "int32")}
        classifier.predict(x, verbose=0).shape  # (1, 3)
    """

    def __init__(self, backbone, num_classes, dropout=0.1, pooling="first", **kwargs):
        require_positive_int("num_classes", num_classes)
        require_rate("dropout", dropout)
        require_choice("pooling", pooling, POOLINGS)

        # === Layers ===
        # Locals, assigned to `self` after `super().__init__()`: torch modules refuse attributes before it.
        pooled_dropout = keras.layers.Dropout(dropout, dtype=backbone.dtype_policy, name="pooled_dropout")
        output_dense = keras.layers.Dense(
            num_classes, kernel_initializer=bert_initializer(), dtype=backbone.dtype_policy, name="logits"
        )

        # === Functional Model ===
        outputs = backbone(backbone.input)
        if pooling == "first":
            pooled = outputs["pooled_output"]
        else:
            pooled = masked_pooling(outputs["sequence_output"], backbone.input["padding_mask"], pooling)
            pooled = ops.cast(pooled, output_dense.compute_dtype)
            backbone.pooler.trainable = False  # unused: it would get no gradient
        logits = ops.cast(output_dense(pooled_dropout(pooled)), "float32")
        super().__init__(backbone, inputs=backbone.input, outputs=logits, **kwargs)
        self.pooled_dropout = pooled_dropout
        self.output_dense = output_dense

        # === Config ===
        self.num_classes = num_classes
        self.dropout = dropout
        self.pooling = pooling

    def get_config(self):
        return super().get_config() | {
            "num_classes": self.num_classes,
            "dropout": self.dropout,
            "pooling": self.pooling,
        }
