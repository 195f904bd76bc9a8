"""What every GPT task shares: the backbone it holds, its config, and `compile()` defaults."""

import keras

from zoo.models.functional_model import BackboneTask


class GPTTask(BackboneTask):
    """Base of the GPT task models (a functional model around a `GPTBackbone`); not used on its own.

    `compile()` with no arguments uses AdamW, sparse cross-entropy on float32 logits and an
    accuracy metric (weighted by the padding/loss mask for token-level tasks), like keras-hub tasks.
    """

    # Token-level tasks weight their accuracy by the sample weights (padding, loss mask).
    accuracy_argument = "weighted_metrics"

    def compile(self, optimizer="auto", loss="auto", **kwargs):
        if optimizer == "auto":
            optimizer = keras.optimizers.AdamW(learning_rate=3e-4, weight_decay=0.01)
        if loss == "auto":
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        kwargs.setdefault(self.accuracy_argument, [keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
        super().compile(optimizer=optimizer, loss=loss, **kwargs)


def backbone_inputs():
    """Fresh `{"token_ids", "padding_mask"}` inputs for a task's functional graph."""
    return {
        "token_ids": keras.Input(shape=(None,), dtype="int32", name="token_ids"),
        "padding_mask": keras.Input(shape=(None,), dtype="int32", name="padding_mask"),
    }
