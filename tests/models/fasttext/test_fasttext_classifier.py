import keras
import numpy as np
import pytest

from zoo.layers.hashed_bigrams import MAX_TOKEN_ID, MULTIPLIER
from zoo.models.fasttext import FastTextClassifier, classifier_config
from zoo.testing import assert_allclose, to_numpy

VOCABULARY, CLASSES, BUCKETS = 20, 3, 11
# Row 0 is right-padded, row 1 left-padded, row 2 has no padding; padded slots hold real-looking ids.
TOKEN_IDS = np.array([[3, 5, 7, 9, 4, 4], [6, 6, 2, 8, 1, 11], [12, 3, 3, 14, 5, 2]], "int32")
PADDING_MASK = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], "int32")
INPUTS = {"token_ids": TOKEN_IDS, "padding_mask": PADDING_MASK}


def tiny_classifier(**kwargs):
    return FastTextClassifier(VOCABULARY, CLASSES, **{"embedding_dim": 4, "num_bigram_buckets": BUCKETS, **kwargs})


def numpy_logits(classifier, token_ids, padding_mask):
    """The mean of the real tokens' and the real bigrams' rows, times the head: Python ints for the hash."""
    weights = {w.path.split("/")[-2]: to_numpy(w) for w in classifier.weights if w.path.endswith("embeddings")}
    kernel, bias = (to_numpy(w) for w in classifier.head.weights)
    logits = []
    for ids, mask in zip(token_ids.tolist(), padding_mask.tolist()):
        rows = [weights["token_embedding"][i] for i, m in zip(ids, mask) if m]
        if classifier.num_bigram_buckets:
            rows += [
                weights["bigram_embedding"][(a * MULTIPLIER + b) % classifier.num_bigram_buckets]
                for a, b, m, n in zip(ids, ids[1:], mask, mask[1:])
                if m and n
            ]
        logits.append(np.mean(rows, axis=0) @ kernel + bias)
    return np.array(logits)


def _randomize(classifier):
    rng = np.random.default_rng(0)
    for weight in classifier.weights:
        weight.assign(rng.normal(size=weight.shape).astype("float32"))


@pytest.mark.parametrize("buckets", [BUCKETS, 0])
def test_logits_match_numpy(buckets):
    classifier = tiny_classifier(num_bigram_buckets=buckets)
    _randomize(classifier)
    logits = classifier(INPUTS)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert_allclose(logits, numpy_logits(classifier, TOKEN_IDS, PADDING_MASK), atol=1e-5)
    assert ("bigram_embedding" in [layer.name for layer in classifier.layers]) == bool(buckets)


def test_padding_changes_nothing():
    classifier = tiny_classifier()
    _randomize(classifier)
    # Other ids in every padded slot and three more padded steps: ids that would change the logits if read.
    padded_ids = np.concatenate([np.where(PADDING_MASK == 1, TOKEN_IDS, 17), np.full((3, 3), 13)], axis=1)
    padded_mask = np.concatenate([PADDING_MASK, np.zeros((3, 3), "int32")], axis=1)
    padded = classifier({"token_ids": padded_ids.astype("int32"), "padding_mask": padded_mask})
    assert_allclose(padded, classifier(INPUTS), atol=1e-6)


def cross_entropy(logits, labels):
    log_probabilities = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return -log_probabilities[np.arange(len(labels)), labels].mean()


def test_fit_predict_and_keras_round_trip(tmp_path):
    classifier = tiny_classifier(dropout=0.1)
    classifier.compile(optimizer=keras.optimizers.AdamW(0.05))
    labels = np.array([0, 2, 1])
    loss_before = cross_entropy(classifier.predict(INPUTS, verbose=0), labels)
    history = classifier.fit(INPUTS, labels, epochs=10, batch_size=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    predictions = classifier.predict(INPUTS, verbose=0)
    assert cross_entropy(predictions, labels) < loss_before

    path = str(tmp_path / "classifier.keras")
    classifier.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is FastTextClassifier and loaded.get_config() == classifier.get_config()
    np.testing.assert_array_equal(loaded.predict(INPUTS, verbose=0), predictions)


def test_mixed_bfloat16_forward_is_float32_and_close():
    classifier = tiny_classifier(dtype="mixed_bfloat16")
    _randomize(classifier)
    logits = classifier(INPUTS)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert_allclose(logits, numpy_logits(classifier, TOKEN_IDS, PADDING_MASK), atol=0.1, rtol=0.05)


def test_presets_build_with_their_sizes():
    config = classifier_config("tiny", vocabulary_size=50, num_classes=2)
    classifier = FastTextClassifier(**config)
    assert classifier.count_params() == (50 + 4096) * 16 + (16 + 1) * 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_bigram_buckets": -1}, "num_bigram_buckets=-1"),
        ({"dropout": 1.5}, "dropout=1.5"),
        ({"embedding_dim": 0}, "embedding_dim=0"),
        ({"vocabulary_size": MAX_TOKEN_ID + 1}, "at most 214,"),
    ],
)
def test_bad_arguments_are_quoted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FastTextClassifier(**{"vocabulary_size": VOCABULARY, "num_classes": CLASSES, "embedding_dim": 4, **kwargs})
