"""The tf.data pipelines: packing, padding, bucketing, shuffling, masking, windows (TensorFlow only).

They run in one backend's suite; tests/data/test_pipelines_feed_fit.py feeds them to `fit` on every backend.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import LabelVocabulary
from zoo.data.pipelines import (
    BatchOptions,
    bucket_widths,
    causal_lm_dataset,
    classification_dataset,
    masked_lm_dataset,
    prefix_lm_dataset,
    seq2seq_dataset,
)
from zoo.tokenizers import ByteTokenizer, train_tokenizer

pytestmark = pytest.mark.one_backend  # tf.data only: runs in one suite (tests/conftest.py)

PAD, UNK, BOS, EOS, MASK = range(5)
TOKENIZER = ByteTokenizer()
VOCABULARY_SIZE = TOKENIZER.vocabulary_size


def ids(text):
    """The byte tokenizer's ids, written out: each UTF-8 byte + 5."""
    return [byte + 5 for byte in text.encode("utf-8")]


def as_numpy(dataset):
    return [tf.nest.map_structure(lambda tensor: tensor.numpy(), batch) for batch in dataset]


def random_texts(count, seed, min_length=1, max_length=40):
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, size=rng.integers(min_length, max_length + 1))) for _ in range(count)]


def real_rows(token_ids):
    """The non-pad prefix of each row of a padded batch."""
    return [row[row != PAD].tolist() for row in token_ids]


CLASSIFICATION_ROWS = [
    {"text": "ab", "label": "pos"},
    {"text": "c", "label": "neg"},
    {"text": "defgh", "label": "pos"},
]
LABELS = LabelVocabulary(("neg", "pos"))


# --- Classification --------------------------------------------------------------------------


def test_classification_packs_bos_text_eos_with_padding_mask_and_label_ids():
    batches = as_numpy(
        classification_dataset(
            CLASSIFICATION_ROWS, TOKENIZER, LABELS, sequence_length=10, batch_size=2, padding="max_length"
        )
    )
    assert [len(y) for _, y in batches] == [2, 1]
    x, y = batches[0]
    assert sorted(x) == ["padding_mask", "token_ids"]
    expected = np.array([[BOS, *ids("ab"), EOS] + [PAD] * 6, [BOS, *ids("c"), EOS] + [PAD] * 7], np.int32)
    np.testing.assert_array_equal(x["token_ids"], expected)
    np.testing.assert_array_equal(x["padding_mask"], (expected != PAD).astype(np.int32))
    np.testing.assert_array_equal(y, [1, 0])
    assert x["token_ids"].dtype == np.int32 and x["padding_mask"].dtype == np.int32 and y.dtype == np.int32
    np.testing.assert_array_equal(batches[1][0]["token_ids"][0, :7], [BOS, *ids("defgh"), EOS])


def test_classification_of_pairs_cuts_the_longer_text_first_and_sets_segment_ids():
    rows = [
        {"text": "abcdefgh", "text_pair": "xy", "label": "pos"},
        {"text": "abcdef", "text_pair": "uvwxyz", "label": "neg"},
    ]
    ((x, _),) = as_numpy(
        classification_dataset(rows, TOKENIZER, LABELS, sequence_length=9, batch_size=2, padding="max_length")
    )
    # 9 tokens leave 6 for text: 4 + 2 (the longer cut), then 3 + 3.
    np.testing.assert_array_equal(
        x["token_ids"],
        [
            [BOS, *ids("abcd"), EOS, *ids("xy"), EOS],
            [BOS, *ids("abc"), EOS, *ids("uvw"), EOS],
        ],
    )
    np.testing.assert_array_equal(x["segment_ids"], [[0] * 6 + [1] * 3, [0] * 5 + [1] * 4])
    np.testing.assert_array_equal(x["padding_mask"], np.ones((2, 9)))


def test_classification_segment_ids_can_be_asked_for_single_texts():
    ((x, _),) = as_numpy(classification_dataset(CLASSIFICATION_ROWS[:1], TOKENIZER, LABELS, segment_ids=True))
    np.testing.assert_array_equal(x["segment_ids"], np.zeros_like(x["token_ids"]))


def test_an_unknown_label_is_refused_with_the_vocabulary():
    with pytest.raises(ValueError, match=r"Label 'maybe' is not in the label vocabulary \['neg', 'pos'\]"):
        classification_dataset([{"text": "a", "label": "maybe"}], TOKENIZER, LABELS)


