"""Seeded example streams and the hash partition that keeps train, valid and test disjoint.

Each (task, split, seed) has its own random stream, and an example is only kept in the split its
text hashes to (60% of the hash range for train, 20% each for valid and test), so no text can
ever be in two splits, whatever the seeds and sizes. Duplicates inside a split are dropped too.
Records come out in stream order, so a smaller request is a prefix of a larger one.
"""

import numbers
import random
import zlib

from zoo.validation import require_choice, require_positive_int

SPLITS = ("train", "valid", "test")
DEFAULT_SIZES = {"train": 20_000, "valid": 2_000, "test": 2_000}
# Upper ends of each split's share of the 32-bit hash range.
_HASH_BOUNDS = (("train", 0.6 * 2**32), ("valid", 0.8 * 2**32), ("test", 2**32))


def split_of(text):
    """The split ("train", "valid" or "test") that owns `text`; the same in every process."""
    value = zlib.crc32(text.encode("utf-8"))  # a fixed hash: Python's `hash` of str is salted
    return next(split for split, bound in _HASH_BOUNDS if value < bound)


def stream(task, split, seed):
    """The `random.Random` of one (task, split, seed): seeding with a str hashes all of it (SHA-512)."""
    return random.Random(f"zoo.data.synthetic/{task}/{split}/{seed}")


def sample_split(generate, task, split, num_examples, seed):
    """The first `num_examples` distinct records of `split` drawn by `generate(rng)`.

    `generate` returns a list of `(key, build)`: `key` is a text that is a function of the record
    (its input, or a part of it that no record of another key can contain) and decides the split
    and duplicates; `build()` returns the record and is called at once or never, so it may go on
    drawing from `rng` and costs nothing for the examples of other splits.
    """
    require_choice("split", split, SPLITS)
    if num_examples is None:
        num_examples = DEFAULT_SIZES[split]
    require_positive_int("num_examples", num_examples)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"`seed` must be an integer. Received: seed={seed!r}")
    rng = stream(task, split, seed)
    records, seen = [], set()
    while len(records) < num_examples:
        for key, build in generate(rng):
            if key not in seen and split_of(key) == split and len(records) < num_examples:
                seen.add(key)
                records.append(build())
    return records
