"""A tiny BERT and a batch of inputs shared by the BERT tests."""

import numpy as np

from tests.models.bert.numpy_bert import set_seeded_weights
from zoo.models.bert import BertBackbone

TINY = {
    "vocabulary_size": 50,
    "num_layers": 2,
    "hidden_dim": 16,
    "num_heads": 2,
    "intermediate_dim": 32,
    "max_sequence_length": 12,
}
LENGTHS = (8, 5, 3)  # real tokens per row of `make_inputs()`; the rest is padding.


def make_backbone(seeded=True, **overrides):
    """The tiny backbone; `seeded` sets every weight from `np.random.default_rng(0)`."""
    backbone = BertBackbone(**{**TINY, **overrides})
    if seeded:
        set_seeded_weights(backbone)
    return backbone


def make_inputs(with_mask_positions=False):
    """A padded batch of 3 sentence pairs (segment 1 from the middle), length 8."""
    rng = np.random.default_rng(1)
    length = max(LENGTHS)
    padding_mask = (np.arange(length)[None, :] < np.array(LENGTHS)[:, None]).astype("int32")
    token_ids = rng.integers(1, TINY["vocabulary_size"], size=(len(LENGTHS), length)).astype("int32") * padding_mask
    segment_ids = (np.arange(length)[None, :] >= np.array(LENGTHS)[:, None] // 2).astype("int32") * padding_mask
    inputs = {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask}
    if with_mask_positions:
        # Two real masked positions per row, then a padded slot at position 0 (weight 0 in training).
        inputs["mask_positions"] = np.array([[1, 6, 0], [4, 2, 0], [2, 0, 0]], "int32")
    return inputs


MASK_WEIGHTS = np.array([[1, 1, 0], [1, 1, 0], [1, 1, 0]], "float32")
