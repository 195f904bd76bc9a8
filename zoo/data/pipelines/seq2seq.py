"""Sequence-to-sequence batches: encoder-decoder (Transformer, LSTM) and decoder-only prefix LM."""

import dataclasses

import tensorflow as tf

from zoo.data.pipelines.batching import BatchOptions, padded_batches, prefetched, rows_column, shuffled
from zoo.data.pipelines.prefix_lm import training_sequences
from zoo.data.pipelines.segments import require_room, truncate, with_prefix, with_specials
from zoo.tokenizers.base import SPECIAL_TOKEN_NAMES


def _source_target_examples(rows, options):
    columns = {"source": rows_column(rows, "source"), "target": rows_column(rows, "target")}
    return shuffled(columns, options)


@dataclasses.dataclass(frozen=True)
class Seq2SeqFormat:
    """How an encoder-decoder reads a pair: the source's special tokens and the decoder's start tokens.

    The zoo's own (the default): `source eos` into the encoder, and the decoder starts from `bos`.
    BART's (an imported BART run keeps it, and so do runs started from one): `bos source eos`, and
    the decoder starts from `eos bos` (its `decoder_start_token_id`, then the forced `<s>`).
    `decoder_start` names tokenizer specials ("bos", "eos", ...). Saved in a run's task info
    (`to_info`), read back with `from_info`, so training, `zoo predict` and the export agree.

    Example:

        bart = Seq2SeqFormat(source_bos=True, decoder_start=("eos", "bos"))
        bart.start_ids(tokenizer)  # [3, 2]
    """

    source_bos: bool = False
    decoder_start: tuple = ("bos",)

    def __post_init__(self):
        if not self.decoder_start or any(name not in SPECIAL_TOKEN_NAMES for name in self.decoder_start):
            raise ValueError(
                f"`decoder_start` must name specials among {list(SPECIAL_TOKEN_NAMES)}. "
                f"Received: {self.decoder_start!r}"
            )
        object.__setattr__(self, "decoder_start", tuple(self.decoder_start))

    @classmethod
    def from_info(cls, info):
        return cls(**(info or {}).get(INFO_KEY, {}))

    def to_info(self):
        """`{}` for the zoo's default, else `{"seq2seq_format": {...}}` to merge into a run's task info."""
        return (
            {}
            if self == ZOO_FORMAT
            else {INFO_KEY: dataclasses.asdict(self) | {"decoder_start": list(self.decoder_start)}}
        )

    def start_ids(self, tokenizer):
        """The decoder's start token ids (its prompt when decoding)."""
        return [getattr(tokenizer, f"{name}_id") for name in self.decoder_start]

    def source_ids(self, tokenizer, texts, sequence_length):
        """The encoder's ids of raw `texts` (a string tensor or list), padded to `sequence_length`."""
        return tokenizer.tokenize(texts, add_bos=self.source_bos, add_eos=True, sequence_length=sequence_length)


INFO_KEY = "seq2seq_format"
ZOO_FORMAT = Seq2SeqFormat()  # the zoo's own: `source eos`, decoding from `bos`


