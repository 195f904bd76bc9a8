"""Up-front checks of arguments and settings; each raises `ValueError` quoting the bad value.

Keras-free, so the data readers, metrics, CLI and training config use it without importing Keras.
"""

import numbers


def require_positive_int(name, value):
    """Returns `value` if it is an int > 0, else raises `ValueError` naming `name`.

    Example: `self.num_heads = require_positive_int("num_heads", num_heads)`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)


def require_non_negative_int(name, value):
    """Returns `value` if it is an int >= 0 (0 often meaning "off"), else raises `ValueError` naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"`{name}` must be an integer >= 0. Received: {name}={value!r}")
    return int(value)


def require_positive_number(name, value):
    """Returns `value` as float if it is a number > 0, else raises `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
        raise ValueError(f"`{name}` must be a positive number. Received: {name}={value!r}")
    return float(value)


def require_non_negative_number(name, value):
    """Returns `value` as float if it is a number >= 0, else raises `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"`{name}` must be a number >= 0. Received: {name}={value!r}")
    return float(value)


def require_rate(name, value):
    """Returns `value` as float if `0 <= value < 1` (a dropout rate), else raises `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a float in [0, 1). Received: {name}={value!r}")
    return float(value)


def require_choice(name, value, choices):
    """Returns `value` if it is one of `choices`, else raises `ValueError` listing them."""
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}. Received: {name}={value!r}")
    return value
