"""Token choice for one-sequence-per-prompt decoding: keras-hub's samplers, driven statelessly.

keras-hub's `GreedySampler`, `TopKSampler`, `TopPSampler` and `RandomSampler` already implement
the choice rules (temperature, top-k, nucleus): we reuse their `compute_probabilities` and
`get_next_token`. We do not use their `__call__` loop: it has no prefill, no per-sequence stop
(finished rows keep sampling), and it advances the seed by assigning a variable inside the loop,
which only its own JAX wrapper can compile. Here the seed state is a loop variable instead.
"""

import keras
from keras_hub.samplers import GreedySampler, RandomSampler, Sampler, TopKSampler, TopPSampler

SAMPLING_STRATEGIES = ("greedy", "top_k", "top_p", "random")


def build_sampler(strategy, k=50, p=0.9, temperature=1.0, seed=None):
    """The keras-hub sampler of `strategy` ("greedy", "top_k", "top_p", "random"), or `strategy` if a `Sampler`."""
    if isinstance(strategy, Sampler):
        return strategy
    if strategy == "greedy":
        return GreedySampler()
    if strategy == "top_k":
        return TopKSampler(k=k, seed=seed, temperature=temperature)
    if strategy == "top_p":
        return TopPSampler(p=p, seed=seed, temperature=temperature)
    if strategy == "random":
        return RandomSampler(seed=seed, temperature=temperature)
    raise ValueError(
        f"`strategy` must be one of {list(SAMPLING_STRATEGIES) + ['beam']} or a keras_hub Sampler. "
        f"Received: strategy={strategy!r}"
    )


def choose_next_token(sampler, logits, seed_values):
    """`(next_token (batch,) int32, new_seed_values)` from float32 logits `(batch, vocabulary)`.

    The sampler's seed variables read `seed_values` and their updates are returned, so the
    caller's loop stays free of variable assignments (needed by `jax.jit` and XLA loops).
    """
    mapping = list(zip(sampler.variables, seed_values))
    with keras.StatelessScope(state_mapping=mapping) as scope:
        next_token = sampler.get_next_token(sampler.compute_probabilities(logits))
        updated = [scope.get_current_value(v) for v in sampler.variables]
    new_seed_values = [value if new is None else new for value, new in zip(seed_values, updated)]
    return keras.ops.cast(next_token, "int32"), new_seed_values