# --- Padding, bucketing, shuffling, batching -------------------------------------------------


def test_dynamic_padding_rounds_the_longest_example_up_to_a_multiple_of_8_within_the_max():
    texts = ["a" * n for n in (1, 5, 7, 9, 17, 30)]
    rows = [{"text": text, "label": "pos"} for text in texts]
    widths = [
        x["token_ids"].shape[1]
        for x, _ in as_numpy(classification_dataset(rows, TOKENIZER, LABELS, sequence_length=30, batch_size=2))
    ]
    # Longest per batch (with bos/eos): 7, 11, 30 (cut to the max) -> 8, 16, 30 (not 32).
    assert widths == [8, 16, 30]
    widths = [
        x["token_ids"].shape[1]
        for x, _ in as_numpy(
            classification_dataset(rows, TOKENIZER, LABELS, sequence_length=64, batch_size=2, pad_to_multiple_of=4)
        )
    ]
    assert widths == [8, 12, 32]


def test_bucketing_batches_similar_lengths_and_keeps_every_example_once():
    texts = random_texts(60, seed=0, max_length=40)
    rows = [{"text": text, "label": "pos"} for text in texts]
    boundaries = (10, 20, 30)
    dataset = classification_dataset(
        rows, TOKENIZER, LABELS, sequence_length=64, batch_size=4, bucket_boundaries=boundaries, shuffle=True, seed=0
    )
    seen = []
    for x, _ in as_numpy(dataset):
        lengths = x["padding_mask"].sum(axis=1)
        assert len(set(np.searchsorted(boundaries, lengths, side="right"))) == 1
        assert x["token_ids"].shape[1] % 8 == 0 and x["token_ids"].shape[1] - lengths.max() < 8
        seen += real_rows(x["token_ids"])
    assert sorted(seen) == sorted([BOS, *ids(text), EOS] for text in texts)


def test_bucket_widths_are_quarters_of_the_maximum_rounded_up():
    assert bucket_widths(64, BatchOptions(padding="buckets")) == [16, 32, 48, 64]
    assert bucket_widths(12, BatchOptions(padding="buckets")) == [8, 8, 12, 12]
    assert bucket_widths(130, BatchOptions(padding="buckets", bucket_count=2)) == [72, 130]


def test_bucket_padding_gives_a_few_shapes_and_keeps_every_pair_once():
    sources, targets = random_texts(80, seed=1, max_length=60), random_texts(80, seed=2, max_length=30)
    pairs = [{"source": s, "target": t} for s, t in zip(sources, targets)]
    options = BatchOptions(padding="buckets")
    shapes = list(zip(bucket_widths(64, options), bucket_widths(32, options)))  # (16, 8), (32, 16), ...
    for shuffle in (True, False):
        dataset = seq2seq_dataset(
            pairs,
            TOKENIZER,
            max_source_length=64,
            max_target_length=32,
            batch_size=8,
            padding="buckets",
            shuffle=shuffle,
            seed=0,
        )
        seen = []
        for x, y, _ in as_numpy(dataset):
            shape = (x["encoder_token_ids"].shape[1], y.shape[1])
            assert shape in shapes, shape
            bucket = shapes.index(shape)
            fits_smaller = bucket > 0 and all(
                (x["encoder_padding_mask"].sum(1) <= shapes[bucket - 1][0])
                & (x["decoder_padding_mask"].sum(1) <= shapes[bucket - 1][1])
            )
            assert not fits_smaller, shape  # the smallest bucket that fits the batch
            if shuffle:  # examples of one bucket batched together
                assert all(
                    max(
                        np.searchsorted(bucket_widths(64, options), source_length),
                        np.searchsorted(bucket_widths(32, options), target_length),
                    )
                    == bucket
                    for source_length, target_length in zip(
                        x["encoder_padding_mask"].sum(1), x["decoder_padding_mask"].sum(1)
                    )
                )
            seen += zip(map(tuple, real_rows(x["encoder_token_ids"])), map(tuple, real_rows(y)))
        expected = [(tuple([*ids(p["source"]), EOS][:64]), tuple([*ids(p["target"]), EOS][:32])) for p in pairs]
        assert sorted(seen) == sorted(expected)


def first_tokens_per_batch(dataset):
    return [real_rows(x["token_ids"]) for x, _ in as_numpy(dataset)]


