import math

import keras
import numpy as np
import pytest

from zoo.metrics import NllAccumulator


def naive_nll(logits, labels):
    """-log softmax(logits)[label] per position, computed directly (fine for small logits)."""
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    return -np.log(np.take_along_axis(probabilities, labels[..., None], axis=-1)[..., 0])


def random_batch(rng, shape=(2, 5), vocabulary_size=7):
    logits = rng.normal(size=(*shape, vocabulary_size))
    labels = rng.integers(0, vocabulary_size, size=shape)
    return logits, labels


def test_uniform_logits_have_perplexity_equal_to_the_vocabulary_size():
    accumulator = NllAccumulator()
    accumulator.add(np.zeros((3, 4, 11)), np.arange(12).reshape(3, 4) % 11, np.ones((3, 4)))
    assert accumulator.num_tokens == 12
    assert accumulator.mean_nll == pytest.approx(math.log(11), abs=1e-12)
    assert accumulator.perplexity == pytest.approx(11, abs=1e-9)


def test_matches_a_naive_softmax_in_2d_and_3d():
    rng = np.random.default_rng(0)
    for shape in [(4,), (2, 5)]:
        logits, labels = random_batch(rng, shape)
        accumulator = NllAccumulator()
        accumulator.add(logits, labels)
        assert accumulator.total_nll == pytest.approx(naive_nll(logits, labels).sum(), rel=1e-12)
        assert accumulator.num_tokens == np.prod(shape)


def test_mean_nll_matches_the_keras_loss():
    logits, labels = random_batch(np.random.default_rng(1))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits.astype("float32"))
    accumulator = NllAccumulator()
    accumulator.add(logits, labels)
    assert accumulator.mean_nll == pytest.approx(float(keras.ops.convert_to_numpy(loss)), rel=1e-5)


def test_two_batches_equal_one_concatenated_batch():
    rng = np.random.default_rng(2)
    (logits_a, labels_a), (logits_b, labels_b) = random_batch(rng), random_batch(rng)
    weights_a, weights_b = rng.integers(0, 2, size=(2, 5)), rng.integers(0, 2, size=(2, 5))
    in_two = NllAccumulator()
    in_two.add(logits_a, labels_a, weights_a)
    in_two.add(logits_b, labels_b, weights_b)
    in_one = NllAccumulator()
    in_one.add(
        np.concatenate([logits_a, logits_b]),
        np.concatenate([labels_a, labels_b]),
        np.concatenate([weights_a, weights_b]),
    )
    assert in_two.total_nll == pytest.approx(in_one.total_nll, rel=1e-12)
    assert in_two.num_tokens == in_one.num_tokens == weights_a.sum() + weights_b.sum()
    assert in_two.perplexity == pytest.approx(in_one.perplexity, rel=1e-12)


def test_positions_with_weight_zero_are_ignored():
    logits, labels = random_batch(np.random.default_rng(3))
    weights = np.ones((2, 5))
    weights[:, 3:] = 0
    padded_logits, padded_labels = logits.copy(), labels.copy()
    padded_logits[:, 3, :] = -np.inf  # whatever a model emits at padding
    padded_logits[:, 4, :] = np.nan
    padded_labels[:, 3:] = -100  # an ignore-index filler, out of [0, V)
    accumulator = NllAccumulator()
    accumulator.add(padded_logits, padded_labels, weights)
    assert accumulator.num_tokens == 6
    assert accumulator.total_nll == pytest.approx(naive_nll(logits[:, :3], labels[:, :3]).sum(), rel=1e-12)


def test_huge_logits_stay_finite():
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]], dtype=np.float32)
    accumulator = NllAccumulator()
    accumulator.add(logits, np.array([0, 1]))
    # -log softmax: ~0 for the top logit, 1e4 for the next (exp(-1e4) terms vanish in float64).
    assert accumulator.total_nll == pytest.approx(1e4, rel=1e-12)
    assert accumulator.perplexity == math.inf  # exp(5000) overflows a float: reported as inf


def test_bad_shapes_are_refused():
    accumulator = NllAccumulator()
    match = r"Received: logits.shape=\(2, 5, 7\), labels.shape=\(2, 4\), weights.shape=\(2, 4\)"
    with pytest.raises(ValueError, match=match):
        accumulator.add(np.zeros((2, 5, 7)), np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match=r"Received: logits.shape=\(7,\), labels.shape=\(\)"):
        accumulator.add(np.zeros(7), np.array(3))
    with pytest.raises(ValueError, match=r"weights.shape=\(2, 4\)"):
        accumulator.add(np.zeros((2, 5, 7)), np.zeros((2, 5), dtype=int), np.ones((2, 4)))


def test_bad_labels_and_weights_are_refused():
    accumulator = NllAccumulator()
    with pytest.raises(ValueError, match=r"\[0, 3\) where weights > 0. Received: labels=3"):
        accumulator.add(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"integer class ids. Received: labels.dtype=float64"):
        accumulator.add(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"non-negative. Received: min\(weights\)=-1.0"):
        accumulator.add(np.zeros((2, 3)), np.array([0, 1]), np.array([1, -1]))
    assert accumulator.num_tokens == 0


@pytest.mark.parametrize("attribute", ["mean_nll", "perplexity"])
def test_nothing_added_is_refused(attribute):
    accumulator = NllAccumulator()
    accumulator.add(np.zeros((2, 3)), np.array([0, 1]), np.zeros(2))
    with pytest.raises(ValueError, match=r"No tokens were added.* Received: num_tokens=0.0"):
        getattr(accumulator, attribute)
