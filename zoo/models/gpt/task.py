"""What every GPT task shares: the backbone it holds, its config, and `compile()` defaults."""

import keras


class GPTTask(keras.Model):
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

    def compile_from_config(self, config):
        # What keras.Model does, minus its warning about an overridden compile(): .keras files restore it.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def get_config(self):
        # Not super().get_config(): a functional model's config is its layer graph, not our arguments.
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config["backbone"], dict):
            config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


def backbone_inputs():
    """Fresh `{"token_ids", "padding_mask"}` inputs for a task's functional graph."""
    return {
        "token_ids": keras.Input(shape=(None,), dtype="int32", name="token_ids"),
        "padding_mask": keras.Input(shape=(None,), dtype="int32", name="padding_mask"),
    }
