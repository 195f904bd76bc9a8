"""`--remat`: keep only each Transformer block's inputs in the forward pass; recompute the rest in the backward pass.

Activation memory then grows with the number of blocks times the block's input (batch x length x
width) instead of every intermediate (attention scores, feed-forward activations), for about one
more forward pass of compute. `TransformerBlock.rematerialized_call` does the checkpointing with
the backend's own tool (`torch.utils.checkpoint`, `tf.recompute_grad`, `jax.checkpoint`) through
`keras.remat`; this module selects the blocks and checks what remat cannot do.

Example:

    import zoo.models
    with remat_scope(True):
        backbone = zoo.models.build("gpt", "tiny", vocabulary_size=300, dropout=0.0)
    len(check_rematerializable(backbone, "jax"))  # 2
"""

import contextlib
import os
import sys

# Keras (and so JAX) is imported inside the functions: `zoo train --remat` calls
# `request_jax_memory_scheduler` before JAX may start.

# The block names of the zoo's backbones: `encoder_block_i` (BERT, seq2seq), `decoder_block_i` (GPT, seq2seq).
BLOCK_NAME_PATTERNS = ("encoder_block_{}", "decoder_block_{}")
MAX_BLOCKS = 1024
BLOCK_NAMES = frozenset(pattern.format(i) for pattern in BLOCK_NAME_PATTERNS for i in range(MAX_BLOCKS))
# XLA's default CPU scheduler runs independent ops concurrently and so keeps every checkpointed
# activation alive at once: with it, jax.checkpoint saved no memory on a CPU (measured in docs/speed.md).
JAX_CPU_MEMORY_SCHEDULER = "--xla_cpu_enable_concurrency_optimized_scheduler=false"


def remat_scope(enabled):
    """The scope to build (or load) a model in: every Transformer block of a zoo backbone is checkpointed."""
    import keras

    if not enabled:
        return contextlib.nullcontext()
    return keras.RematScope(mode="list_of_layers", layer_names=BLOCK_NAMES)


def transformer_blocks(layer):
    """Every `TransformerBlock` in `layer` and its nested models, in order."""
    from zoo.layers.transformer_block import TransformerBlock

    if isinstance(layer, TransformerBlock):
        return [layer]
    return [block for sublayer in getattr(layer, "layers", []) for block in transformer_blocks(sublayer)]


def check_rematerializable(model, backend):
    """The model's checkpointed blocks; ValueError naming the fix when remat cannot apply to it."""
    blocks = transformer_blocks(model)
    if not blocks:
        raise ValueError("--remat checkpoints Transformer blocks and this model has none (an LSTM?); drop --remat.")
    for block in blocks:
        if block.name not in BLOCK_NAMES:
            raise ValueError(
                f"--remat: block {block.name!r} is not named as the zoo's backbones name theirs "
                f"({', '.join(BLOCK_NAME_PATTERNS)}), so it would not be checkpointed."
            )
        problem = block.remat_problem(backend)
        if problem:
            raise ValueError(f"--remat: {block.name}: {problem}")
    return blocks


def with_memory_scheduler(xla_flags):
    """An XLA_FLAGS value with `JAX_CPU_MEMORY_SCHEDULER` added, e.g. for a subprocess's environment."""
    return xla_flags if JAX_CPU_MEMORY_SCHEDULER in xla_flags else f"{xla_flags} {JAX_CPU_MEMORY_SCHEDULER}".strip()


def request_jax_memory_scheduler():
    """Adds `JAX_CPU_MEMORY_SCHEDULER` to this process's XLA_FLAGS if JAX is not imported yet; True if in effect.

    XLA reads XLA_FLAGS once, when JAX starts its backend: `zoo train --remat` calls this before
    importing Keras, and a process that imported JAX already must have set it itself.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if JAX_CPU_MEMORY_SCHEDULER in flags:
        return True
    if "jax" in sys.modules:
        return False
    os.environ["XLA_FLAGS"] = with_memory_scheduler(flags)
    return True
