"""The interface every kind shares: same ids from Python, tf.data, tf.function and SavedModel."""

import numpy as np
import pytest
import tensorflow as tf

pytestmark = pytest.mark.one_backend  # backend-independent: runs in one suite (tests/conftest.py)

KINDS = ("wordpiece", "sentencepiece_unigram", "sentencepiece_bpe", "byte")
HARD_TEXTS = [
    "",
    "A plain sentence.",
    b"broken \xff\xfe utf-8 \xc3",
    "x" * 10_000,
    "猫が好き 😀👍🏽",
    "  spaced\tout\n",
]


@pytest.fixture(params=KINDS)
def tokenizer(request, tokenizers):
    return tokenizers[request.param]


def _as_lists(ids):
    return [np.asarray(row).tolist() for row in ids]


def test_special_ids_are_fixed(tokenizer):
    assert (tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.mask_id) == (
        0,
        1,
        2,
        3,
        4,
    )
    assert tuple(tokenizer.get_vocabulary()[:5]) == tokenizer.SPECIAL_TOKENS
    assert tokenizer.vocabulary_size == len(tokenizer.get_vocabulary())
    ids = tokenizer.tokenize("Karu bri.", add_bos=True, add_eos=True).tolist()
    assert ids[0] == 2 and ids[-1] == 3
    assert not {0, 2, 3, 4} & set(ids[1:-1])


def test_python_tf_data_graph_and_eager_tensor_agree(tokenizer, held_out_sentences):
    texts = held_out_sentences[:4] + HARD_TEXTS
    tensor_texts = tf.constant([t.encode("utf-8") if isinstance(t, str) else t for t in texts])
    expected = _as_lists(tokenizer.tokenize(texts, add_eos=True))

    eager = tokenizer.tokenize(tensor_texts, add_eos=True)
    graph = tf.function(lambda t: tokenizer.tokenize(t, add_eos=True))(tensor_texts)
    one_by_one = tf.data.Dataset.from_tensor_slices(tensor_texts).map(lambda t: tokenizer.tokenize(t, add_eos=True))
    batched = (
        tf.data.Dataset.from_tensor_slices(tensor_texts).batch(3).map(lambda t: tokenizer.tokenize(t, add_eos=True))
    )

    assert isinstance(eager, tf.RaggedTensor) and eager.dtype == tf.int32
    assert eager.to_list() == expected
    assert graph.to_list() == expected
    assert [row.numpy().tolist() for row in one_by_one] == expected
    assert [row for batch in batched for row in batch.to_list()] == expected


def test_padded_output_matches_ragged_and_agrees_in_tf_data(tokenizer, held_out_sentences):
    texts = held_out_sentences[:5] + ["", "x" * 10_000]
    ragged = _as_lists(tokenizer.tokenize(texts))
    padded = tokenizer.tokenize(texts, add_bos=True, add_eos=True, sequence_length=6)

    assert padded.shape == (len(texts), 6) and padded.dtype == np.int32
    for row, content in zip(padded, ragged):
        kept = ([2] + content[:4] + [3] + [0] * 6)[:6]
        assert row.tolist() == kept
    in_tf_data = tf.data.Dataset.from_tensor_slices(texts).map(
        lambda t: tokenizer.tokenize(t, add_bos=True, add_eos=True, sequence_length=6)
    )
    np.testing.assert_array_equal(np.stack([row.numpy() for row in in_tf_data]), padded)


