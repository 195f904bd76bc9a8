"""Language-model batches: BERT masked LM (optionally with next-sentence prediction) and causal LM."""

import math

import numpy as np
import tensorflow as tf

from zoo.data.pipelines.batching import (
    AUTOTUNE,
    BatchOptions,
    padded_batches,
    prefetched,
    rows_column,
    shuffled,
    with_random_seeds,
    without_autograph,
)
from zoo.data.pipelines.masking import mask_tokens
from zoo.data.pipelines.segments import bert_pack, require_room, with_specials
from zoo.validation import require_positive_int, require_rate

# Strings tokenized per call by the causal LM stream.
_TOKENIZE_CHUNK = 256


def masked_lm_dataset(
    rows,
    tokenizer,
    *,
    sequence_length=128,
    mask_rate=0.15,
    max_predictions=None,
    mask_token_rate=0.8,
    random_token_rate=0.1,
    next_sentence=False,
    packed=False,
    **batch_options,
):
    """A `tf.data.Dataset` of `(x, y, sample_weight)` batches for BERT's masked LM (and NSP).

    Each row's "text" becomes `bos text eos` (`[CLS] text [SEP]`). With `packed=True` the texts
    (shuffled as asked), each followed by eos, are joined into one stream instead and cut into
    windows of `sequence_length - 1` tokens, each after a bos (RoBERTa's full sentences): no
    padding but the last window's, and every batch has one shape. Masks are drawn anew on every
    pass over the data (dynamic masking, RoBERTa), reproducibly for a `seed`: `ceil(mask_rate *
    n)` of a row's n text tokens (at most `max_predictions`) are chosen, then replaced by the mask
    token (`mask_token_rate`), a random text token (`random_token_rate`) or left as they are.
    Special tokens and padding are never chosen.

    `x`: int32 "token_ids" (masked), "padding_mask", "segment_ids", "mask_positions"
    `(B, max_predictions)`; `y`: the original ids at `mask_positions`; `sample_weight`: float32
    1 for a real mask slot, 0 for a padded one (`BertMaskedLM`'s contract).

    With `next_sentence=True` (`BertPretrainer`'s contract), example i pairs line i with line
    i + 1 (label 1) or, half of the time, with a random other line (label 0), packed as
    `bos a eos b eos` (longer sentence cut first) with segment ids 0/1; then
    `y = {"mlm": ids, "nsp": labels}` and `sample_weight = {"mlm": weights, "nsp": ones}`.

    Args:
        rows: dicts with "text" (e.g. `zoo.data.read_text`); consecutive rows are consecutive
            sentences for next-sentence prediction.
        tokenizer: a `zoo.tokenizers.Tokenizer`.
        sequence_length: the maximum number of tokens, special tokens included.
        mask_rate: the fraction of text tokens chosen for prediction.
        max_predictions: mask slots per example; default `ceil(mask_rate * sequence_length)`.
        mask_token_rate, random_token_rate: how chosen tokens are replaced (the rest unchanged).
        next_sentence: add the next-sentence-prediction task.
        packed: fill every example with the stream of texts rather than one text (not with
            `next_sentence`, which pairs whole lines; `padding` and `bucket_boundaries` do not apply).
        **batch_options: the options of `BatchOptions` (batch_size, shuffle, seed, padding, ...).

    Example:

        dataset = masked_lm_dataset(read_text("wiki.txt"), tokenizer, shuffle=True, seed=0)
        BertMaskedLM(backbone).fit(dataset)
    """
    options = BatchOptions(**batch_options)
    require_room("sequence_length", sequence_length, 3 if next_sentence else 2)
    require_rate("mask_rate", mask_rate)
    require_rate("mask_token_rate", mask_token_rate)
    require_rate("random_token_rate", random_token_rate)
    if mask_token_rate + random_token_rate > 1:
        raise ValueError(
            "`mask_token_rate + random_token_rate` must be at most 1. "
            f"Received: mask_token_rate={mask_token_rate}, random_token_rate={random_token_rate}"
        )
    if max_predictions is None:
        max_predictions = math.ceil(mask_rate * sequence_length)
    require_positive_int("max_predictions", max_predictions)
    batches = _masked_lm_features(rows_column(rows, "text"), tokenizer, sequence_length, options, next_sentence, packed)

    def to_fit_inputs(features, seed):
        masked = mask_tokens(
            features["token_ids"],
            seed,
            vocabulary_size=tokenizer.vocabulary_size,
            mask_id=tokenizer.mask_id,
            max_predictions=max_predictions,
            mask_rate=mask_rate,
            mask_token_rate=mask_token_rate,
            random_token_rate=random_token_rate,
        )
        x = {
            "token_ids": masked["token_ids"],
            "padding_mask": tf.cast(features["token_ids"] != tokenizer.pad_id, tf.int32),
            "segment_ids": features["segment_ids"],
            "mask_positions": masked["mask_positions"],
        }
        if not next_sentence:
            return x, masked["mask_labels"], masked["mask_weights"]
        nsp = features["next_sentence"]
        y = {"mlm": masked["mask_labels"], "nsp": nsp}
        return x, y, {"mlm": masked["mask_weights"], "nsp": tf.ones_like(nsp, tf.float32)}

    return prefetched(with_random_seeds(batches, options.seed, repeated=options.repeat), to_fit_inputs)


