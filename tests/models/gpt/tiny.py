"""Tiny GPT configurations and inputs shared by the GPT tests."""

import numpy as np

GPT2_LIKE = dict(
    vocabulary_size=40, num_layers=2, hidden_dim=16, num_heads=4, intermediate_dim=32, max_sequence_length=24
)
LLAMA_LIKE = dict(
    GPT2_LIKE, position_encoding="rotary", num_key_value_heads=2, activation="swiglu", norm="rms_norm", use_bias=False
)


def right_padded_batch():
    """Two rows of different lengths: 7 tokens, and 3 tokens then padding."""
    token_ids = np.array([[5, 9, 12, 7, 30, 2, 11], [4, 17, 8, 0, 0, 0, 0]], "int32")
    return {"token_ids": token_ids, "padding_mask": (token_ids != 0).astype("int32")}
