"""Classification batches: `cls text sep` (or `cls a sep b sep`), padding mask, label id.

`ClassifierPreprocessor` is the one packing of raw texts into a classifier's inputs: training
(`classification_dataset`), `zoo evaluate` / `zoo predict`, `model.predict(["raw text"])` on a
loaded run and the SavedModel's signature all call it.
"""

import numpy as np
import tensorflow as tf

from zoo.data.pipelines.batching import BatchOptions, padded_batches, prefetched, rows_column, shuffled
from zoo.data.pipelines.segments import bert_pack, require_room


class ClassifierPreprocessor:
    """Raw texts (and optional second texts) -> a classifier's inputs, in TensorFlow ops.

    `bos text eos` (BERT's `[CLS] text [SEP]`), or `bos a eos b eos` with the longer text cut
    first, at most `sequence_length` tokens; `"padding_mask"`, and `"segment_ids"` when the model
    reads them (`segment_ids=True`).

    Example:

        preprocessor = ClassifierPreprocessor(tokenizer, sequence_length=128)
        x = preprocessor(tf.constant(["a raw review"]))  # {"token_ids", "padding_mask"}, (1, 128) int32
    """

    def __init__(self, tokenizer, sequence_length, segment_ids=False):
        require_room("sequence_length", sequence_length, 2)
        self.tokenizer, self.sequence_length, self.segment_ids = tokenizer, sequence_length, bool(segment_ids)

    def pack(self, texts, text_pairs=None):
        """Ragged `(token_ids, segment_ids)` of a batch of strings (and of their second texts)."""
        segments = [texts] if text_pairs is None else [texts, text_pairs]
        tokenizer = self.tokenizer
        return bert_pack(
            [tokenizer.tokenize(text) for text in segments], self.sequence_length, tokenizer.bos_id, tokenizer.eos_id
        )

    def model_inputs(self, token_ids, segment_ids):
        """The model's input dict of padded `(batch, length)` ids and segment ids."""
        x = {"token_ids": token_ids, "padding_mask": tf.cast(token_ids != self.tokenizer.pad_id, tf.int32)}
        if self.segment_ids:
            x["segment_ids"] = segment_ids
        return x

    def __call__(self, texts, text_pairs=None):
        """The inputs of a batch of raw strings, padded to `sequence_length`."""
        token_ids, segment_ids = self.pack(texts, text_pairs)
        shape = [None, self.sequence_length]
        return self.model_inputs(token_ids.to_tensor(shape=shape), segment_ids.to_tensor(shape=shape))


def classification_dataset(
    rows, tokenizer, label_vocabulary, *, sequence_length=128, segment_ids=None, **batch_options
):
    """A `tf.data.Dataset` of `(x, y)` batches for a classifier's `fit` / `evaluate`.

    `x` holds int32 `"token_ids"` (`bos text eos`, BERT's `[CLS] text [SEP]`; with a
    "text_pair" field in the rows `bos a eos b eos`, the longer text cut first to fit) and
    `"padding_mask"`, plus `"segment_ids"` (0 on `a`, 1 on `b`) when `segment_ids` is True
    (default: only for pairs; BERT needs them always). `y` is the int32 class id of each row's
    "label" in `label_vocabulary` (a `zoo.data.LabelVocabulary`).

    Args:
        rows: dicts with "text", "label" and optionally "text_pair", as
            `zoo.data.read_classification` returns them.
        tokenizer: a `zoo.tokenizers.Tokenizer`.
        label_vocabulary: the `LabelVocabulary` mapping labels to ids.
        sequence_length: the maximum number of tokens, special tokens included.
        segment_ids: whether `x` has "segment_ids"; None: only for text pairs.
        **batch_options: the options of `BatchOptions` (batch_size, shuffle, seed, padding, ...).

    Example:

        labels = LabelVocabulary.from_rows(rows)
        dataset = classification_dataset(rows, ByteTokenizer(), labels, batch_size=16, shuffle=True, seed=0)
        model.fit(dataset, epochs=2)
    """
    options = BatchOptions(**batch_options)
    has_pairs = "text_pair" in next(iter(rows), {})
    require_room("sequence_length", sequence_length, 3 if has_pairs else 2)
    preprocessor = ClassifierPreprocessor(tokenizer, sequence_length, has_pairs if segment_ids is None else segment_ids)
    columns = {"text": rows_column(rows, "text"), "label": np.asarray(label_vocabulary.encode_rows(rows), np.int32)}
    if has_pairs:
        columns["text_pair"] = rows_column(rows, "text_pair")
    examples = shuffled(columns, options)

    def encode(strings):
        token_ids, segments = preprocessor.pack(strings["text"], strings.get("text_pair"))
        return {"token_ids": token_ids, "segment_ids": segments, "label": strings["label"]}

    def to_fit_inputs(features):
        return preprocessor.model_inputs(features["token_ids"], features["segment_ids"]), features["label"]

    lengths = {"token_ids": ("tokens", sequence_length), "segment_ids": ("tokens", sequence_length)}
    return prefetched(padded_batches(examples, encode, lengths, options), to_fit_inputs)