def _masked_lm_features(texts, tokenizer, sequence_length, options, next_sentence, packed):
    """Batches of `{"token_ids", "segment_ids"[, "next_sentence"]}`: packed windows, line pairs or single lines."""
    if packed:
        if next_sentence:
            raise ValueError(
                "Packed windows cut across lines, and next-sentence prediction pairs whole lines: "
                "pass packed=False with next_sentence=True."
            )
        _refuse_buckets("Packed MLM windows", options)
        return _packed_windows(texts, tokenizer, sequence_length, options)
    examples, encode = (_sentence_pairs if next_sentence else _single_lines)(texts, tokenizer, sequence_length, options)
    lengths = {"token_ids": ("tokens", sequence_length), "segment_ids": ("tokens", sequence_length)}
    return padded_batches(examples, encode, lengths, options)


def _single_lines(texts, tokenizer, sequence_length, options):
    """Examples (the lines) and their encoder: `bos line eos`, segment ids 0."""

    def encode(strings):
        token_ids, segment_ids = bert_pack(
            [tokenizer.tokenize(strings["text"])], sequence_length, tokenizer.bos_id, tokenizer.eos_id
        )
        return {"token_ids": token_ids, "segment_ids": segment_ids}

    return shuffled({"text": texts}, options), encode


def _packed_windows(texts, tokenizer, sequence_length, options):
    """Batches of `{"token_ids", "segment_ids"}`: bos and the next `sequence_length - 1` tokens of the stream.

    The last window of a pass that does not repeat is padded to `sequence_length`.
    """
    windows = _token_stream(texts, tokenizer, options).rebatch(sequence_length - 1)
    windows = windows.map(without_autograph(lambda window: tf.concat([[tokenizer.bos_id], window], axis=0)))
    batches = windows.padded_batch(
        options.batch_size,
        padded_shapes=[sequence_length],
        padding_values=tokenizer.pad_id,
        drop_remainder=options.drop_remainder,
    )
    return batches.map(
        without_autograph(lambda token_ids: {"token_ids": token_ids, "segment_ids": tf.zeros_like(token_ids)})
    )


def _token_stream(texts, tokenizer, options):
    """The texts' token ids, shuffled and repeated as asked, each text followed by eos: a stream of 1-D chunks."""
    stream = shuffled(texts, options).batch(_TOKENIZE_CHUNK)
    return stream.map(
        without_autograph(lambda batch: with_specials(tokenizer.tokenize(batch), last=tokenizer.eos_id).flat_values),
        num_parallel_calls=AUTOTUNE,
    )


def _refuse_buckets(what, options):
    if options.bucket_boundaries is not None:
        raise ValueError(
            f"{what} all have the same length, so there is nothing to bucket. "
            f"Received: bucket_boundaries={options.bucket_boundaries}"
        )


