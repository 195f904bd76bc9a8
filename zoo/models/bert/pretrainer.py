"""BERT pre-training: masked LM and next-sentence prediction together."""

import keras
from keras import ops

from zoo.models.bert.backbone import bert_initializer
from zoo.models.bert.masked_lm import tied_masked_lm_head
from zoo.models.bert.task import BertTask
from zoo.models.functional_model import sparse_cross_entropy


@keras.saving.register_keras_serializable(package="zoo")
class BertPretrainer(BertTask):
    """BERT's two pre-training objectives: masked LM and next-sentence prediction (NSP).

    Inputs are `BertMaskedLM`'s (`"token_ids"`, `"segment_ids"`, `"padding_mask"`,
    `"mask_positions"`), the sequence being a pair `[CLS] a [SEP] b [SEP]`. Outputs are a dict
    of float32 logits: `"mlm"` `(batch, P, vocabulary_size)` from the tied masked-LM head and
    `"nsp"` `(batch, 2)` from a dense layer on the pooled output (1: `b` follows `a`, 0: `b` is
    random). Train with `y={"mlm": (batch, P) ids, "nsp": (batch,) labels}` and
    `sample_weight={"mlm": (batch, P) weights, "nsp": (batch,) ones}`; the loss is their sum.

    Args:
        backbone: a `BertBackbone`.

    Example:

        backbone = BertBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32, num_heads=2,
                                intermediate_dim=64)
        pretrainer = BertPretrainer(backbone)
        x = {"token_ids": np.array([[2, 4, 3, 5, 3]]), "segment_ids": np.array([[0, 0, 0, 1, 1]]),
             "padding_mask": np.ones((1, 5), "int32"), "mask_positions": np.array([[1, 3]])}
        {name: logits.shape for name, logits in pretrainer.predict(x, verbose=0).items()}
        # -> {'mlm': (1, 2, 100), 'nsp': (1, 2)}
    """

    def __init__(self, backbone, **kwargs):
        # === Layers ===
        # Locals, assigned to `self` after `super().__init__()`: torch modules refuse attributes before it.
        masked_lm_head = tied_masked_lm_head(backbone)
        next_sentence_head = keras.layers.Dense(
            2, kernel_initializer=bert_initializer(), dtype=backbone.dtype_policy, name="next_sentence_head"
        )

        # === Functional Model ===
        mask_positions = keras.Input(shape=(None,), dtype="int32", name="mask_positions")
        outputs = backbone(backbone.input)
        super().__init__(
            backbone,
            inputs={**backbone.input, "mask_positions": mask_positions},
            outputs={
                "mlm": masked_lm_head(outputs["sequence_output"], mask_positions),
                "nsp": ops.cast(next_sentence_head(outputs["pooled_output"]), "float32"),
            },
            **kwargs,
        )
        self.masked_lm_head = masked_lm_head
        self.next_sentence_head = next_sentence_head

    def _default_loss(self):
        return {"mlm": sparse_cross_entropy(), "nsp": sparse_cross_entropy()}

    def _default_metrics(self):
        return {
            "mlm": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
            "nsp": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        }
