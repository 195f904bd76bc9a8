"""Compiles a whole decoding loop once per backend, so no step pays Python or dispatch overhead.

- JAX: `jax.jit` over a stateless call (the model's variables are arguments, mapped in with a
  `StatelessScope`), as keras-hub's `CausalLM.make_generate_function` does; the loop is a
  `lax.while_loop` inside it.
- TensorFlow: `tf.function(jit_compile=True)`: the loop is an XLA while loop.
- PyTorch: the loop runs in Python under `no_grad`; each iteration is one exported and compiled
  program (`zoo/generation/torch_programs.py`).
"""

import keras
from keras import ops


def decode_step_function(model, jit_compile):
    """`model.decode_step`, or on PyTorch with `jit_compile` its exported and compiled version."""
    if jit_compile and keras.backend.backend() == "torch":
        from zoo.generation.torch_programs import CompiledDecodeStep

        return CompiledDecodeStep(model)
    return model.decode_step


def while_loop_function(model, jit_compile):
    """`keras.ops.while_loop`, or on PyTorch with `jit_compile` one whose iteration is compiled.

    The loop's `cond` and `body` must read per-call tensors through the loop variables only
    (see `CompiledWhileLoop`): one is built per loop and its settings.
    """
    if jit_compile and keras.backend.backend() == "torch":
        from zoo.generation.torch_programs import CompiledWhileLoop

        return CompiledWhileLoop(model)
    return ops.while_loop


def compile_decoding(function, model, jit_compile):
    """`function(*tensors)` compiled for the current backend; it must only read `model`'s variables."""
    backend = keras.backend.backend()
    if backend == "torch":
        return _torch_no_grad(function)
    if not jit_compile:
        return function
    if backend == "jax":
        return _jax(function, model)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, jit_compile=True, autograph=False)
    return function


def _jax(function, model):
    import jax

    variables = list(model.trainable_variables) + list(model.non_trainable_variables)

    @jax.jit
    def stateless(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return function(*args)

    def run(*args):
        return stateless([variable.value for variable in variables], *args)

    return run


def _torch_no_grad(function):
    import torch

    def run(*args):
        with torch.no_grad():
            return function(*args)

    return run
