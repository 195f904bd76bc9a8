import keras
import numpy as np

from tests.models.gpt.numpy_gpt import numpy_backbone, set_seeded_weights
from tests.models.gpt.tiny import GPT2_LIKE, right_padded_batch
from zoo.models.gpt import GPTBackbone, GPTClassifier, LastTokenPooling
from zoo.testing import assert_allclose, to_numpy


def test_last_token_pooling_gathers_at_length_minus_one():
    hidden = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
    padding_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
    expected = hidden[np.arange(3), padding_mask.sum(1) - 1]
    np.testing.assert_array_equal(to_numpy(LastTokenPooling()(hidden, padding_mask)), expected)


def test_classifier_reads_the_last_non_padding_token():
    classifier = GPTClassifier(GPTBackbone(**GPT2_LIKE), num_classes=3)
    set_seeded_weights(classifier, scale=0.2)
    batch = right_padded_batch()
    hidden = numpy_backbone(classifier.backbone, batch["token_ids"], batch["padding_mask"])
    last = hidden[np.arange(2), batch["padding_mask"].sum(1) - 1]
    expected = last @ to_numpy(classifier.head.kernel) + to_numpy(classifier.head.bias)
    logits = classifier(batch)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert_allclose(logits, expected, atol=1e-5)


def test_padding_after_the_text_does_not_change_the_prediction():
    classifier = GPTClassifier(GPTBackbone(**GPT2_LIKE), num_classes=3)
    short = {"token_ids": np.array([[4, 17, 8]]), "padding_mask": np.array([[1, 1, 1]])}
    padded = {"token_ids": np.array([[4, 17, 8, 0, 0]]), "padding_mask": np.array([[1, 1, 1, 0, 0]])}
    assert_allclose(classifier(padded), classifier(short), atol=1e-6)


def test_fit_predict_and_keras_round_trip(tmp_path):
    classifier = GPTClassifier(GPTBackbone(**GPT2_LIKE), num_classes=2, dropout=0.1)
    rng = np.random.default_rng(0)
    token_ids = rng.integers(1, 40, (8, 6)).astype("int32")
    token_ids[::2, 4:] = 0
    x = {"token_ids": token_ids, "padding_mask": (token_ids != 0).astype("int32")}
    labels = (token_ids[:, 0] > 20).astype("int32")
    classifier.compile(optimizer=keras.optimizers.Adam(1e-2))
    losses = classifier.fit(x, labels, epochs=4, batch_size=8, verbose=0).history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    assert classifier.predict(x, verbose=0).shape == (8, 2)
    path = str(tmp_path / "classifier.keras")
    classifier.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, GPTClassifier) and loaded.num_classes == 2
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(classifier(x)))
