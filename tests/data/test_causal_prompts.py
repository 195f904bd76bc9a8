"""`causal_prompts`: the clm prompts `zoo predict`, `model.generate` and the SavedModel continue, against NumPy."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.data.pipelines.language_modeling import causal_prompts
from zoo.data.pipelines.prompts import PromptPreprocessor
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


def test_the_prompt_preprocessor_decodes_the_same_prompts_to_the_capped_length():
    # What `zoo predict`, `model.generate` and the SavedModel of a clm run build.
    preprocessor = PromptPreprocessor(TOKENIZER, "token_stream", WIDTH, 5, max_positions=10)
    prompt_ids, prompt_mask, conditioning = preprocessor(tf.constant(TEXTS))
    np.testing.assert_array_equal(prompt_ids.numpy(), [_reference(text)[0] for text in TEXTS])
    assert conditioning == {} and preprocessor.max_new_tokens == 5
    assert preprocessor.max_length == 10  # capped by the position table
    assert PromptPreprocessor(TOKENIZER, "token_stream", WIDTH, 5).max_length == 12  # no table: no cap
