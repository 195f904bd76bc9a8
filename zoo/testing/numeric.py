"""Backend-neutral numeric helpers for tests: tensors to NumPy, close-enough assertions."""

import keras
import numpy as np


def to_numpy(x):
    """Any backend tensor (or nested structure of them) as NumPy."""
    if isinstance(x, (list, tuple)):
        return type(x)(to_numpy(v) for v in x)
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    return keras.ops.convert_to_numpy(x)


def assert_allclose(actual, expected, atol=1e-5, rtol=1e-5):
    """`np.testing.assert_allclose` on backend tensors; fp32 parity default atol 1e-5."""
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), atol=atol, rtol=rtol)
