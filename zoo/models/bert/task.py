"""What the BERT tasks share: a backbone-holding base class and `compile()` defaults."""

import keras

from zoo.models.functional_model import BackboneTask


def default_optimizer():
    """AdamW with BERT pre-training's learning rate 1e-4 and weight decay 0.01."""
    # BERT also exempts biases and LayerNorm from decay; Keras does not save such exemptions, so
    # a reloaded model would train differently: we decay every weight.
    return keras.optimizers.AdamW(learning_rate=1e-4, weight_decay=0.01)


def sparse_cross_entropy():
    """Cross-entropy on float32 logits, averaged over the sample weights (padded mask slots weigh 0)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")


class BertTask(BackboneTask):
    """Base of the BERT task models; not used on its own.

    A task is a functional model that calls `backbone` and adds a head; its config is the
    serialized backbone plus the task's own arguments (see `BackboneTask`).
    `compile()` with no arguments uses `default_optimizer()`, cross-entropy on the logits and
    weighted accuracy; subclasses name their defaults in `_default_loss` / `_default_metrics`.
    """

    def compile(self, optimizer="auto", loss="auto", weighted_metrics="auto", **kwargs):
        super().compile(
            optimizer=default_optimizer() if optimizer == "auto" else optimizer,
            loss=self._default_loss() if loss == "auto" else loss,
            weighted_metrics=self._default_metrics() if weighted_metrics == "auto" else weighted_metrics,
            **kwargs,
        )

    def _default_loss(self):
        return sparse_cross_entropy()

    def _default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
