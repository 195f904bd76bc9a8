"""What every GPT task shares: the backbone it holds, its config, and `compile()` defaults."""

import keras

from zoo.models.functional_model import BackboneTask


class GPTTask(BackboneTask):
    """Base of the GPT task models (a functional model around a `GPTBackbone`); not used on its own.

    `compile()` with no arguments (`Task`) uses AdamW at 3e-4, sparse cross-entropy on float32
    logits and an accuracy metric (weighted by the padding/loss mask for token-level tasks).
    """

    default_learning_rate = 3e-4


def backbone_inputs():
    """Fresh `{"token_ids", "padding_mask"}` inputs for a task's functional graph."""
    return {
        "token_ids": keras.Input(shape=(None,), dtype="int32", name="token_ids"),
        "padding_mask": keras.Input(shape=(None,), dtype="int32", name="padding_mask"),
    }
