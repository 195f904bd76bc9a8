"""Position encodings: learned, sinusoidal (Vaswani et al.) and rotary (RoPE, Su et al.).

All three accept a `start_index` so cached decoding can encode position `i` of a sequence
one token at a time and get the same numbers as encoding the whole sequence at once.
"""

import keras
from keras import ops

from zoo.layers.initializers import clone_initializer
from zoo.validation import require_positive_int, require_positive_number


def _positions(length, start_index):
    """float32 positions `start_index, ..., start_index + length - 1`."""
    return ops.cast(ops.arange(length, dtype="int32"), "float32") + ops.cast(start_index, "float32")


@keras.saving.register_keras_serializable(package="zoo")
class LearnedPositionEmbedding(keras.layers.Layer):
    """A trainable embedding per position, returned with the shape of `inputs`.

    Args:
        sequence_length: the largest number of positions the layer can encode.
        initializer: initializer of the `(sequence_length, hidden_dim)` table.

    Example:

        tokens = keras.random.normal((2, 10, 16))
        positions = LearnedPositionEmbedding(sequence_length=64)(tokens)
        (tokens + positions).shape  # (2, 10, 16)
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = require_positive_int("sequence_length", sequence_length)
        self.initializer = keras.initializers.get(initializer)
        self.supports_masking = True

    def build(self, inputs_shape):
        self.position_embeddings = self.add_weight(
            name="embeddings",
            shape=(self.sequence_length, inputs_shape[-1]),
            initializer=clone_initializer(self.initializer),
            trainable=True,
        )

    def call(self, inputs, start_index=0):
        # A gather, not a slice at `start_index`: torch.export can trace it with a tensor index.
        positions = ops.arange(ops.shape(inputs)[1], dtype="int32") + ops.cast(start_index, "int32")
        rows = ops.take(self.position_embeddings, positions, axis=0)
        return ops.broadcast_to(ops.cast(rows, self.compute_dtype), ops.shape(inputs))

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config

    def compute_output_shape(self, inputs_shape):
        return inputs_shape


@keras.saving.register_keras_serializable(package="zoo")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """Fixed sine/cosine encodings of "Attention Is All You Need", shape of `inputs`.

    Even features hold `sin(pos / max_wavelength ** (2i / d))`, odd features the cosine.

    Args:
        max_wavelength: the longest wavelength of the sinusoids.

    Example:

        tokens = keras.random.normal((2, 10, 16))
        (tokens + SinusoidalPositionEncoding()(tokens)).shape  # (2, 10, 16)
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = require_positive_number("max_wavelength", max_wavelength)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, start_index=0):
        length, hidden_dim = ops.shape(inputs)[1], ops.shape(inputs)[-1]
        feature_pairs = ops.cast(ops.arange(hidden_dim) // 2 * 2, "float32")
        inverse_frequencies = ops.power(
            ops.cast(self.max_wavelength, "float32"), -feature_pairs / ops.cast(hidden_dim, "float32")
        )
        angles = ops.expand_dims(_positions(length, start_index), -1) * inverse_frequencies
        is_even = ops.equal(ops.arange(hidden_dim) % 2, 0)
        encodings = ops.where(is_even, ops.sin(angles), ops.cos(angles))
        return ops.broadcast_to(ops.cast(encodings, self.compute_dtype), ops.shape(inputs))

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        config = super().get_config()
        config.update({"max_wavelength": self.max_wavelength})
        return config

    def compute_output_shape(self, inputs_shape):
        return inputs_shape


@keras.saving.register_keras_serializable(package="zoo")
class RotaryEmbedding(keras.layers.Layer):
    """Rotary position embedding applied to queries or keys of shape `(batch, length, heads, head_dim)`.

    Uses the "rotate half" layout (GPT-NeoX / LLaMA): feature `j < d/2` is rotated together
    with feature `j + d/2` by the angle `pos / (max_wavelength ** (2j / d)) / scaling_factor`.

    Args:
        max_wavelength: the longest wavelength of the rotations.
        scaling_factor: positions are divided by this (linear position interpolation).

    Example:

        query = keras.random.normal((2, 10, 4, 8))
        RotaryEmbedding()(query, start_index=0).shape  # (2, 10, 4, 8)
    """

    def __init__(self, max_wavelength=10000, scaling_factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = require_positive_number("max_wavelength", max_wavelength)
        self.scaling_factor = require_positive_number("scaling_factor", scaling_factor)
        self.built = True

    def call(self, inputs, start_index=0):
        length, head_dim = ops.shape(inputs)[1], ops.shape(inputs)[-1]
        if head_dim % 2:
            raise ValueError(f"RotaryEmbedding needs an even head_dim. Received: head_dim={head_dim}")
        half = head_dim // 2
        exponents = ops.cast(ops.arange(half), "float32") * 2.0 / ops.cast(head_dim, "float32")
        inverse_frequencies = ops.power(ops.cast(self.max_wavelength, "float32"), -exponents)
        positions = _positions(length, start_index) / self.scaling_factor
        angles = ops.expand_dims(positions, -1) * inverse_frequencies  # (length, half)
        angles = ops.concatenate([angles, angles], axis=-1)[None, :, None, :]
        cos, sin = ops.cos(angles), ops.sin(angles)
        x = ops.cast(inputs, "float32")
        rotated_half = ops.concatenate([-x[..., half:], x[..., :half]], axis=-1)
        return ops.cast(x * cos + rotated_half * sin, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"max_wavelength": self.max_wavelength, "scaling_factor": self.scaling_factor})
        return config

    def compute_output_shape(self, inputs_shape):
        return inputs_shape
