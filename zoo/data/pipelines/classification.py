"""Classification batches: `cls text sep` (or `cls a sep b sep`), padding mask, label id."""

import numpy as np
import tensorflow as tf

from zoo.data.pipelines.batching import BatchOptions, padded_batches, prefetched, rows_column, shuffled
from zoo.data.pipelines.segments import bert_pack, require_room


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
    include_segment_ids = has_pairs if segment_ids is None else bool(segment_ids)
    columns = {"text": rows_column(rows, "text"), "label": np.asarray(label_vocabulary.encode_rows(rows), np.int32)}
    if has_pairs:
        columns["text_pair"] = rows_column(rows, "text_pair")
    examples = shuffled(columns, options)

    def encode(strings):
        texts = [strings["text"], strings["text_pair"]] if has_pairs else [strings["text"]]
        token_ids, segments = bert_pack(
            [tokenizer.tokenize(text) for text in texts], sequence_length, tokenizer.bos_id, tokenizer.eos_id
        )
        return {"token_ids": token_ids, "segment_ids": segments, "label": strings["label"]}

    def to_fit_inputs(features):
        x = {
            "token_ids": features["token_ids"],
            "padding_mask": tf.cast(features["token_ids"] != tokenizer.pad_id, tf.int32),
        }
        if include_segment_ids:
            x["segment_ids"] = features["segment_ids"]
        return x, features["label"]

    lengths = {"token_ids": ("tokens", sequence_length), "segment_ids": ("tokens", sequence_length)}
    return prefetched(padded_batches(examples, encode, lengths, options), to_fit_inputs)
