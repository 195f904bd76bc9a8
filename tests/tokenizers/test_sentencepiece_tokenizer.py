"""SentencePiece: same ids as the `sentencepiece` library, exact round trip, trainer options."""

import keras
import pytest
import sentencepiece
import tensorflow as tf
from sentencepiece import sentencepiece_model_pb2

from zoo.tokenizers import SentencePieceTokenizer

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

MODEL_TYPES = ("unigram", "bpe")


@pytest.fixture(params=MODEL_TYPES)
def model_type(request):
    return request.param


@pytest.fixture
def tokenizer(model_type, tokenizers):
    return tokenizers[f"sentencepiece_{model_type}"]


def _reference_processor(tokenizer, directory):
    tokenizer.save(directory)
    return sentencepiece.SentencePieceProcessor(model_file=str(directory / "sentencepiece.model"))


def test_ids_match_the_sentencepiece_library(tokenizer, held_out_sentences, tmp_path):
    reference = _reference_processor(tokenizer, tmp_path)
    texts = held_out_sentences + ["", "猫 😀", "Karu  bri"]
    ids = tokenizer.tokenize(texts)

    assert [row.tolist() for row in ids] == reference.encode(texts)
    assert reference.get_piece_size() == tokenizer.vocabulary_size == 400
    assert reference.piece_to_id(["<pad>", "<unk>", "<s>", "</s>", "<mask>"]) == [0, 1, 2, 3, 4]


def test_round_trip_is_exact_on_normal_text(tokenizer, held_out_sentences):
    assert tokenizer.detokenize(tokenizer.tokenize(held_out_sentences)) == held_out_sentences


def test_model_type_is_the_one_asked(tokenizer, model_type, tmp_path):
    reference = _reference_processor(tokenizer, tmp_path)
    proto = sentencepiece_model_pb2.ModelProto.FromString(reference.serialized_model_proto())
    assert sentencepiece_model_pb2.TrainerSpec.ModelType.Name(proto.trainer_spec.model_type).lower() == model_type


def test_survives_seed_and_session_resets(tokenizer, held_out_sentences):
    # tensorflow-text keeps the model in a kernel-owned resource that these calls delete.
    expected = [row.tolist() for row in tokenizer.tokenize(held_out_sentences)]
    graph = tf.function(lambda t: tokenizer.tokenize(t))
    graph(tf.constant(held_out_sentences))
    tf.random.set_seed(7)
    keras.utils.set_random_seed(7)
    keras.backend.clear_session()

    assert [row.tolist() for row in tokenizer.tokenize(held_out_sentences)] == expected
    assert graph(tf.constant(held_out_sentences)).to_list() == expected


# Cased German and Spanish as references have it: umlauts, ß, ñ, inverted marks, quotes, apostrophes,
# hyphens, a non-breaking space, runs of spaces, a tab, a newline, leading and trailing spaces.
LOSSY_FOR_OTHER_TOKENIZERS = [
    "Zwei junge Männer laufen über die Straße.",
    "Ein Mädchen in einem rosa Kleid läuft.",
    "¡Órale! ¿Dónde está el niño? Mañana, señor.",
    "„Schön“, sagte sie, \"it's an e-mail\" – l'été.",
    "Skłodowska-Curie  maß 120\u00a0cm\tam 3. März",
    " Anna: Hi!\nBen: Hallo ",
    "Ａ full-width ﬁ ligature ½ and 😀 猫",
]


def test_default_training_gives_text_back_exactly(corpus):
    texts = corpus[:500] + LOSSY_FOR_OTHER_TOKENIZERS[:3] * 5
    tokenizer = SentencePieceTokenizer.train(texts, vocabulary_size=400)
    held_out = LOSSY_FOR_OTHER_TOKENIZERS + ["", "   ", "\n"]

    assert tokenizer.detokenize(tokenizer.tokenize(held_out)) == held_out
    graph = tf.function(lambda t: tokenizer.detokenize(tokenizer.tokenize(t)))
    assert [text.decode() for text in graph(tf.constant(held_out)).numpy()] == held_out
    assert tokenizer.unk_id not in [i for row in tokenizer.tokenize(held_out) for i in row.tolist()]


def test_sentencepiece_defaults_are_one_option_away(corpus):
    normalized = SentencePieceTokenizer.train(
        corpus[:500],
        vocabulary_size=300,
        byte_fallback=False,
        normalization_rule_name="nmt_nfkc",
        remove_extra_whitespaces=True,
        add_dummy_prefix=True,
    )

    assert normalized.tokenize("猫").tolist()[-1] == normalized.unk_id
    assert "<0xE7>" not in normalized.get_vocabulary()
    assert normalized.detokenize(normalized.tokenize(" Karu  ｂｒｉ ")) == "Karu bri"


def test_lossless_training_keeps_bytes_for_unseen_characters(corpus):
    tokenizer = SentencePieceTokenizer.train(corpus[:500], vocabulary_size=300)

    assert "<0xE7>" in tokenizer.get_vocabulary()
    assert tokenizer.unk_id not in tokenizer.tokenize("猫").tolist()
    assert tokenizer.detokenize(tokenizer.tokenize("Karu 猫 😀")) == "Karu 猫 😀"


def test_a_vocabulary_too_small_for_the_byte_pieces_says_how_many_it_needs(corpus):
    with pytest.raises(ValueError, match=r"vocabulary_size=100 is too small .* take \d+ ids.*byte_fallback=False"):
        SentencePieceTokenizer.train(corpus[:500], vocabulary_size=100)
    assert SentencePieceTokenizer.train(corpus[:500], vocabulary_size=100, byte_fallback=False).vocabulary_size <= 100


def test_small_corpus_gives_a_smaller_vocabulary_with_a_warning(corpus):
    with pytest.warns(UserWarning, match="asked for vocabulary_size=5000"):
        tokenizer = SentencePieceTokenizer.train(corpus[:200], vocabulary_size=5000)
    assert 5 < tokenizer.vocabulary_size < 5000


def test_bad_arguments_are_refused(corpus):
    with pytest.raises(ValueError, match="Received: model_type='char'"):
        SentencePieceTokenizer.train(corpus, vocabulary_size=300, model_type="char")
    with pytest.raises(ValueError, match="\\['pad_id'\\] are set by the tokenizer"):
        SentencePieceTokenizer.train(corpus, vocabulary_size=300, pad_id=5)
    with pytest.raises(ValueError, match="Not a valid SentencePiece model"):
        SentencePieceTokenizer(b"not a model")


def test_refuses_a_model_without_the_fixed_special_ids(corpus, tmp_path):
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus[:300]), model_prefix=str(tmp_path / "default"), vocab_size=100, minloglevel=2
    )
    with pytest.raises(ValueError, match="at ids 0..4"):
        SentencePieceTokenizer((tmp_path / "default.model").read_bytes())
