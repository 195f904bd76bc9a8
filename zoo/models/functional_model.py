"""Base of every family's models: a functional `keras.Model` rebuilt from its constructor arguments."""

import keras


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


class BackboneTask(FunctionalModel):
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
