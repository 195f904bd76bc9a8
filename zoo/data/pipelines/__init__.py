"""tf.data pipelines from reader rows to `model.fit` batches, for every task and backend.

Each `*_dataset(rows, tokenizer, ..., **batch_options)` returns a `tf.data.Dataset` of
`(x, y[, sample_weight])` with `x` a dict of int32 tensors named as the models expect.
Tokenization runs inside the graph on whole batches of strings; shuffling, padding (to a few
fixed bucket widths, dynamic to a multiple of 8, or to the maximum length), length bucketing,
repeat and prefetch are set by the `BatchOptions` keywords. `keras.Model.fit` reads these datasets
on TensorFlow, JAX and PyTorch.

- `classification_dataset`: x token_ids, padding_mask (+ segment_ids); y class ids.
- `masked_lm_dataset`: x token_ids (masked), padding_mask, segment_ids, mask_positions; y the
  original ids there; sample_weight 1 on real mask slots (+ next-sentence labels on request).
- `causal_lm_dataset`: x token_ids, padding_mask (windows of a token stream, no padding);
  y the next tokens.
- `seq2seq_dataset`: x encoder_/decoder_ token_ids and padding_mask; y target + eos;
  sample_weight the target padding mask.
- `prefix_lm_dataset`: x token_ids (source sep target eos), padding_mask; y the next tokens;
  sample_weight 1 on the target part only.
"""

from zoo.data.pipelines.batching import BatchOptions, bucket_widths
from zoo.data.pipelines.classification import classification_dataset
from zoo.data.pipelines.language_modeling import causal_lm_dataset, masked_lm_dataset
from zoo.data.pipelines.masking import mask_tokens
from zoo.data.pipelines.seq2seq import Seq2SeqFormat, prefix_lm_dataset, seq2seq_dataset

__all__ = [
    "BatchOptions",
    "bucket_widths",
    "causal_lm_dataset",
    "classification_dataset",
    "mask_tokens",
    "masked_lm_dataset",
    "prefix_lm_dataset",
    "Seq2SeqFormat",
    "seq2seq_dataset",
]
