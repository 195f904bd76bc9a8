"""The prefix-LM packing is one implementation: training, `zoo predict` and the export read the same ids."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.data.pipelines import prefix_lm_dataset
from zoo.models import registry
from zoo.models.gpt import GPTBackbone, GPTSeq2Seq, prefix_lm_batch
from zoo.tokenizers import ByteTokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

TOKENIZER = ByteTokenizer()
SOURCE_LENGTH, TARGET_LENGTH = 8, 5
ROWS = [
    {"source": "a source longer than eight bytes", "target": "ok"},
    {"source": "hi", "target": "a target longer than five bytes"},
    {"source": "exactly8", "target": "four"},
]


def _training_batch():
    """The one `(x, y, sample_weight)` batch the training pipeline makes of `ROWS`, as NumPy."""
    (batch,) = prefix_lm_dataset(
        ROWS, TOKENIZER, max_source_length=SOURCE_LENGTH, max_target_length=TARGET_LENGTH, batch_size=3
    )
    return tf.nest.map_structure(lambda tensor: tensor.numpy(), batch)


def _up_to_separator(row, separator):
    row = list(row)
    return row[: row.index(separator) + 1]


def test_training_prediction_and_export_give_the_same_prompt_ids():
    separator = TOKENIZER.eos_id
    x, y, weights = _training_batch()
    trained = [_up_to_separator(row, separator) for row in x["token_ids"]]

    # `GPTSeq2Seq.build_prompt` (NumPy ids tokenized to seq_len).
    model = GPTSeq2Seq(
        GPTBackbone(
            vocabulary_size=TOKENIZER.vocabulary_size,
            num_layers=1,
            num_heads=2,
            hidden_dim=8,
            intermediate_dim=16,
            max_sequence_length=32,
        ),
        separator_token_id=separator,
    )
    sources = [row["source"] for row in ROWS]
    prompt_ids, prompt_mask = model.build_prompt(TOKENIZER.tokenize(sources, sequence_length=SOURCE_LENGTH))
    predicted = [list(ids[mask == 1]) for ids, mask in zip(prompt_ids, prompt_mask)]

    # The run's `PromptPreprocessor`: `zoo predict`, `model.generate` and the SavedModel's signatures.
    preprocessor = registry.text_preprocessor(
        {"task": "translation", "model": "gpt", "seq_len": SOURCE_LENGTH, "target_len": TARGET_LENGTH}
        | {"decoding": "greedy", "no_repeat_ngram": 0},
        TOKENIZER,
        {},
        model,
    )
    served_ids, served_mask, _ = preprocessor(tf.constant(sources))
    served = [list(ids[mask == 1]) for ids, mask in zip(served_ids.numpy(), served_mask.numpy())]

    expected = [TOKENIZER.tokenize(source).tolist()[:SOURCE_LENGTH] + [separator] for source in sources]
    assert trained == predicted == served == expected
    np.testing.assert_array_equal(prompt_ids, served_ids.numpy())
    assert preprocessor.max_length == SOURCE_LENGTH + 1 + TARGET_LENGTH


def test_the_target_keeps_its_first_tokens_and_its_end_within_the_target_length():
    separator = TOKENIZER.eos_id
    x, y, weights = _training_batch()
    for row, labels, weight in zip(ROWS, y, weights):
        target = TOKENIZER.tokenize(row["target"]).tolist()[: TARGET_LENGTH - 1] + [TOKENIZER.eos_id]
        assert labels[weight == 1].tolist() == target
    # The NumPy helper for id lists packs the same way.
    source_ids = [TOKENIZER.tokenize(row["source"]).tolist() for row in ROWS]
    target_ids = [TOKENIZER.tokenize(row["target"]).tolist() for row in ROWS]
    x_np, y_np, weights_np = prefix_lm_batch(source_ids, target_ids, SOURCE_LENGTH, TARGET_LENGTH, separator, separator)
    width = x["token_ids"].shape[1]
    np.testing.assert_array_equal(x_np["token_ids"][:, :width], x["token_ids"])
    np.testing.assert_array_equal(y_np[:, :width], y)
    np.testing.assert_array_equal(weights_np[:, :width], weights)
    assert not x_np["token_ids"][:, width:].any()
