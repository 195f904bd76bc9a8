"""The tokenizer round trip: sacrebleu's BLEU and the exact fraction of detokenize(tokenize(text))."""

import pytest
from sacrebleu.metrics import BLEU

from zoo.metrics import is_lossy, tokenizer_round_trip
from zoo.tokenizers import ByteTokenizer, WordPieceTokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

REFERENCES = [
    "Zwei junge Männer laufen über die Straße.",
    "¡Órale! ¿Dónde está el niño?",
    "It's an e-mail, isn't it?",
]


def test_a_lossless_tokenizer_scores_100_and_all_exact():
    assert tokenizer_round_trip(ByteTokenizer(), REFERENCES) == {
        "tokenizer_round_trip_bleu": 100.0,
        "tokenizer_round_trip_exact": 1.0,
    }
    assert not is_lossy(tokenizer_round_trip(ByteTokenizer(), REFERENCES))


def test_an_uncased_wordpiece_is_lossy_and_scored_as_sacrebleu_scores_its_output():
    tokenizer = WordPieceTokenizer.train(REFERENCES * 20, vocabulary_size=120)
    back = tokenizer.detokenize(tokenizer.tokenize(REFERENCES))
    assert back[0] == "zwei junge manner laufen uber die strasse ."

    round_trip = tokenizer_round_trip(tokenizer, REFERENCES)
    expected_bleu = BLEU().corpus_score(back, [REFERENCES]).score
    assert round_trip["tokenizer_round_trip_bleu"] == pytest.approx(expected_bleu, abs=0.005)
    assert round_trip["tokenizer_round_trip_exact"] == 0.0
    assert is_lossy(round_trip)


def test_one_lost_text_in_ten_is_lossy_by_the_exact_fraction_alone():
    assert is_lossy({"tokenizer_round_trip_bleu": 99.5, "tokenizer_round_trip_exact": 0.9})
    assert not is_lossy({"tokenizer_round_trip_bleu": 99.5, "tokenizer_round_trip_exact": 0.95})
    assert not is_lossy({})


def test_no_texts_give_no_scores_and_one_string_is_refused():
    assert tokenizer_round_trip(ByteTokenizer(), []) == {}
    with pytest.raises(ValueError, match="not one string"):
        tokenizer_round_trip(ByteTokenizer(), "one text")
