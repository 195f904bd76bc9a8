"""Bases of every family's models: a functional `keras.Model` rebuilt from its constructor arguments,
and the task model (`Task`) whose `compile()` with no arguments trains as the recipes do.

Example:

    class MyClassifier(Task):          # a FunctionalModel with a loss
        default_learning_rate = 1e-3
        accuracy_argument = "metrics"
    MyClassifier(...).compile()        # AdamW, decay off for biases/norms/embeddings, cross-entropy, accuracy
"""

import keras
import numpy as np

# Variables whose name ends in one of these are not decayed: biases, the gamma/beta/scale of
# norms (and attention scales), and embedding tables ("embeddings", "position_embeddings",
# "reverse_embeddings": an untied output table is treated like the tied one it replaces).
# The trainer (`zoo.training.optimizers.exclude_from_decay`) and `Task.compile()` both use it.
NO_DECAY_SUFFIXES = ("bias", "gamma", "beta", "scale", "embeddings")


def default_optimizer(learning_rate, beta_2=0.999, weight_decay=0.01):
    """AdamW that decays every weight but those named in `NO_DECAY_SUFFIXES`, as the trainer's does."""
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, beta_2=beta_2, weight_decay=weight_decay)
    # Matched against the variable's name, which TensorFlow's optimizer sees as "gamma:0".
    optimizer.exclude_from_weight_decay(var_names=[rf"{suffix}(:\d+)?$" for suffix in NO_DECAY_SUFFIXES])
    return optimizer


def sparse_cross_entropy():
    """Cross-entropy on float32 logits, averaged over the sample weights (padded slots weigh 0)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")


def token_inputs():
    """Fresh `{"token_ids", "padding_mask"}` int32 inputs `(batch, T)`, what every token-stream backbone reads."""
    return {
        "token_ids": keras.Input(shape=(None,), dtype="int32", name="token_ids"),
        "padding_mask": keras.Input(shape=(None,), dtype="int32", name="padding_mask"),
    }


class FunctionalModel(keras.Model):
    """A functional model whose config is its constructor arguments (the keras-hub `Backbone` pattern).

    Subclasses build their graph in `__init__`, call `super().__init__(inputs=..., outputs=...,
    dtype=dtype)`, then store their arguments and extend `get_config()`. `from_config` calls the
    constructor, so `.keras` files load back into the subclass (not a plain `Functional`).
    Layers are assigned to attributes only after `super().__init__()`: the torch backend refuses
    submodules on a `torch.nn.Module` that is not initialised yet.
    """

    def __init__(self, *args, dtype=None, **kwargs):
        super().__init__(*args, **kwargs)
        if dtype is not None:
            # keras.Model accepts `dtype` but ignores it for functional models.
            self.dtype_policy = keras.dtype_policies.get(dtype)

    def get_config(self):
        # Not chained to keras.Model: a functional model's config is its graph, not our arguments.
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
        }

    def compile_from_config(self, config):
        # keras.Model skips (with a warning) a `compile()` that is overridden; ours takes the same arguments.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.dtype_policies.get(config["dtype"])
        return cls(**config)


class Task(FunctionalModel):
    """Base of every task model (a model with a loss); not used on its own.

    `compile()` with no arguments uses `default_optimizer(default_learning_rate, default_beta_2)`,
    `_default_loss()` (cross-entropy on the logits) and `_default_metrics()` (accuracy) under
    `accuracy_argument` ("metrics", "weighted_metrics" for token-level tasks whose padding weighs
    0, or None); any argument given replaces its default. The recipes compile with their own
    schedule (`zoo.training.trainer.compile_for_training`), with the same weight-decay exclusions.
    """

    default_learning_rate = 1e-3
    default_beta_2 = 0.999
    accuracy_argument = "weighted_metrics"
    # Raw strings -> this model's inputs (`ClassifierPreprocessor`, `PromptPreprocessor`); `load_run`
    # attaches the run's, so `model.predict(["raw text"])` / `model.generate(["raw text"])` work on a loaded run.
    preprocessor = None

    def compile(self, optimizer="auto", loss="auto", **kwargs):
        if optimizer == "auto":
            optimizer = default_optimizer(self.default_learning_rate, self.default_beta_2)
        if loss == "auto":
            loss = self._default_loss()
        if self.accuracy_argument and kwargs.get(self.accuracy_argument, "auto") == "auto":
            kwargs[self.accuracy_argument] = self._default_metrics()
        super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def predict(self, x, batch_size=None, **kwargs):
        """`keras.Model.predict`; with a `preprocessor`, `x` may also be a list or array of raw strings."""
        if self.preprocessor is not None and _is_text(x):
            x = _preprocessed(self.preprocessor, x, batch_size or 32)
            batch_size = None  # the dataset is batched
        return super().predict(x, batch_size=batch_size, **kwargs)

    def generate(self, texts, batch_size=8, **decoding):
        """Generated strings for raw `texts`, decoded as the run's `zoo predict` (`zoo.generation.text.generate_text`).

        Needs a generation run's `preprocessor` (`load_run` attaches it); `decoding` (e.g.
        `strategy="beam"`) replaces the run's settings.

        Example: `load_run("runs/translation")[0].generate(["Two young men outside."])`.
        """
        from zoo.generation.text import generate_text

        return generate_text(self, self.preprocessor, texts, batch_size=batch_size, **decoding)

    def _default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def _default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]


def _is_text(x):
    """Whether `x` is a non-empty list, tuple or 1-D array of strings (not a model's array or dict inputs)."""
    if isinstance(x, np.ndarray):
        return x.ndim == 1 and x.dtype.kind in "USO" and len(x) > 0 and isinstance(x[0], (str, bytes))
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(text, (str, bytes)) for text in x)


def _preprocessed(preprocessor, texts, batch_size):
    """A dataset of `preprocessor`'s inputs for `texts`, `batch_size` at a time."""
    import tensorflow as tf

    from zoo.data.pipelines.batching import without_autograph

    batches = tf.data.Dataset.from_tensor_slices(tf.constant(list(texts), tf.string)).batch(batch_size)
    return batches.map(without_autograph(preprocessor))


class BackboneTask(Task):
    """A functional model that calls a `backbone` model and adds a head (the keras-hub `Task` pattern).

    Subclasses call `super().__init__(backbone, inputs=..., outputs=...)`; the config holds the
    serialized backbone, which `from_config` rebuilds before calling the constructor.
    """

    def __init__(self, backbone, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.backbone = backbone

    def get_config(self):
        return super().get_config() | {"backbone": keras.layers.serialize(self.backbone)}

    @classmethod
    def from_config(cls, config):
        return super().from_config({**config, "backbone": keras.layers.deserialize(config["backbone"])})
