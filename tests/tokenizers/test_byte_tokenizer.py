"""Byte-level tokenizer: ids are UTF-8 bytes + 5, round trips are exact, bad bytes are replaced."""

import pytest

from zoo.tokenizers import ByteTokenizer, train_tokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

TEXTS = ["A plain sentence.", "", "猫が好き 😀👍🏽", "tab\tand\nnewline", "Ünïcödé ß"]


def test_ids_are_the_utf8_bytes_shifted_by_the_special_tokens():
    tokenizer = ByteTokenizer()
    for text, ids in zip(TEXTS, tokenizer.tokenize(TEXTS)):
        assert ids.tolist() == [b + 5 for b in text.encode("utf-8")]
    assert tokenizer.vocabulary_size == 261
    assert tokenizer.get_vocabulary()[5] == "<0x00>" and tokenizer.get_vocabulary()[-1] == "<0xFF>"


def test_round_trip_is_exact_for_any_valid_text():
    tokenizer = ByteTokenizer()
    assert tokenizer.detokenize(tokenizer.tokenize(TEXTS, add_bos=True, add_eos=True)) == TEXTS
    assert tokenizer.detokenize(tokenizer.tokenize(TEXTS, sequence_length=64)) == TEXTS


def test_invalid_utf8_is_replaced_both_ways():
    tokenizer = ByteTokenizer()
    replacement = [b + 5 for b in "\ufffd".encode("utf-8")]

    assert tokenizer.tokenize(b"a\xffb").tolist() == [102] + replacement + [103]
    # A lone continuation byte (0x80) and a truncated sequence (0xC3) are not valid UTF-8.
    assert tokenizer.detokenize([102, 0x80 + 5, 0xC3 + 5]) == "a\ufffd\ufffd"
    assert tokenizer.detokenize([102, tokenizer.unk_id]) == "a\ufffd"


def test_train_takes_no_vocabulary_size():
    assert isinstance(train_tokenizer("byte", ["ignored"]), ByteTokenizer)
    assert train_tokenizer("byte", [], 261).vocabulary_size == 261
    with pytest.raises(ValueError, match="Received: vocabulary_size=300"):
        train_tokenizer("byte", [], 300)