def test_shuffling_is_reproducible_for_a_seed_and_changes_every_pass():
    rows = [{"text": text, "label": "pos"} for text in random_texts(40, seed=1)]
    dataset = classification_dataset(rows, TOKENIZER, LABELS, batch_size=8, shuffle=True, seed=3)
    first_pass, second_pass = first_tokens_per_batch(dataset), first_tokens_per_batch(dataset)
    again = classification_dataset(rows, TOKENIZER, LABELS, batch_size=8, shuffle=True, seed=3)
    assert first_tokens_per_batch(again) == first_pass and first_tokens_per_batch(again) == second_pass
    assert second_pass != first_pass
    other_seed = classification_dataset(rows, TOKENIZER, LABELS, batch_size=8, shuffle=True, seed=4)
    assert first_tokens_per_batch(other_seed) != first_pass
    in_order = first_tokens_per_batch(classification_dataset(rows, TOKENIZER, LABELS, batch_size=8))
    assert sum(in_order, []) == [[BOS, *ids(row["text"]), EOS] for row in rows]


def test_a_repeated_seeded_stream_is_the_same_from_every_iterator_and_each_pass_differs():
    # `fit`, a peek or a resume may each make an iterator: none of them may shift the batches.
    rows = [{"text": text} for text in random_texts(40, seed=1, min_length=20)]
    classification = classification_dataset(
        [{**row, "label": "pos"} for row in rows],
        TOKENIZER,
        LABELS,
        batch_size=8,
        shuffle=True,
        seed=3,
        repeat=True,
        padding="max_length",
    )
    masked = masked_lm_dataset(rows, TOKENIZER, batch_size=8, shuffle=True, seed=3, repeat=True, padding="max_length")
    for dataset, read in ((classification, lambda x: x["token_ids"]), (masked, lambda x: x["mask_positions"])):
        first, second = (np.concatenate([read(batch[0]) for batch in as_numpy(dataset.take(10))]) for _ in range(2))
        np.testing.assert_array_equal(first, second)
        one_pass = len(first) // 2  # 5 batches of 8 rows: the second pass is a new permutation / new masks
        assert (first[:one_pass] != first[one_pass:]).any()


def test_drop_remainder_makes_the_batch_dimension_static_and_repeat_goes_on():
    rows = CLASSIFICATION_ROWS + CLASSIFICATION_ROWS[:2]
    dataset = classification_dataset(rows, TOKENIZER, LABELS, batch_size=2, drop_remainder=True)
    assert dataset.element_spec[0]["token_ids"].shape.as_list() == [2, None]
    assert len(as_numpy(dataset)) == 2
    repeated = as_numpy(classification_dataset(rows, TOKENIZER, LABELS, batch_size=2, repeat=True).take(7))
    labels = np.concatenate([y for _, y in repeated])
    np.testing.assert_array_equal(labels, [1, 0, 1, 1, 0] * 2 + [1, 0, 1, 1])


def test_batch_options_are_validated_with_the_received_value():
    with pytest.raises(ValueError, match="Received: padding='longest'"):
        BatchOptions(padding="longest")
    with pytest.raises(ValueError, match=r"Received: bucket_boundaries=\(20, 10\)"):
        BatchOptions(bucket_boundaries=(20, 10))
    with pytest.raises(ValueError, match="needs padding='dynamic'"):
        BatchOptions(padding="max_length", bucket_boundaries=(10,))
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        BatchOptions(batch_size=0)
    with pytest.raises(TypeError, match="batch_sise"):
        classification_dataset(CLASSIFICATION_ROWS, TOKENIZER, LABELS, batch_sise=2)
    with pytest.raises(ValueError, match="Received: sequence_length=2"):
        classification_dataset(CLASSIFICATION_ROWS, TOKENIZER, LABELS, sequence_length=2)
    with pytest.raises(ValueError, match="row 1 has only"):
        causal_lm_dataset([{"text": "a"}, {"source": "b"}], TOKENIZER)


# --- Masked LM -------------------------------------------------------------------------------


