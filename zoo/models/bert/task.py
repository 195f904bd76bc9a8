"""What the BERT tasks share: the backbone they hold, its serialization, and `compile()` defaults."""

import keras


def default_optimizer():
    """AdamW with BERT pre-training's learning rate 1e-4 and weight decay 0.01."""
    # BERT also exempts biases and LayerNorm from decay; Keras does not save such exemptions, so
    # a reloaded model would train differently: we decay every weight.
    return keras.optimizers.AdamW(learning_rate=1e-4, weight_decay=0.01)


def sparse_cross_entropy():
    """Cross-entropy on float32 logits, averaged over the sample weights (padded mask slots weigh 0)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")


class BertTask(keras.Model):
    """Base of the BERT task models; not used on its own.

    A task is a functional model that calls `backbone` and adds a head. `get_config` stores the
    serialized backbone plus the task's own arguments, so `from_config` rebuilds the same class.
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

    def compile_from_config(self, config):
        # Keras skips this on load when `compile()` is overridden; the stored arguments are complete.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def _default_loss(self):
        return sparse_cross_entropy()

    def _default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def get_config(self):
        # Not the functional graph: the constructor arguments, so `from_config` rebuilds this class.
        return {"name": self.name, "trainable": self.trainable, "backbone": keras.layers.serialize(self.backbone)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)