def test_saved_model_gives_the_same_ids_and_text(tokenizer, held_out_sentences, tmp_path):
    class Export(tf.Module):
        def __init__(self, tokenizer):
            super().__init__()
            self.tokenizer = tokenizer

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def tokenize(self, texts):
            return self.tokenizer.tokenize(texts, add_bos=True, add_eos=True, sequence_length=16)

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
        def detokenize(self, ids):
            return self.tokenizer.detokenize(ids)

    tf.saved_model.save(Export(tokenizer), str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    texts = held_out_sentences[:4] + ["", "猫 😀"]

    ids = loaded.tokenize(tf.constant(texts)).numpy()
    np.testing.assert_array_equal(ids, tokenizer.tokenize(texts, add_bos=True, add_eos=True, sequence_length=16))
    exported_text = [t.decode("utf-8") for t in loaded.detokenize(tf.constant(ids)).numpy()]
    assert exported_text == tokenizer.detokenize(ids)


def test_scalar_and_batched_inputs_agree(tokenizer):
    for text in HARD_TEXTS:
        single = tokenizer.tokenize(text)
        assert isinstance(single, np.ndarray) and single.dtype == np.int32 and single.ndim == 1
        assert single.tolist() == tokenizer.tokenize([text])[0].tolist()
        assert single.tolist() == tokenizer.tokenize(tf.constant(text)).numpy().tolist()


def test_hard_inputs_never_crash(tokenizer):
    empty, _, broken, long_word, cjk_emoji, _ = tokenizer.tokenize(HARD_TEXTS)

    assert empty.tolist() == []
    # Invalid UTF-8 is replaced by U+FFFD before tokenizing.
    assert broken.tolist() == tokenizer.tokenize("broken \ufffd\ufffd utf-8 \ufffd").tolist()
    assert 1 <= len(long_word) <= 10_001  # SentencePiece adds a word-start piece
    assert len(cjk_emoji) >= 1
    assert all(0 <= i < tokenizer.vocabulary_size for row in tokenizer.tokenize(HARD_TEXTS) for i in row)
    assert isinstance(tokenizer.detokenize(broken), str)


def test_detokenize_drops_special_tokens(tokenizer, held_out_sentences):
    text = held_out_sentences[0]
    ids = tokenizer.tokenize(text).tolist()
    plain = tokenizer.detokenize(ids)

    assert tokenizer.detokenize([2, 4] + ids + [3, 0, 0]) == plain
    padded = tokenizer.tokenize([text, ""], add_bos=True, add_eos=True, sequence_length=len(ids) + 4)
    assert tokenizer.detokenize(padded) == [plain, ""]
    assert tokenizer.detokenize(tf.constant(padded)).numpy().tolist() == [plain.encode("utf-8"), b""]
    assert tokenizer.detokenize([]) == ""


def test_out_of_range_ids_detokenize_as_unknown(tokenizer):
    unknown = tokenizer.detokenize([1])
    assert tokenizer.detokenize([tokenizer.vocabulary_size]) == unknown
    assert tokenizer.detokenize([-7]) == unknown


def test_python_in_python_out_and_tensor_in_tensor_out(tokenizer):
    assert isinstance(tokenizer.tokenize(["a", "bri"]), list)
    assert isinstance(tokenizer.tokenize(np.array(["a", "bri"])), list)
    assert isinstance(tokenizer.tokenize(tf.constant(["a", "bri"]), sequence_length=4), tf.Tensor)
    assert isinstance(tokenizer.detokenize(np.array([[5, 6], [7, 0]])), list)
    assert isinstance(tokenizer.detokenize(tf.ragged.constant([[5, 6], [7]])), tf.Tensor)


def test_invalid_arguments_are_refused(tokenizer):
    with pytest.raises(ValueError, match="Received: sequence_length=0"):
        tokenizer.tokenize("a", sequence_length=0)
    with pytest.raises(ValueError, match="Received: sequence_length=2"):
        tokenizer.tokenize("a", add_bos=True, add_eos=True, sequence_length=2)
    with pytest.raises(ValueError, match="scalar or a 1-D batch"):
        tokenizer.tokenize(tf.constant([["a"]]))
    with pytest.raises(TypeError, match="Received: int"):
        tokenizer.tokenize(5)
    with pytest.raises(TypeError, match="tf.string"):
        tokenizer.tokenize(tf.constant([1, 2]))
