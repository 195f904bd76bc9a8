"""`causal_prompts`: the clm prompts `zoo predict` and the SavedModel continue, against a NumPy reference."""

import types

import numpy as np
import pytest
import tensorflow as tf

from zoo.data.pipelines.language_modeling import causal_prompts
from zoo.export.servables import _causal_prompts
from zoo.generation.decoding import causal_max_length
from zoo.tokenizers import ByteTokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

TOKENIZER = ByteTokenizer()
TEXTS = ["", "hi", "exactly", "a text longer than the prompt width"]
WIDTH = 7


def _reference(text):
    """`bos text`, its last WIDTH ids, right-padded with pad: `(ids, mask)` as lists."""
    ids = ([TOKENIZER.bos_id] + TOKENIZER.tokenize(text).tolist())[-WIDTH:]
    padding = WIDTH - len(ids)
    return ids + [TOKENIZER.pad_id] * padding, [1] * len(ids) + [0] * padding


def test_prompts_keep_bos_and_the_last_tokens_right_padded():
    prompt_ids, prompt_mask = causal_prompts(
        TOKENIZER.tokenize(tf.constant(TEXTS)), bos_id=TOKENIZER.bos_id, sequence_length=WIDTH
    )
    expected = [_reference(text) for text in TEXTS]
    np.testing.assert_array_equal(prompt_ids.numpy(), [ids for ids, _ in expected])
    np.testing.assert_array_equal(prompt_mask.numpy(), [mask for _, mask in expected])
    assert prompt_ids.dtype == prompt_mask.dtype == tf.int32


def test_the_export_decodes_the_same_prompts_to_the_same_length():
    model = types.SimpleNamespace(backbone=types.SimpleNamespace(max_sequence_length=10))
    config = {"seq_len": WIDTH, "target_len": 5}
    prompt_ids, _, conditioning, max_length, max_new_tokens = _causal_prompts(
        model, TOKENIZER, tf.constant(TEXTS), config
    )
    np.testing.assert_array_equal(prompt_ids.numpy(), [_reference(text)[0] for text in TEXTS])
    assert conditioning == {} and max_new_tokens == 5
    assert max_length == causal_max_length(model, WIDTH, 5) == 10  # capped by the position table
    assert causal_max_length(types.SimpleNamespace(), WIDTH, 5) == 12  # no table: no cap
