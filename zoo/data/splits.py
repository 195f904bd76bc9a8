"""Deterministic train/validation split for data that ships without a validation file."""

import math
import numbers
import random


def split_train_valid(rows, valid_fraction, seed=0):
    """Splits `rows` into `(train, valid)` lists, the same way every time for a given `seed`.

    `valid` holds `round(len(rows) * valid_fraction)` rows (halves rounded up) drawn at random;
    `train` holds the others. Each side keeps the rows' original order, and no row (by position)
    is on both sides.

    Example:

        train, valid = split_train_valid(list(range(10)), valid_fraction=0.2, seed=0)
        len(train), len(valid)  # (8, 2)
    """
    if isinstance(valid_fraction, bool) or not isinstance(valid_fraction, numbers.Real) or not (0 < valid_fraction < 1):
        raise ValueError(
            f"`valid_fraction` must be a number strictly between 0 and 1. Received: valid_fraction={valid_fraction!r}"
        )
    rows = list(rows)
    valid_size = math.floor(len(rows) * valid_fraction + 0.5)
    if not 0 < valid_size < len(rows):
        empty_side = "validation" if valid_size == 0 else "training"
        raise ValueError(
            f"valid_fraction={valid_fraction!r} of {len(rows)} rows leaves the {empty_side} split "
            "empty; use more rows or a fraction that leaves at least one row on each side."
        )
    valid_positions = set(random.Random(seed).sample(range(len(rows)), valid_size))
    train = [row for position, row in enumerate(rows) if position not in valid_positions]
    valid = [row for position, row in enumerate(rows) if position in valid_positions]
    return train, valid
