"""Hashed bigram ids: each pair of adjacent real tokens mapped to one of `num_buckets` buckets.

The hashing trick of fastText (Joulin et al. 2017, "Bag of Tricks for Efficient Text
Classification"): the bigrams of a corpus are too many for a table of their own, so a pair
`(a, b)` of token ids goes to bucket `(a * 10007 + b) mod num_buckets`, and colliding pairs share
an embedding row. The arithmetic stays exact in int32 on every backend for token ids below
`MAX_TOKEN_ID`.

Example:

    buckets, bigram_mask = HashedBigrams(4096)(token_ids, padding_mask)   # (batch, T - 1) each
"""

import keras
from keras import ops

from zoo.validation import require_positive_int

MULTIPLIER = 10007  # a prime: pairs that differ only in their first token land far apart
MAX_TOKEN_ID = (2**31 - 1) // (MULTIPLIER + 1)  # a * MULTIPLIER + b < 2**31 for a, b up to this


@keras.saving.register_keras_serializable(package="zoo")
class HashedBigrams(keras.layers.Layer):
    """`(buckets, bigram_mask)` of `token_ids` `(batch, T)`: int32 `(batch, T - 1)` and bool `(batch, T - 1)`.

    `bigram_mask[:, t]` is true where tokens `t` and `t + 1` are both real (`padding_mask` 1).

    Args:
        num_buckets: number of bigram buckets (rows of the bigram embedding).
    """

    def __init__(self, num_buckets, **kwargs):
        super().__init__(**kwargs)
        self.num_buckets = require_positive_int("num_buckets", num_buckets)

    def call(self, token_ids, padding_mask):
        token_ids = ops.cast(token_ids, "int32")
        buckets = ops.mod(token_ids[:, :-1] * MULTIPLIER + token_ids[:, 1:], self.num_buckets)
        mask = ops.cast(padding_mask, "bool")
        return buckets, ops.logical_and(mask[:, :-1], mask[:, 1:])

    def get_config(self):
        return super().get_config() | {"num_buckets": self.num_buckets}
