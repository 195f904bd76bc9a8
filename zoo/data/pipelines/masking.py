"""BERT's dynamic masking (80% [MASK], 10% random token, 10% unchanged), drawn from a seed.

Written with stateless random ops rather than keras-hub's `MaskedLMMaskGenerator`, whose
tensorflow-text selectors draw from stateful, unseeded ops: inside `Dataset.map` those repeat the
same masks on every epoch and cannot be reproduced from a seed. The selection rule is theirs:
`ceil(rate * n)` of a row's `n` maskable tokens, at most `max_predictions`.
"""

import tensorflow as tf

from zoo.tokenizers.base import NUM_SPECIAL_TOKENS


def mask_tokens(
    token_ids,
    seed,
    *,
    vocabulary_size,
    mask_id,
    max_predictions,
    mask_rate=0.15,
    mask_token_rate=0.8,
    random_token_rate=0.1,
):
    """Masks a padded batch `token_ids` (B, T) int32; special tokens (ids below 5) are never chosen.

    Returns a dict: "token_ids" (B, T) with the chosen positions replaced, "mask_positions"
    (B, max_predictions) in increasing order, "mask_labels" the original ids there and
    "mask_weights" float32 1 for a real choice, 0 for a padded slot (position 0, label 0).
    A random replacement is a non-special token. `seed` is a `[2]` int tensor.
    """
    selection_seed, replace_seed, random_token_seed = tf.unstack(
        tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    )
    batch_size, length = tf.shape(token_ids)[0], tf.shape(token_ids)[1]
    maskable = token_ids >= NUM_SPECIAL_TOKENS
    num_chosen = tf.math.ceil(mask_rate * tf.reduce_sum(tf.cast(maskable, tf.float32), axis=1))
    num_chosen = tf.minimum(tf.cast(num_chosen, tf.int32), max_predictions)

    # The `num_chosen` maskable positions with the highest uniform scores, then sorted.
    scores = tf.where(maskable, tf.random.stateless_uniform(tf.shape(token_ids), selection_seed), -1.0)
    candidates = tf.math.top_k(scores, k=tf.minimum(max_predictions, length)).indices
    slots = tf.range(tf.shape(candidates)[1])[None, :]
    positions = tf.sort(tf.where(slots < num_chosen[:, None], candidates, length), axis=1)
    positions = tf.pad(positions, [[0, 0], [0, max_predictions - tf.shape(positions)[1]]], constant_values=length)
    chosen = positions < length
    positions = tf.where(chosen, positions, 0)
    labels = tf.where(chosen, tf.gather(token_ids, positions, batch_dims=1), 0)

    draw = tf.random.stateless_uniform([batch_size, max_predictions], replace_seed)
    random_tokens = tf.random.stateless_uniform(
        [batch_size, max_predictions],
        random_token_seed,
        minval=NUM_SPECIAL_TOKENS,
        maxval=vocabulary_size,
        dtype=tf.int32,
    )
    replacements = tf.where(
        draw < mask_token_rate, mask_id, tf.where(draw < mask_token_rate + random_token_rate, random_tokens, labels)
    )
    # Scattering a 0/1 indicator with add keeps padded slots (all at position 0) harmless.
    rows = tf.broadcast_to(tf.range(batch_size)[:, None], tf.shape(positions))
    indices = tf.stack([rows, positions], axis=-1)
    chosen_int = tf.cast(chosen, tf.int32)
    is_masked = tf.scatter_nd(indices, chosen_int, tf.shape(token_ids)) > 0
    replaced = tf.scatter_nd(indices, replacements * chosen_int, tf.shape(token_ids))
    return {
        "token_ids": tf.where(is_masked, replaced, token_ids),
        "mask_positions": positions,
        "mask_labels": labels,
        "mask_weights": tf.cast(chosen, tf.float32),
    }
