"""Ragged token-id helpers: truncation to a budget, special tokens around segments.

All take and return ragged `(batch, None)` int32 tensors, so they run inside `Dataset.map`.
"""

import tensorflow as tf
import tensorflow_text as tf_text

from zoo.validation import require_positive_int


def require_room(name, length, num_special_tokens):
    """Returns `length` if it is an int with room for a text token beside the special tokens."""
    require_positive_int(name, length)
    if length <= num_special_tokens:
        raise ValueError(
            f"`{name}` must leave room for text beside the {num_special_tokens} special tokens. "
            f"Received: {name}={length}"
        )
    return length


def truncate(segments, max_length):
    """Cuts the ends of `segments` (a list of ragged batches) to at most `max_length` tokens per row.

    One segment is simply cut; a pair loses tokens from its longer segment first (tensorflow-
    text's round-robin trimmer, the BERT / Hugging Face "longest_first" policy).
    """
    return tf_text.RoundRobinTrimmer(max_length).trim(list(segments))


def with_specials(ids, first=None, last=None):
    """`ids` with the token `first` prepended and `last` appended to every row (None: no token)."""
    column = tf.stack([ids.nrows(out_type=tf.int32), 1])
    parts = [ids]
    if first is not None:
        parts.insert(0, tf.fill(column, tf.constant(first, ids.dtype)))
    if last is not None:
        parts.append(tf.fill(column, tf.constant(last, ids.dtype)))
    return tf.concat(parts, axis=1)


def with_prefix(ids, prefix):
    """`ids` with the tokens `prefix` (a list of ids, maybe empty) prepended to every row."""
    if not prefix:
        return ids
    columns = tf.tile(tf.constant([prefix], ids.dtype), tf.stack([ids.nrows(out_type=tf.int32), 1]))
    return tf.concat([columns, ids], axis=1)


def bert_pack(segments, max_length, cls_id, sep_id):
    """`cls a sep` or `cls a sep b sep` within `max_length`, and segment ids (0 for a, 1 for b)."""
    segments = truncate(segments, max_length - 1 - len(segments))
    token_ids, segment_ids = tf_text.combine_segments(segments, cls_id, sep_id)
    return tf.cast(token_ids, tf.int32), tf.cast(segment_ids, tf.int32)
