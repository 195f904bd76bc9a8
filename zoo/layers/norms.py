"""Layer normalization (Ba et al.) and RMS normalization (Zhang & Sennrich; T5, LLaMA).

Both compute their statistics and apply their scale in float32, then return the compute dtype,
so a mixed bfloat16/float16 policy never takes a mean of squares in half precision.
"""

import keras
from keras import ops

from zoo.validation import require_choice, require_positive_number

NORM_KINDS = ("layer_norm", "rms_norm")


# Ours, not keras.layers.LayerNormalization: float32 statistics, same numbers on all backends, RMSNorm's API.
@keras.saving.register_keras_serializable(package="zoo")
class LayerNorm(keras.layers.Layer):
    """`(x - mean(x)) / sqrt(var(x) + epsilon) * gamma + beta` over the last axis.

    The Keras mask is passed through.

    Args:
        epsilon: added to the variance before the square root.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned scale `gamma`.

    Example:

        LayerNorm()(keras.random.normal((2, 10, 16))).shape  # (2, 10, 16)
    """

    def __init__(self, epsilon=1e-5, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = require_positive_number("epsilon", epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.supports_masking = True
        self.autocast = False  # gamma and beta are read in float32, see the module docstring.

    def build(self, inputs_shape):
        dim = inputs_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(dim,), initializer="ones") if self.scale else None
        self.beta = self.add_weight(name="beta", shape=(dim,), initializer="zeros") if self.center else None

    def call(self, inputs):
        # Keras' op runs torch's fused layer_norm kernel on torch, where the composed form ran a dozen small ones.
        x = ops.layer_normalization(ops.cast(inputs, "float32"), self.gamma, self.beta, epsilon=self.epsilon)
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon, "center": self.center, "scale": self.scale})
        return config


@keras.saving.register_keras_serializable(package="zoo")
class RMSNorm(keras.layers.Layer):
    """`x / sqrt(mean(x ** 2) + epsilon) * gamma` over the last axis (T5, LLaMA): no centering.

    The Keras mask is passed through.

    Args:
        epsilon: added to the mean of squares before the square root.
        scale: whether to multiply by the learned scale `gamma`.

    Example:

        RMSNorm()(keras.random.normal((2, 10, 16))).shape  # (2, 10, 16)
    """

    def __init__(self, epsilon=1e-6, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = require_positive_number("epsilon", epsilon)
        self.scale = bool(scale)
        self.supports_masking = True
        self.autocast = False  # gamma is read in float32, see the module docstring.

    def build(self, inputs_shape):
        dim = inputs_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(dim,), initializer="ones") if self.scale else None

    def call(self, inputs):
        x = ops.rms_normalization(ops.cast(inputs, "float32"), self.gamma, epsilon=self.epsilon)
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon, "scale": self.scale})
        return config


def build_norm(kind, epsilon=None, name=None, dtype=None):
    """A `LayerNorm` ("layer_norm") or `RMSNorm` ("rms_norm"); `epsilon=None` keeps its default.

    Example: `self.attention_norm = build_norm("rms_norm", 1e-6, name="attention_norm",
    dtype=self.dtype_policy)`.
    """
    norm_cls = {"layer_norm": LayerNorm, "rms_norm": RMSNorm}[require_choice("kind", kind, NORM_KINDS)]
    kwargs = {"name": name, "dtype": dtype}
    if epsilon is not None:
        kwargs["epsilon"] = epsilon
    return norm_cls(**kwargs)
