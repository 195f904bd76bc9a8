"""Pooling a sequence over its real tokens: the max or the mean of the steps the padding mask keeps.

A function of backend ops (no weights), shared by the LSTM, BERT and fastText classifiers.

Example:

    pooled = masked_pooling(sequence_output, inputs["padding_mask"], "mean")   # (batch, D) float32
"""

from keras import ops

POOLINGS = ("max", "mean")


def masked_pooling(sequence, padding_mask, pooling):
    """`(batch, D)` float32 max or mean of `sequence` `(batch, T, D)` over the steps where `padding_mask` is 1.

    A row with no real token pools to zeros.
    """
    sequence = ops.cast(sequence, "float32")
    mask = ops.expand_dims(ops.cast(padding_mask, "bool"), axis=-1)
    if pooling == "max":
        pooled = ops.max(ops.where(mask, sequence, float("-inf")), axis=1)
        return ops.where(ops.any(mask, axis=1), pooled, 0.0)
    counts = ops.maximum(ops.sum(ops.cast(mask, "float32"), axis=1), 1.0)
    return ops.sum(ops.where(mask, sequence, 0.0), axis=1) / counts
