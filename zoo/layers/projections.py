"""Dense and EinsumDense whose bias add runs inside the matmul on PyTorch.

Keras' `Dense` and `EinsumDense` compute `matmul(x, kernel)` and then `add(x, bias)`: on PyTorch
that is one more pass over every projection's output, which `nn.Linear` avoids by calling
`addmm` (the bias is the GEMM's accumulator). Keras ops have no fused matmul-plus-bias, so these
subclasses call `torch.addmm` themselves on the PyTorch backend. TensorFlow and JAX, and every
LoRA, quantized or otherwise unfusable case, keep Keras' own `call`.
Variables, configs and numbers (up to float rounding) are Keras'.

Example:

    layer = BiasFusedEinsumDense("btd,dnh->btnh", output_shape=(None, 4, 8), bias_axes="nh")
    layer(keras.ops.ones((2, 5, 16))).shape  # (2, 5, 4, 8)
"""

import functools
import math

import keras
from keras import ops


@functools.cache  # a layer's equation never changes: parse it once, not on every call of the step
def _contracted_axes(equation, bias_axes):
    """How many trailing input axes `equation` contracts with the kernel's leading ones, or None.

    "btd,dnh->btnh" with bias "nh" is 1 and "btnh,nhd->btd" with bias "d" is 2: the input's
    trailing axes meet the kernel's leading ones and the output is the input's other axes
    followed by the kernel's other axes, in order, with the bias on all of the latter (or
    none). Anything else (a batched kernel, a transposed output, a partial bias) is None.
    """
    inputs_and_kernel, _, output = equation.replace(" ", "").partition("->")
    inputs, _, kernel = inputs_and_kernel.partition(",")
    for contracted in range(1, min(len(inputs), len(kernel)) + 1):
        if inputs[-contracted:] != kernel[:contracted]:
            continue
        kept_inputs, kernel_outputs = inputs[:-contracted], kernel[contracted:]
        if output == kept_inputs + kernel_outputs and bias_axes in (None, kernel_outputs):
            return contracted
    return None


def _addmm(inputs, kernel, bias, contracted):
    """`inputs` contracted over its last `contracted` axes with `kernel`'s first ones, plus `bias`: one addmm."""
    import torch

    inputs = ops.convert_to_tensor(inputs)
    kernel = ops.convert_to_tensor(kernel)
    kept_shape, kernel_outputs = inputs.shape[:-contracted], kernel.shape[contracted:]
    rows = inputs.reshape(-1, math.prod(inputs.shape[-contracted:]))
    outputs = torch.addmm(
        ops.convert_to_tensor(bias).reshape(-1), rows, kernel.reshape(rows.shape[1], math.prod(kernel_outputs))
    )
    return outputs.reshape(*kept_shape, *kernel_outputs)


def _fusable(layer):
    return keras.backend.backend() == "torch" and layer.bias is not None and not layer.lora_enabled


@keras.saving.register_keras_serializable(package="zoo")
class BiasFusedDense(keras.layers.Dense):
    """`keras.layers.Dense` computing `matmul + bias` as one `torch.addmm` on PyTorch.

    Example:

        BiasFusedDense(4)(keras.ops.ones((2, 3, 8))).shape  # (2, 3, 4)
    """

    def call(self, inputs, training=None):
        if not _fusable(self):
            return super().call(inputs, training=training)
        outputs = _addmm(inputs, self.kernel, self.bias, contracted=1)
        return outputs if self.activation is None else self.activation(outputs)


@keras.saving.register_keras_serializable(package="zoo")
class BiasFusedEinsumDense(keras.layers.EinsumDense):
    """`keras.layers.EinsumDense` computing `einsum + bias` as one `torch.addmm` on PyTorch.

    Fused when the equation contracts the input's trailing axes with the kernel's leading ones
    and the bias covers all of the kernel's other axes (a projection: "btd,dnh->btnh" with bias
    "nh", "btnh,nhd->btd" with bias "d"); other equations run Keras' einsum.

    Example:

        BiasFusedEinsumDense("btnh,nhd->btd", output_shape=(None, 16), bias_axes="d")(
            keras.ops.ones((2, 5, 4, 8))).shape  # (2, 5, 16)
    """

    def call(self, inputs, training=None):
        contracted = _contracted_axes(self.equation, self.bias_axes)
        if contracted is None or not _fusable(self):
            return super().call(inputs, training=training)
        outputs = _addmm(inputs, self.kernel, self.bias, contracted)
        return outputs if self.activation is None else self.activation(outputs)
