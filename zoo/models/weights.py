"""Loading a `.weights.h5` file into a model only when its arrays are the model's, named otherwise.

Keras' own messages for a mismatch ("expected 1 variables, but received 0 variables") name
neither the file nor the layer, and a model with no variables accepts any file; this check reads
the file's array shapes (metadata only, no data) and compares them with the model's variables.

Example:

    load_checked_weights(model, "runs/demo/model/model.weights.h5")
"""

import collections

import h5py

from zoo.errors import LoadError


def saved_arrays(path):
    """`{name: shape}` of the model arrays in a Keras weights file (optimizer state left out)."""
    arrays = {}

    def visit(name, item):
        if isinstance(item, h5py.Dataset) and not name.startswith("optimizer/"):
            arrays[name] = tuple(item.shape)

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
    except (OSError, ValueError, RuntimeError) as error:
        raise LoadError(
            f"{path}: not a readable weights file ({error}); it is damaged or truncated, save the model again."
        ) from None
    return arrays


def _variable_name(variable):
    return getattr(variable, "path", variable.name)


def require_matching_arrays(model, path):
    """`LoadError` naming the first variable of `model` whose shape the weights file at `path` lacks."""
    arrays = saved_arrays(path)
    variables = model.weights
    if len(arrays) != len(variables):
        raise LoadError(
            f"{path}: holds {len(arrays)} arrays, the model its config describes has {len(variables)} "
            "variables; the weights belong to another model."
        )
    available = collections.Counter(arrays.values())
    for variable in variables:
        shape = tuple(variable.shape)
        if available[shape] == 0:
            raise LoadError(
                f"{path}: no array has the shape {shape} of the model's variable "
                f"'{_variable_name(variable)}'; the weights belong to another model."
            )
        available[shape] -= 1


def load_checked_weights(model, path):
    """`model.load_weights(path)` after `require_matching_arrays`; any failure is a `LoadError` naming `path`."""
    require_matching_arrays(model, path)
    try:
        model.load_weights(path)
    except (OSError, ValueError, KeyError) as error:
        raise LoadError(f"{path}: cannot load the weights ({error}); save the model again.") from None