def seq2seq_dataset(
    rows, tokenizer, *, max_source_length=128, max_target_length=128, seq2seq_format=ZOO_FORMAT, **batch_options
):
    """A `tf.data.Dataset` of `(x, y, sample_weight)` batches for encoder-decoder models.

    `x`: int32 "encoder_token_ids" (`source eos`), "encoder_padding_mask", "decoder_token_ids"
    (`bos target`, teacher forcing) and "decoder_padding_mask"; `y`: `target eos`, the decoder
    inputs shifted by one; `sample_weight`: float32 1 on real target positions, 0 on padding.
    Texts longer than their maximum are cut at the end. Another `seq2seq_format` (`Seq2SeqFormat`) adds
    `bos` before the source and starts the decoder inputs with its start tokens (BART:
    `eos bos target`, labels `bos target eos`).

    Args:
        rows: dicts with "source" and "target" (`zoo.data.read_translation` /
            `read_summarization`).
        tokenizer: a `zoo.tokenizers.Tokenizer` shared by source and target.
        max_source_length: the maximum encoder length, eos included.
        max_target_length: the maximum decoder length, the start tokens (inputs) or eos (labels) included.
        seq2seq_format: the `Seq2SeqFormat` of the model's inputs.
        **batch_options: the options of `BatchOptions` (batch_size, shuffle, seed, padding, ...).

    Example:

        model.fit(seq2seq_dataset(read_translation("train.tsv"), tokenizer, shuffle=True, seed=0))
    """
    options = BatchOptions(**batch_options)
    start = seq2seq_format.start_ids(tokenizer)
    source_specials = 1 + int(seq2seq_format.source_bos)
    require_room("max_source_length", max_source_length, source_specials)
    require_room("max_target_length", max_target_length, len(start))
    examples = _source_target_examples(rows, options)

    def encode(strings):
        (source,) = truncate([tokenizer.tokenize(strings["source"])], max_source_length - source_specials)
        (target,) = truncate([tokenizer.tokenize(strings["target"])], max_target_length - len(start))
        return {
            "encoder_token_ids": with_specials(
                source, first=tokenizer.bos_id if seq2seq_format.source_bos else None, last=tokenizer.eos_id
            ),
            "decoder_token_ids": with_prefix(target, start),
            "labels": with_specials(with_prefix(target, start[1:]), last=tokenizer.eos_id),
        }

    def to_fit_inputs(features):
        x = {
            "encoder_token_ids": features["encoder_token_ids"],
            "encoder_padding_mask": tf.cast(features["encoder_token_ids"] != tokenizer.pad_id, tf.int32),
            "decoder_token_ids": features["decoder_token_ids"],
            "decoder_padding_mask": tf.cast(features["decoder_token_ids"] != tokenizer.pad_id, tf.int32),
        }
        return x, features["labels"], tf.cast(x["decoder_padding_mask"], tf.float32)

    lengths = {
        "encoder_token_ids": ("source", max_source_length),
        "decoder_token_ids": ("target", max_target_length),
        "labels": ("target", max_target_length),
    }
    return prefetched(padded_batches(examples, encode, lengths, options), to_fit_inputs)


def prefix_lm_dataset(
    rows, tokenizer, *, max_source_length=128, max_target_length=128, separator_id=None, **batch_options
):
    """A `tf.data.Dataset` of `(x, y, sample_weight)` batches for a decoder-only seq2seq (`GPTSeq2Seq`).

    Each example is `source sep target eos` (`sep` defaults to the eos token), the source cut to
    `max_source_length` tokens and the target to `max_target_length` with its eos
    (`zoo.data.pipelines.prefix_lm`, shared with prediction and the export), then shifted:
    `x = {"token_ids": ids[:-1], "padding_mask"}`, `y = ids[1:]`, and `sample_weight` float32 1
    exactly where `y` is a target token or the final eos (the source is context only).

    Args:
        rows: dicts with "source" and "target".
        tokenizer: a `zoo.tokenizers.Tokenizer`.
        max_source_length: the most source tokens a row keeps.
        max_target_length: the most target tokens a row keeps, its eos included. `x` is at most
            `max_source_length + max_target_length` tokens long.
        separator_id: the token between source and target; default `tokenizer.eos_id`. Give the
            model's `separator_token_id`.
        **batch_options: the options of `BatchOptions` (batch_size, shuffle, seed, padding, ...).

    Example:

        model = GPTSeq2Seq(backbone, separator_token_id=tokenizer.eos_id)
        model.fit(prefix_lm_dataset(rows, tokenizer, max_source_length=64, max_target_length=64, shuffle=True))
    """
    options = BatchOptions(**batch_options)
    require_room("max_source_length", max_source_length, 0)
    require_room("max_target_length", max_target_length, 1)
    separator_id = tokenizer.eos_id if separator_id is None else separator_id
    examples = _source_target_examples(rows, options)

    def encode(strings):
        token_ids, is_target = training_sequences(
            tokenizer.tokenize(strings["source"]),
            tokenizer.tokenize(strings["target"]),
            separator_id=separator_id,
            end_id=tokenizer.eos_id,
            max_source_length=max_source_length,
            max_target_length=max_target_length,
        )
        return {"token_ids": token_ids[:, :-1], "labels": token_ids[:, 1:], "weights": is_target[:, 1:]}

    def to_fit_inputs(features):
        x = {
            "token_ids": features["token_ids"],
            "padding_mask": tf.cast(features["token_ids"] != tokenizer.pad_id, tf.int32),
        }
        return x, features["labels"], tf.cast(features["weights"], tf.float32)

    length = max_source_length + max_target_length
    lengths = {name: ("tokens", length) for name in ("token_ids", "labels", "weights")}
    return prefetched(padded_batches(examples, encode, lengths, options), to_fit_inputs)
