"""What every checkpoint converter shares: take named source tensors, refuse leftovers, assign by weight path.

A converter builds `{zoo weight path: array}` from the source's `{name: array}` with `take(name)`
(a missing name is a `LoadError` naming it), then `check_leftovers` refuses any source tensor it
did not use (naming it), and `assign` sets the model's weights, every shape checked first.

Example:

    take, taken = taker(arrays, "gpt2/config.json", "a GPT-2 model")
    values = {"final_norm/gamma": take("ln_f.weight"), ...}
    check_leftovers(arrays, taken, "gpt2/config.json", lambda name, arrays: name.endswith(".attn.bias"))
    assign(model, values, "gpt2/config.json")
"""

import numpy as np

from zoo.errors import LoadError


def taker(arrays, where, what):
    """`(take, taken)`: `take(name)` returns `arrays[name]` and records it in the set `taken`."""
    taken = set()

    def take(name):
        if name not in arrays:
            raise LoadError(f"{where}: the checkpoint has no tensor {name!r}, which {what} needs.")
        taken.add(name)
        return arrays[name]

    return take, taken


def check_leftovers(arrays, taken, where, is_ignorable):
    """`LoadError` naming the first source tensor neither taken nor `is_ignorable(name, arrays)`."""
    for name in sorted(set(arrays) - taken):
        if not is_ignorable(name, arrays):
            raise LoadError(
                f"{where}: unexpected tensor {name!r} (shape {arrays[name].shape}); the zoo model has no weight for "
                "it (an untied head or an extra layer is not supported)."
            )


def assign(model, values, where, may_stay_fresh=()):
    """Sets every weight of `model` from `values` (`{weight path: array}`), shapes checked first.

    Weights in `may_stay_fresh` keep their initialization when `values` has nothing for them.
    """
    weights = {weight.path: weight for weight in model.weights}
    missing = sorted(set(weights) - set(values) - set(may_stay_fresh))
    if missing:
        raise LoadError(f"{where}: nothing in the checkpoint for the weight {missing[0]!r}.")
    unknown = sorted(set(values) - set(weights))
    if unknown:
        raise LoadError(f"{where}: the checkpoint's {unknown[0]!r} has no weight of that name in the zoo model.")
    for path, value in values.items():
        expected = tuple(weights[path].shape)
        if expected != value.shape:
            raise LoadError(f"{where}: the tensor for {path!r} has shape {value.shape}, the model expects {expected}.")
    for path, value in values.items():
        weights[path].assign(np.asarray(value, np.float32))


def token_rows(table, source_ids, where, name):
    """`table`'s rows in zoo id order (`source_ids[zoo id]`; -1, a zoo special the source lacks, gets zeros)."""
    if source_ids.max() >= table.shape[0]:
        raise LoadError(
            f"{where}: the tokenizer has id {int(source_ids.max())}, beyond {name}'s {table.shape[0]} rows."
        )
    return np.where((source_ids >= 0).reshape(-1, *[1] * (table.ndim - 1)), table[np.maximum(source_ids, 0)], 0.0)


def linear(take, name):
    """A PyTorch `Linear`'s kernel as Keras stores it (`(in, out)`: transposed), and its bias."""
    return take(f"{name}.weight").T, take(f"{name}.bias")


def norm(take, source, target):
    """`{target/gamma, target/beta}` from a PyTorch LayerNorm's `weight` and `bias`."""
    return {f"{target}/gamma": take(f"{source}.weight"), f"{target}/beta": take(f"{source}.bias")}
