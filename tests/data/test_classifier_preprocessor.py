"""`ClassifierPreprocessor`: training batches, `model.predict(["raw text"])` and the export pack texts alike."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import LabelVocabulary
from zoo.data.pipelines import classification_dataset
from zoo.data.pipelines.classification import ClassifierPreprocessor
from zoo.tokenizers import ByteTokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

TOKENIZER = ByteTokenizer()
LENGTH = 8
ROWS = [
    {"text": "hi", "text_pair": "a long second text", "label": "pos"},
    {"text": "a first text longer than eight", "text_pair": "ok", "label": "neg"},
    {"text": "", "text_pair": "", "label": "pos"},
]


def _reference(text, pair=None):
    """`bos a eos [b eos]` in LENGTH tokens, the longer text cut first, padded: `(ids, segments)` as lists."""
    a, b = TOKENIZER.tokenize(text).tolist(), (TOKENIZER.tokenize(pair).tolist() if pair is not None else None)
    room = LENGTH - (3 if b is not None else 2)
    while len(a) + len(b or []) > room:
        if b is not None and len(b) > len(a):
            b.pop()
        else:
            a.pop()
    ids = [TOKENIZER.bos_id, *a, TOKENIZER.eos_id] + ([*b, TOKENIZER.eos_id] if b is not None else [])
    segments = [0] * (len(a) + 2) + [1] * (len(ids) - len(a) - 2)
    padding = LENGTH - len(ids)
    return ids + [TOKENIZER.pad_id] * padding, segments + [0] * padding


@pytest.mark.parametrize("pairs", [False, True], ids=["single", "pairs"])
def test_the_preprocessor_packs_as_the_reference_and_the_training_batches(pairs):
    rows = ROWS if pairs else [{"text": row["text"], "label": row["label"]} for row in ROWS]
    preprocessor = ClassifierPreprocessor(TOKENIZER, LENGTH, segment_ids=True)
    texts = tf.constant([row["text"] for row in rows])
    x = preprocessor(texts, tf.constant([row["text_pair"] for row in rows]) if pairs else None)

    expected = [_reference(row["text"], row.get("text_pair")) for row in rows]
    np.testing.assert_array_equal(x["token_ids"].numpy(), [ids for ids, _ in expected])
    np.testing.assert_array_equal(x["segment_ids"].numpy(), [segments for _, segments in expected])
    np.testing.assert_array_equal(x["padding_mask"].numpy(), x["token_ids"].numpy() != TOKENIZER.pad_id)

    labels = LabelVocabulary.from_rows(rows)
    (batch,) = classification_dataset(
        rows, TOKENIZER, labels, sequence_length=LENGTH, segment_ids=True, batch_size=3, padding="max_length"
    )
    for name, value in batch[0].items():
        np.testing.assert_array_equal(value.numpy(), x[name].numpy(), err_msg=name)


def test_segment_ids_only_for_models_that_read_them():
    x = ClassifierPreprocessor(TOKENIZER, LENGTH)(tf.constant(["hi"]))
    assert sorted(x) == ["padding_mask", "token_ids"]
    assert x["token_ids"].shape == (1, LENGTH) and x["token_ids"].dtype == tf.int32


def test_a_length_without_room_for_a_token_is_refused():
    with pytest.raises(ValueError, match="sequence_length"):
        ClassifierPreprocessor(TOKENIZER, 2)