def test_masked_lm_masks_only_text_tokens_and_labels_are_the_original_ids():
    texts = random_texts(30, seed=2, min_length=1, max_length=60)
    rows = [{"text": text} for text in texts]
    batches = as_numpy(masked_lm_dataset(rows, TOKENIZER, sequence_length=48, batch_size=8, seed=0))
    originals = iter([[BOS, *ids(text)[:46], EOS] for text in texts])
    for x, y, weights in batches:
        assert sorted(x) == ["mask_positions", "padding_mask", "segment_ids", "token_ids"]
        assert x["mask_positions"].shape == y.shape == weights.shape == (len(y), math.ceil(0.15 * 48))
        assert x["mask_positions"].dtype == y.dtype == np.int32 and weights.dtype == np.float32
        np.testing.assert_array_equal(x["segment_ids"], 0)
        for row in range(len(y)):
            original = np.array(next(originals))
            n = len(original)
            np.testing.assert_array_equal(x["padding_mask"][row], np.arange(x["token_ids"].shape[1]) < n)
            chosen = weights[row] == 1
            positions = x["mask_positions"][row][chosen]
            assert chosen.sum() == min(math.ceil(0.15 * (n - 2)), 8)
            assert not chosen[chosen.sum() :].any(), "real slots come first"
            assert (np.diff(positions) > 0).all() and (positions >= 1).all() and (positions <= n - 2).all()
            np.testing.assert_array_equal(y[row][chosen], original[positions])
            np.testing.assert_array_equal(y[row][~chosen], 0)
            np.testing.assert_array_equal(x["mask_positions"][row][~chosen], 0)
            untouched = np.setdiff1d(np.arange(n), positions)
            np.testing.assert_array_equal(x["token_ids"][row][untouched], original[untouched])
            np.testing.assert_array_equal(x["token_ids"][row][n:], PAD)
            assert (x["token_ids"][row][positions] >= MASK).all()


def test_mask_slots_may_outnumber_the_padded_length():
    ((x, y, weights),) = as_numpy(masked_lm_dataset([{"text": "ab"}], TOKENIZER, sequence_length=128, seed=0))
    assert x["token_ids"].shape == (1, 8) and x["mask_positions"].shape == y.shape == (1, 20)
    np.testing.assert_array_equal(weights[0], [1.0] + [0.0] * 19)
    assert x["mask_positions"][0, 0] in (1, 2) and y[0, 0] == ids("ab")[x["mask_positions"][0, 0] - 1]


def test_masking_follows_the_rate_and_the_80_10_10_split():
    texts = random_texts(1500, seed=3, min_length=10, max_length=60)
    dataset = masked_lm_dataset(
        [{"text": text} for text in texts], TOKENIZER, sequence_length=64, batch_size=100, seed=1
    )
    expected_chosen = sum(min(math.ceil(0.15 * len(text)), 10) for text in texts)
    outcomes = {"mask": 0, "random": 0, "same": 0}
    chosen_total = 0
    for x, y, weights in as_numpy(dataset):
        chosen = weights == 1
        chosen_total += chosen.sum()
        shown = np.take_along_axis(x["token_ids"], x["mask_positions"], axis=1)[chosen]
        original = y[chosen]
        outcomes["mask"] += (shown == MASK).sum()
        outcomes["same"] += (shown == original).sum()
        outcomes["random"] += ((shown != MASK) & (shown != original)).sum()
        assert (shown[(shown != MASK) & (shown != original)] > MASK).all()
    assert chosen_total == expected_chosen
    text_tokens = sum(len(text) for text in texts)
    assert 0.15 <= chosen_total / text_tokens <= 0.17  # ceil() rounds each row up
    # ~8000 draws: the standard deviation of each share is below 0.005.
    assert abs(outcomes["mask"] / chosen_total - 0.8) < 0.02
    assert abs(outcomes["random"] / chosen_total - 0.1 * 255 / 256) < 0.015
    assert abs(outcomes["same"] / chosen_total - (0.1 + 0.1 / 256)) < 0.015


def test_masks_are_new_on_every_pass_and_the_same_for_the_same_seed():
    rows = [{"text": text} for text in random_texts(40, seed=4, min_length=20)]

    def passes(seed):
        dataset = masked_lm_dataset(rows, TOKENIZER, batch_size=16, seed=seed)
        return [np.concatenate([x["mask_positions"] for x, _, _ in as_numpy(dataset)]) for _ in range(2)]

    first, second = passes(seed=7)
    assert (first != second).any()
    again = passes(seed=7)
    np.testing.assert_array_equal(again[0], first)
    np.testing.assert_array_equal(again[1], second)
    assert (passes(seed=8)[0] != first).any()


