"""The decoder-only seq2seq (prefix LM) packing, in TensorFlow ops: `source <sep> target <end>`.

The one implementation that training (`prefix_lm_dataset`), the run's `PromptPreprocessor`
(`zoo evaluate`, `zoo predict`, `model.generate`, the SavedModel) and `GPTSeq2Seq.build_prompt`
(NumPy callers) share, so the model reads the same ids in all of them. One truncation rule: the source keeps its first
`max_source_length` tokens, the target its first `max_target_length - 1` (its end token takes the
last place), whatever the other side's length.

Example:

    source = tokenizer.tokenize(tf.constant(["a raw sentence"]))          # ragged ids
    prompt_ids, prompt_mask = prompts(source, separator_id=3, max_source_length=64)
"""

import tensorflow as tf

from zoo.data.pipelines.segments import with_specials


def training_sequences(source_ids, target_ids, *, separator_id, end_id, max_source_length, max_target_length):
    """Ragged `(token_ids, is_target)`: `source sep target end`, and 1 on `target end` (the trained predictions).

    At most `max_source_length + 1 + max_target_length` tokens a row.
    """
    source = with_specials(source_ids[:, :max_source_length], last=separator_id)
    target = with_specials(target_ids[:, : max_target_length - 1], last=end_id)
    token_ids = tf.concat([source, target], axis=1)
    is_target = tf.concat([tf.zeros_like(source), tf.ones_like(target)], axis=1)
    return token_ids, is_target


def prompts(source_ids, *, separator_id, max_source_length, pad_id=0):
    """`(prompt_ids, prompt_mask)`, int32 `(batch, max_source_length + 1)`: `source sep`, right-padded.

    `source_ids` is a ragged batch of ids (a dense one is read up to its first `pad_id`).
    Generation continues after the separator, up to `max_target_length` new tokens.
    """
    if not isinstance(source_ids, tf.RaggedTensor):
        source_ids = tf.RaggedTensor.from_tensor(source_ids, padding=pad_id)
    source = with_specials(tf.cast(source_ids[:, :max_source_length], tf.int32), last=separator_id)
    prompt_ids = source.to_tensor(default_value=pad_id, shape=[None, max_source_length + 1])
    prompt_mask = tf.sequence_mask(source.row_lengths(), max_source_length + 1, dtype=tf.int32)
    return prompt_ids, prompt_mask
