"""WordPiece: the asked vocabulary size is reached, normalized round trip, options, validation."""

import re

import keras_hub
import pytest
import tensorflow as tf

from zoo.tokenizers import WordPieceTokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _bert_normalized(text):
    """Independent reference of BERT uncased splitting for ASCII text: lowercase, punctuation apart."""
    return " ".join(re.sub(r"([^\w\s])", r" \1 ", text.lower()).split())


def test_vocabulary_reaches_the_asked_size_where_keras_hub_stops_short(corpus):
    # On this corpus 586 of 772 words are seen fewer than 10 times.
    keras_hub_vocabulary = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(corpus).batch(500), 600, reserved_tokens=SPECIAL_TOKENS
    )
    tokenizer = WordPieceTokenizer.train(corpus, vocabulary_size=600)

    assert len(keras_hub_vocabulary) == 375
    assert tokenizer.vocabulary_size == 600
    assert len(set(tokenizer.get_vocabulary())) == 600


def test_learn_parameters_reach_the_learner(corpus):
    with pytest.warns(UserWarning, match="asked for vocabulary_size=600"):
        thresholded = WordPieceTokenizer.train(corpus, vocabulary_size=600, lower_thresh=10)
    assert thresholded.vocabulary_size < 600
    with pytest.raises(ValueError, match="Unknown WordPiece learn parameters \\['min_count'\\]"):
        WordPieceTokenizer.train(corpus, vocabulary_size=600, min_count=2)


def test_round_trip_gives_the_normalized_text(tokenizers, held_out_sentences):
    tokenizer = tokenizers["wordpiece"]
    ids = tokenizer.tokenize(held_out_sentences)

    assert tokenizer.detokenize(ids) == [_bert_normalized(text) for text in held_out_sentences]
    assert tokenizer.detokenize(tokenizer.tokenize("Héllo, KARU!")) == "[UNK] , karu !"


def test_pieces_follow_the_vocabulary(tokenizers):
    tokenizer = tokenizers["wordpiece"]
    vocabulary = tokenizer.get_vocabulary()
    pieces = [vocabulary[i] for i in tokenizer.tokenize("Karu brikasa.")]

    assert "".join(p.removeprefix("##") for p in pieces) == "karubrikasa."
    assert pieces[-1] == "." and not pieces[0].startswith("##")


def test_lowercase_false_keeps_case(corpus):
    tokenizer = WordPieceTokenizer.train(corpus[:300], vocabulary_size=120, lowercase=False)

    assert tokenizer.detokenize(tokenizer.tokenize("Karu ka.")) == "Karu ka ."
    assert tokenizer.get_config()["options"]["lowercase"] is False


def test_words_longer_than_max_bytes_become_unknown(tokenizers):
    tokenizer = tokenizers["wordpiece"]

    assert tokenizer.tokenize("ka" * 5_000).tolist() == [tokenizer.unk_id]
    assert tokenizer.unk_id not in tokenizer.tokenize("ka" * 50).tolist()
    assert tokenizer.tokenize(["ka" * 5_000 + " lo"])[0].tolist() == [1] + tokenizer.tokenize("lo").tolist()


def test_constructor_refuses_bad_vocabularies():
    with pytest.raises(ValueError, match="must start with"):
        WordPieceTokenizer(["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]", "a"])
    with pytest.raises(ValueError, match="must not repeat"):
        WordPieceTokenizer(SPECIAL_TOKENS + ["a", "b", "a"])
    with pytest.raises(ValueError, match="without line breaks"):
        WordPieceTokenizer(SPECIAL_TOKENS + ["a", "b\r"])
    with pytest.raises(ValueError, match="Received: max_bytes_per_word=0"):
        WordPieceTokenizer(SPECIAL_TOKENS + ["a"], max_bytes_per_word=0)


def test_train_refuses_empty_corpus_and_bad_size(corpus):
    with pytest.raises(ValueError, match="no words"):
        WordPieceTokenizer.train(["", "   "], vocabulary_size=100)
    with pytest.raises(ValueError, match="Received: vocabulary_size=0"):
        WordPieceTokenizer.train(corpus, vocabulary_size=0)
    with pytest.raises(ValueError, match="exceed the 5 special tokens. Received: vocabulary_size=5"):
        WordPieceTokenizer.train(corpus, vocabulary_size=5)