def test_next_sentence_pairs_follow_the_line_half_of_the_time():
    lines = [f"line {i:03d}" for i in range(200)]
    dataset = masked_lm_dataset(
        [{"text": line} for line in lines],
        TOKENIZER,
        sequence_length=32,
        mask_rate=0.0,
        max_predictions=1,
        next_sentence=True,
        batch_size=50,
        shuffle=True,
        seed=0,
    )
    line_of = {tuple(ids(line)): index for index, line in enumerate(lines)}
    labels, firsts = [], []
    for x, y, weights in as_numpy(dataset):
        assert sorted(y) == ["mlm", "nsp"] and sorted(weights) == ["mlm", "nsp"]
        assert y["nsp"].dtype == np.int32 and weights["nsp"].dtype == np.float32
        np.testing.assert_array_equal(weights["nsp"], 1.0)
        np.testing.assert_array_equal(weights["mlm"], 0.0)
        for tokens, segments, label in zip(x["token_ids"], x["segment_ids"], y["nsp"]):
            a, b = tokens[(segments == 0) & (tokens != PAD)], tokens[segments == 1]
            assert a[0] == BOS and a[-1] == EOS and b[-1] == EOS
            first, second = line_of[tuple(a[1:-1])], line_of[tuple(b[:-1])]
            assert (second == first + 1) == bool(label)
            labels.append(label)
            firsts.append(first)
    assert sorted(firsts) == list(range(199))
    assert 0.4 < np.mean(labels) < 0.6


# --- Causal LM -------------------------------------------------------------------------------


def test_packed_masked_lm_windows_reassemble_the_token_stream_behind_bos():
    """Every window is bos + the next 15 tokens of the stream; only the last one is padded; masks follow the rules."""
    texts = random_texts(25, seed=6)
    stream = sum(([*ids(text), EOS] for text in texts), [])
    batches = as_numpy(
        masked_lm_dataset(
            [{"text": text} for text in texts], TOKENIZER, sequence_length=16, batch_size=4, packed=True, seed=0
        )
    )
    windows = []
    for x, y, weights in batches:
        assert x["token_ids"].shape[1] == 16 and x["token_ids"].dtype == np.int32
        np.testing.assert_array_equal(x["segment_ids"], 0)
        for row in range(len(y)):
            original = x["token_ids"][row].copy()
            chosen = weights[row] == 1
            positions = x["mask_positions"][row][chosen]
            original[positions] = y[row][chosen]
            assert original[0] == BOS and (original[positions] > MASK).all(), "only text tokens are masked"
            n = int(x["padding_mask"][row].sum())
            np.testing.assert_array_equal(original[n:], PAD)
            assert chosen.sum() == math.ceil(0.15 * (original[1:n] > MASK).sum())
            windows.append(original[1:n])
    assert [len(window) for window in windows[:-1]] == [15] * (len(windows) - 1)
    assert len(windows) == math.ceil(len(stream) / 15)
    np.testing.assert_array_equal(np.concatenate(windows), stream)


def test_packed_masked_lm_refuses_next_sentence_and_buckets():
    with pytest.raises(ValueError, match="pass packed=False with next_sentence=True"):
        masked_lm_dataset([{"text": "a"}] * 3, TOKENIZER, packed=True, next_sentence=True)
    with pytest.raises(ValueError, match="nothing to bucket"):
        masked_lm_dataset([{"text": "a"}], TOKENIZER, packed=True, bucket_boundaries=(8,))


def test_causal_lm_windows_reassemble_the_token_stream_exactly():
    texts = random_texts(25, seed=5)
    stream = sum(([*ids(text), EOS] for text in texts), [])
    batches = as_numpy(
        causal_lm_dataset([{"text": text} for text in texts], TOKENIZER, sequence_length=15, batch_size=4)
    )
    windows = []
    for x, y, weights in batches:
        assert x["token_ids"].shape[1] == 15 and x["token_ids"].dtype == np.int32
        np.testing.assert_array_equal(x["token_ids"][:, 1:], y[:, :-1])
        np.testing.assert_array_equal(x["padding_mask"], 1)
        np.testing.assert_array_equal(weights, 1.0)
        windows += [np.concatenate([tokens, labels[-1:]]) for tokens, labels in zip(x["token_ids"], y)]
    assert len(windows) == len(stream) // 16
    np.testing.assert_array_equal(np.concatenate(windows), stream[: len(windows) * 16])


