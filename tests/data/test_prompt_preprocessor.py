"""`PromptPreprocessor`: encoder-decoder prompts, the generated part of decoded rows, and its argument checks."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.data.pipelines import Seq2SeqFormat
from zoo.data.pipelines.prompts import PromptPreprocessor
from zoo.tokenizers import ByteTokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

TOKENIZER = ByteTokenizer()


def test_encoder_decoder_prompts_follow_the_runs_format():
    bart = Seq2SeqFormat(source_bos=True, decoder_start=("eos", "bos"))
    preprocessor = PromptPreprocessor(TOKENIZER, "encoder_decoder", 6, 10, seq2seq_format=bart)
    prompt_ids, prompt_mask, conditioning = preprocessor(tf.constant(["abc", "a longer source"]))
    start = [TOKENIZER.eos_id, TOKENIZER.bos_id]
    np.testing.assert_array_equal(prompt_ids.numpy(), [start, start])
    np.testing.assert_array_equal(prompt_mask.numpy(), np.ones((2, 2)))
    expected = [
        [TOKENIZER.bos_id, *TOKENIZER.tokenize("abc").tolist(), TOKENIZER.eos_id, 0],
        [TOKENIZER.bos_id, *TOKENIZER.tokenize("a longer source").tolist()[:4], TOKENIZER.eos_id],
    ]
    np.testing.assert_array_equal(conditioning["encoder_token_ids"].numpy(), expected)
    np.testing.assert_array_equal(conditioning["encoder_padding_mask"].numpy(), np.array(expected) != 0)
    assert preprocessor.max_length == 10 + 2 and preprocessor.max_new_tokens == 10


def _reference_new_tokens(row, prompt_length, end_id, max_new_tokens):
    generated = list(row[prompt_length:])
    if end_id in generated:
        generated = generated[: generated.index(end_id)]
    return generated[:max_new_tokens]


def test_new_tokens_are_those_after_the_prompt_before_the_end_at_most_max_new_tokens():
    end = TOKENIZER.eos_id
    preprocessor = PromptPreprocessor(TOKENIZER, "token_stream", 3, 3)
    tokens = np.array([[2, 10, 11, 12, 13, 14, 15], [2, 10, 0, 20, end, 21, 22], [2, 10, 11, end, 30, 31, 32]])
    prompt_mask = np.array([[1, 1, 1], [1, 1, 0], [1, 1, 1]])
    got = preprocessor.new_tokens(tokens, prompt_mask).to_list()
    lengths = prompt_mask.sum(axis=1)
    assert got == [_reference_new_tokens(row, n, end, 3) for row, n in zip(tokens.tolist(), lengths)]
    assert got == [[12, 13, 14], [0, 20], []]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`inputs` must be one of"):
        PromptPreprocessor(TOKENIZER, "masked_tokens", 8, 8)
    with pytest.raises(ValueError, match="needs the model's `separator_id`"):
        PromptPreprocessor(TOKENIZER, "prefix_lm", 8, 8)