def _sentence_pairs(texts, tokenizer, sequence_length, options):
    """Examples (first-line indices with two random draws) and their encoder, for NSP."""
    if len(texts) < 3:
        raise ValueError(
            f"Next-sentence prediction pairs consecutive rows and needs at least 3 rows. Received: {len(texts)} rows"
        )
    lines = tf.constant(texts)
    num_lines = len(texts)
    examples = shuffled(np.arange(num_lines - 1), options)
    # Pairing draws (new on each pass) come from a stream seeded apart from the masks' stream.
    seed = None if options.seed is None else options.seed + 1
    examples = with_random_seeds(examples, seed, repeated=options.repeat)
    examples = examples.map(without_autograph(lambda first, draws: {"first": first, "draws": draws}))

    def encode(batch):
        first, draws = batch["first"], batch["draws"]
        is_next = draws[:, 0] % 2 == 0
        # A random line other than the true next one: draw from n - 1 lines and skip over it.
        other = draws[:, 1] % (num_lines - 1)
        other = tf.where(other >= first + 1, other + 1, other)
        second = tf.where(is_next, first + 1, other)
        segments = [tokenizer.tokenize(tf.gather(lines, first)), tokenizer.tokenize(tf.gather(lines, second))]
        token_ids, segment_ids = bert_pack(segments, sequence_length, tokenizer.bos_id, tokenizer.eos_id)
        return {"token_ids": token_ids, "segment_ids": segment_ids, "next_sentence": tf.cast(is_next, tf.int32)}

    return examples, encode


def causal_lm_dataset(rows, tokenizer, *, sequence_length=128, **batch_options):
    """A `tf.data.Dataset` of `(x, y, sample_weight)` batches for next-token prediction, with no padding.

    The rows' texts (shuffled as asked) are tokenized, each followed by the eos token, joined
    into one stream and cut into windows of `sequence_length + 1` tokens; the last partial
    window of a pass is dropped. `x = {"token_ids": window[:-1], "padding_mask": ones}`,
    `y = window[1:]`, `sample_weight` float32 ones. `padding` and `bucket_boundaries` do not
    apply (there is no padding).

    Args:
        rows: dicts with "text" (e.g. `zoo.data.read_text`).
        tokenizer: a `zoo.tokenizers.Tokenizer`.
        sequence_length: tokens per model input.
        **batch_options: the options of `BatchOptions` (batch_size, shuffle, seed, repeat, ...).

    Example:

        GPTCausalLM(backbone).fit(causal_lm_dataset(rows, tokenizer, sequence_length=256, shuffle=True, seed=0))
    """
    options = BatchOptions(**batch_options)
    require_positive_int("sequence_length", sequence_length)
    _refuse_buckets("Causal LM windows", options)
    windows = _token_stream(rows_column(rows, "text"), tokenizer, options).rebatch(
        sequence_length + 1, drop_remainder=True
    )
    batches = windows.batch(options.batch_size, drop_remainder=options.drop_remainder)

    def to_fit_inputs(window):
        inputs = window[:, :-1]
        ones = tf.ones_like(inputs)
        return {"token_ids": inputs, "padding_mask": ones}, window[:, 1:], tf.cast(ones, tf.float32)

    return prefetched(batches, to_fit_inputs)


def causal_prompts(token_ids, *, bos_id, sequence_length, pad_id=0):
    """`(prompt_ids, prompt_mask)`, int32 `(batch, sequence_length)`: `bos text`, its last `sequence_length` tokens.

    Right-padded with `pad_id`, so every batch has one shape. The prompts `zoo predict` and the
    SavedModel's clm signatures continue (`token_ids` a ragged batch, as `tokenizer.tokenize` gives).

    Example:

        prompt_ids, prompt_mask = causal_prompts(tokenizer.tokenize(tf.constant(["the old man"])),
                                                 bos_id=tokenizer.bos_id, sequence_length=64)
    """
    ids = with_specials(tf.cast(token_ids, tf.int32), first=bos_id)[:, -sequence_length:]
    prompt_ids = ids.to_tensor(default_value=pad_id, shape=[None, sequence_length])
    prompt_mask = tf.sequence_mask(ids.row_lengths(), sequence_length, dtype=tf.int32)
    return prompt_ids, prompt_mask