def test_causal_lm_has_nothing_to_bucket():
    with pytest.raises(ValueError, match="nothing to bucket"):
        causal_lm_dataset([{"text": "a"}], TOKENIZER, bucket_boundaries=(8,))


# --- Seq2seq and prefix LM -------------------------------------------------------------------

PAIRS = [{"source": "abc", "target": "xy"}, {"source": "hello world", "target": "q"}]


def test_seq2seq_decoder_inputs_are_the_labels_shifted_right_behind_bos():
    ((x, y, weights),) = as_numpy(
        seq2seq_dataset(PAIRS, TOKENIZER, max_source_length=6, max_target_length=5, batch_size=2, padding="max_length")
    )
    np.testing.assert_array_equal(x["encoder_token_ids"], [[*ids("abc"), EOS, PAD, PAD], [*ids("hello"), EOS]])
    np.testing.assert_array_equal(x["encoder_padding_mask"], [[1, 1, 1, 1, 0, 0], [1] * 6])
    np.testing.assert_array_equal(x["decoder_token_ids"], [[BOS, *ids("xy"), PAD, PAD], [BOS, *ids("q"), 0, 0, 0]])
    np.testing.assert_array_equal(y, [[*ids("xy"), EOS, PAD, PAD], [*ids("q"), EOS, 0, 0, 0]])
    np.testing.assert_array_equal(x["decoder_padding_mask"], [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]])
    np.testing.assert_array_equal(weights, x["decoder_padding_mask"])
    assert weights.dtype == np.float32 and all(value.dtype == np.int32 for value in x.values())


def test_seq2seq_pads_source_and_target_to_their_own_dynamic_lengths():
    rows = [{"source": "a" * 20, "target": "b"}]
    ((x, y, _),) = as_numpy(seq2seq_dataset(rows, TOKENIZER))
    assert x["encoder_token_ids"].shape == (1, 24) and x["decoder_token_ids"].shape == y.shape == (1, 8)


def test_prefix_lm_weights_only_the_target_and_its_eos():
    ((x, y, weights),) = as_numpy(
        prefix_lm_dataset(
            PAIRS, TOKENIZER, max_source_length=6, max_target_length=3, batch_size=2, padding="max_length"
        )
    )
    # "hello world" keeps its first 6 tokens; each side is cut on its own, whatever the other's length.
    # Each row is shifted before padding, so a short row's final eos is a label, not an input.
    np.testing.assert_array_equal(
        x["token_ids"], [[*ids("abc"), EOS, *ids("xy"), PAD, PAD, PAD], [*ids("hello "), EOS, *ids("q"), PAD]]
    )
    np.testing.assert_array_equal(
        y, [[*ids("bc"), EOS, *ids("xy"), EOS, PAD, PAD, PAD], [*ids("ello "), EOS, *ids("q"), EOS, PAD]]
    )
    np.testing.assert_array_equal(x["padding_mask"], [[1] * 6 + [0] * 3, [1] * 8 + [0]])
    np.testing.assert_array_equal(weights, [[0, 0, 0, 1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1, 0]])


def test_prefix_lm_separator_can_be_the_models():
    ((x, _, _),) = as_numpy(
        prefix_lm_dataset(PAIRS[:1], TOKENIZER, max_source_length=4, max_target_length=4, separator_id=BOS)
    )
    np.testing.assert_array_equal(x["token_ids"][0, :6], [*ids("abc"), BOS, *ids("xy")])


# --- Trained tokenizers ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wordpiece", "sentencepiece"])
def test_pipelines_tokenize_like_the_trained_tokenizer_in_python(kind):
    from zoo.data.synthetic import make_lm_text

    texts = [row["text"] for row in make_lm_text(300, seed=0)]
    tokenizer = train_tokenizer(kind, texts, 400)
    rows = [{"text": text, "label": "pos"} for text in texts[:20]]
    batches = as_numpy(classification_dataset(rows, tokenizer, LABELS, sequence_length=512, batch_size=8))
    got = sum((real_rows(x["token_ids"]) for x, _ in batches), [])
    assert got == [[BOS, *tokenizer.tokenize(text).tolist(), EOS] for text in texts[:20]]
    assert max(max(row) for row in got) < tokenizer.vocabulary_size
