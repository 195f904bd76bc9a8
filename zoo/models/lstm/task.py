"""What the LSTM seq2seq and language model share: `compile()` defaults."""

import keras

from zoo.models.functional_model import FunctionalModel


class LSTMGenerativeTask(FunctionalModel):
    """Base of `LSTMSeq2Seq` and `LSTMCausalLM`; not used on its own.

    `compile()` with no arguments uses AdamW at 1e-3, `_default_loss()` (cross-entropy on the
    logits) and accuracy weighted by the sample weights (padding weighs 0).
    """

    def compile(self, optimizer="auto", loss="auto", *, weighted_metrics="auto", **kwargs):
        super().compile(
            optimizer=keras.optimizers.AdamW(1e-3) if optimizer == "auto" else optimizer,
            loss=self._default_loss() if loss == "auto" else loss,
            weighted_metrics=(
                [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
                if weighted_metrics == "auto"
                else weighted_metrics
            ),
            **kwargs,
        )

    def _default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
