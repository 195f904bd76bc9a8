"""Seq2SeqFormat: the zoo's and BART's pair layouts, in the training batches and the decoding prompts."""

import numpy as np
import pytest

from zoo.data.pipelines import Seq2SeqFormat, seq2seq_dataset
from zoo.tokenizers import ByteTokenizer

TOKENIZER = ByteTokenizer()
PAIRS = [{"source": "abcdef", "target": "xyz"}, {"source": "ab", "target": "w"}]
BART = Seq2SeqFormat(source_bos=True, decoder_start=("eos", "bos"))
BOS, EOS = TOKENIZER.bos_id, TOKENIZER.eos_id


def ids(text):
    return TOKENIZER.tokenize(text).tolist()


def first_batch(seq2seq_format, max_source_length=6, max_target_length=5):
    dataset = seq2seq_dataset(
        PAIRS,
        TOKENIZER,
        max_source_length=max_source_length,
        max_target_length=max_target_length,
        seq2seq_format=seq2seq_format,
        batch_size=2,
        padding="max_length",
    )
    x, y, weights = next(iter(dataset))
    return {name: value.numpy() for name, value in x.items()}, y.numpy(), weights.numpy()


def unpadded(row):
    return [int(i) for i in row if i != TOKENIZER.pad_id]


@pytest.mark.one_backend
def test_the_zoo_format_reads_source_eos_and_decodes_from_bos():
    x, y, _ = first_batch(Seq2SeqFormat())
    assert unpadded(x["encoder_token_ids"][0]) == ids("abcde") + [EOS]  # cut to 6 with eos
    assert unpadded(x["decoder_token_ids"][0]) == [BOS] + ids("xyz")
    assert unpadded(y[0]) == ids("xyz") + [EOS]


@pytest.mark.one_backend
def test_barts_format_adds_bos_to_the_source_and_starts_the_decoder_with_eos_bos():
    x, y, weights = first_batch(BART)
    assert unpadded(x["encoder_token_ids"][0]) == [BOS] + ids("abcd") + [EOS]
    assert unpadded(x["encoder_token_ids"][1]) == [BOS] + ids("ab") + [EOS]
    assert unpadded(x["decoder_token_ids"][0]) == [EOS, BOS] + ids("xyz")
    assert unpadded(y[0]) == [BOS] + ids("xyz") + [EOS]  # the decoder inputs shifted by one
    assert unpadded(y[1]) == [BOS] + ids("w") + [EOS]
    np.testing.assert_array_equal(weights, x["decoder_padding_mask"])
    assert BART.start_ids(TOKENIZER) == [EOS, BOS]
    source = BART.source_ids(TOKENIZER, ["abcdef"], 6)
    assert source.tolist() == [[BOS, *ids("abcd"), EOS]]


@pytest.mark.one_backend
def test_the_format_round_trips_through_task_info_and_the_default_leaves_no_trace():
    assert Seq2SeqFormat().to_info() == {}
    assert Seq2SeqFormat.from_info({}) == Seq2SeqFormat() == Seq2SeqFormat.from_info(None)
    info = BART.to_info()
    assert info == {"seq2seq_format": {"source_bos": True, "decoder_start": ["eos", "bos"]}}
    assert Seq2SeqFormat.from_info(info) == BART


@pytest.mark.one_backend
def test_bad_start_tokens_and_too_short_lengths_are_refused():
    with pytest.raises(ValueError, match="`decoder_start` must name specials"):
        Seq2SeqFormat(decoder_start=("start",))
    with pytest.raises(ValueError, match="max_target_length"):
        first_batch(BART, max_target_length=2)
