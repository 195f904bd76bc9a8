"""A learned bias added to the last axis: the output bias of a head whose projection has none."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class LogitBias(keras.layers.Layer):
    """`inputs + bias`, one bias per entry of the last axis (zeros at first).

    An encoder-decoder's tied output projection (the token table, transposed) has no bias; BART
    adds one to its logits (`final_logits_bias`), which `Seq2SeqLM(output_bias=True)` holds here.
    The bias is kept in float32 and added in the inputs' dtype.

    Example:

        LogitBias()(np.zeros((2, 3, 10), "float32")).shape  # (2, 3, 10)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, inputs_shape):
        self.bias = self.add_weight(name="bias", shape=(inputs_shape[-1],), initializer="zeros")

    def call(self, inputs):
        return inputs + ops.cast(self.bias, inputs.dtype)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape
