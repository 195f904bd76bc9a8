"""Loading a `.weights.h5` file into a model only when its arrays are the model's, named otherwise.

Keras' own messages for a mismatch ("expected 1 variables, but received 0 variables") name
neither the file nor the layer, and a model with no variables accepts any file; this check reads
the file's array shapes (metadata only, no data) and compares them with the model's variables.

Example:

    load_checked_weights(model, "runs/demo/model/model.weights.h5")
"""

import collections

from zoo.errors import LoadError
from zoo.preflight import saved_arrays


def _variable_name(variable):
    return getattr(variable, "path", variable.name)


def require_matching_arrays(model, path, where=None):
    """`LoadError` naming the first variable of `model` whose shape the weights file at `path` lacks.

    `where` names the file in errors (default `path`), e.g. "model.keras:model.weights.h5".
    """
    where = where or path
    arrays = saved_arrays(path, where)
    variables = model.weights
    if len(arrays) != len(variables):
        raise LoadError(
            f"{where}: holds {len(arrays)} arrays, the model its config describes has {len(variables)} "
            "variables; the weights belong to another model."
        )
    available = collections.Counter(arrays.values())
    for variable in variables:
        shape = tuple(variable.shape)
        if available[shape] == 0:
            raise LoadError(
                f"{where}: no array has the shape {shape} of the model's variable "
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
