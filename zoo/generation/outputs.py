"""Host-side views of decoded sequences: which positions are real tokens, and the new tokens alone."""

import numpy as np


def _prompt_region(prompt_mask, max_length, ndim):
    lengths = np.asarray(prompt_mask).sum(axis=-1)
    lengths = lengths.reshape(lengths.shape + (1,) * (ndim - 1))
    return np.arange(max_length) < lengths


def output_padding_mask(token_ids, prompt_mask, end_token_id):
    """True at prompt tokens and generated tokens up to and including each sequence's first end token.

    `token_ids` is `(batch, length)` or `(batch, n, length)`; `prompt_mask` is `(batch, prompt_length)`.
    """
    token_ids = np.asarray(token_ids)
    if end_token_id is None:
        return np.ones(token_ids.shape, bool)
    generated_end = (token_ids == end_token_id) & ~_prompt_region(prompt_mask, token_ids.shape[-1], token_ids.ndim)
    ends_before = np.cumsum(generated_end, axis=-1) - generated_end
    return ends_before == 0


def generated_sequences(token_ids, padding_mask, prompt_mask, end_token_id=None):
    """The new tokens of each `(batch, length)` row as Python lists, without the end token.

    Example: `generated_sequences(out["token_ids"], out["padding_mask"], prompt_mask, end_token_id=3)`
    gives the translations of a `GPTSeq2Seq` batch.
    """
    token_ids, padding_mask = np.asarray(token_ids), np.asarray(padding_mask, bool)
    keep = padding_mask & ~_prompt_region(prompt_mask, token_ids.shape[-1], token_ids.ndim)
    if end_token_id is not None:
        keep &= token_ids != end_token_id
    return [row[row_keep].tolist() for row, row_keep in zip(token_ids, keep)]
