"""BERT masked language model: the backbone plus the tied masked-LM head."""

import keras

from zoo.models.bert.backbone import bert_initializer
from zoo.models.bert.masked_lm_head import MaskedLMHead
from zoo.models.bert.task import BertTask


def tied_masked_lm_head(backbone):
    """BERT's masked-LM head for `backbone`, projecting through the backbone's token embedding table."""
    return MaskedLMHead(
        backbone.token_embedding,
        activation=backbone.activation,
        norm_epsilon=backbone.norm_epsilon,
        kernel_initializer=bert_initializer(),
        dtype=backbone.dtype_policy,
        name="masked_lm_head",
    )


@keras.saving.register_keras_serializable(package="zoo")
class BertMaskedLM(BertTask):
    """Predicts the original tokens at masked positions (BERT's MLM objective).

    Input contract (keras-hub's): a dict with the backbone's `"token_ids"` (masked tokens
    already replaced, e.g. by `[MASK]`), `"segment_ids"`, `"padding_mask"`, plus
    `"mask_positions"` int32 `(batch, P)`: the positions that were masked, padded to a fixed P
    per batch with any valid position (0). Only those P hidden states go through the head, so
    it costs P, not the sequence length. Output: float32 logits `(batch, P, vocabulary_size)`.
    Train with labels `(batch, P)` (the original ids at `mask_positions`) and sample weights
    `(batch, P)`: 1 for real mask slots, 0 for padded ones. The output projection is the
    backbone's token embedding table (tied), plus a per-token output bias.

    Args:
        backbone: a `BertBackbone`.

    Example:

        backbone = BertBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32, num_heads=2,
                                intermediate_dim=64)
        masked_lm = BertMaskedLM(backbone)
        x = {"token_ids": np.array([[2, 3, 4, 5]]), "segment_ids": np.zeros((1, 4), "int32"),
             "padding_mask": np.ones((1, 4), "int32"), "mask_positions": np.array([[1, 0]])}
        masked_lm.compile()
        history = masked_lm.fit(x, np.array([[17, 0]]), sample_weight=np.array([[1.0, 0.0]]), verbose=0)
        masked_lm.predict(x, verbose=0).shape  # (1, 2, 100)
    """

    def __init__(self, backbone, **kwargs):
        # === Layers ===
        # Locals, assigned to `self` after `super().__init__()`: torch modules refuse attributes before it.
        masked_lm_head = tied_masked_lm_head(backbone)

        # === Functional Model ===
        mask_positions = keras.Input(shape=(None,), dtype="int32", name="mask_positions")
        sequence_output = backbone(backbone.input)["sequence_output"]
        logits = masked_lm_head(sequence_output, mask_positions)
        super().__init__(
            backbone, inputs={**backbone.input, "mask_positions": mask_positions}, outputs=logits, **kwargs
        )
        self.masked_lm_head = masked_lm_head
