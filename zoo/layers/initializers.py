"""Initializer helpers shared by the layers."""

import keras


def clone_initializer(initializer):
    """A fresh copy of `initializer`, so seeded initializers don't give every weight the same values.

    Example: `initializer=clone_initializer(self.kernel_initializer)` in `build()`.
    """
    initializer = keras.initializers.get(initializer)
    return initializer.__class__.from_config(initializer.get_config())
