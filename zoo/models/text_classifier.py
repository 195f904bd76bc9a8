"""Base of the classifiers that own their whole graph (LSTM, fastText): the default `compile()`."""

import keras

from zoo.models.functional_model import FunctionalModel


class TextClassifier(FunctionalModel):
    """A `FunctionalModel` whose output is float32 logits `(batch, num_classes)`.

    `compile()` with no arguments uses AdamW (1e-3), sparse categorical cross-entropy on the logits
    and accuracy; any argument given replaces its default.
    """

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        super().compile(
            optimizer=keras.optimizers.AdamW(1e-3) if optimizer == "auto" else optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True) if loss == "auto" else loss,
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")] if metrics == "auto" else metrics,
            **kwargs,
        )
