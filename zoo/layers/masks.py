"""Mask helpers shared by the Transformer blocks."""

from keras import ops


def padding_to_attention_mask(padding_mask, attention_mask=None, query_length=None):
    """Combines a key padding mask `(batch, S)` and an attention mask `(batch, T, S)` into one.

    Either may be None; returns None when both are. A padding mask hides padded keys from
    every query; True means "may attend".

    Example:

        padding_to_attention_mask(np.array([[1, 1, 0]]), query_length=2).shape  # (1, 2, 3)
    """
    if padding_mask is None:
        return None if attention_mask is None else ops.cast(attention_mask, "bool")
    padding_mask = ops.cast(padding_mask, "bool")
    keys = ops.expand_dims(padding_mask, axis=1)
    if attention_mask is None:
        length = ops.shape(padding_mask)[1] if query_length is None else query_length
        return ops.broadcast_to(keys, (ops.shape(padding_mask)[0], length, ops.shape(padding_mask)[1]))
    return ops.logical_and(ops.cast(attention_mask, "bool"), keys)
