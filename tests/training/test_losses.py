import keras
import numpy as np
import pytest

from zoo.testing import assert_allclose, to_numpy
from zoo.training.losses import SparseCrossEntropy

VOCABULARY = 7


def random_batch(shape=(2, 5)):
    logits = (3.0 * np.random.randn(*shape, VOCABULARY)).astype("float32")
    labels = np.random.randint(0, VOCABULARY, shape).astype("int32")
    return labels, logits


def numpy_token_losses(labels, logits, label_smoothing):
    """Cross-entropy against the smoothed target `(1 - eps) * one_hot + eps / V`, in float64."""
    logits = logits.astype("float64")
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    target = (1 - label_smoothing) * np.eye(VOCABULARY)[labels] + label_smoothing / VOCABULARY
    return -(target * log_probs).sum(-1)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.3])
def test_matches_numpy_per_token_and_on_average(label_smoothing):
    labels, logits = random_batch()
    expected = numpy_token_losses(labels, logits, label_smoothing)
    per_token = SparseCrossEntropy(label_smoothing, reduction=None)(labels, logits)
    assert_allclose(per_token, expected)
    assert_allclose(SparseCrossEntropy(label_smoothing)(labels, logits), expected.mean())


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_matches_keras_categorical_cross_entropy_on_one_hot_labels(label_smoothing):
    labels, logits = random_batch()
    keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=label_smoothing)
    expected = keras_loss(np.eye(VOCABULARY, dtype="float32")[labels], logits)
    assert_allclose(SparseCrossEntropy(label_smoothing)(labels, logits), expected)


def test_labels_with_a_trailing_unit_axis():
    labels, logits = random_batch((4,))
    assert_allclose(SparseCrossEntropy(0.1)(labels[:, None], logits), SparseCrossEntropy(0.1)(labels, logits))


def test_zero_weighted_positions_neither_count_nor_dilute_the_mean():
    labels, logits = random_batch()
    weights = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], "float32")
    loss = SparseCrossEntropy(0.1)
    value = loss(labels, logits, sample_weight=weights)
    token_losses = numpy_token_losses(labels, logits, 0.1)
    assert_allclose(value, token_losses[weights == 1].mean())
    changed = logits.copy()
    changed[weights == 0] = 100.0 * np.random.randn(int((weights == 0).sum()), VOCABULARY)
    assert_allclose(loss(labels, changed, sample_weight=weights), value)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_precision_logits_give_the_float32_loss_of_their_values(dtype):
    """Large logits (about +-200): a log-softmax in half precision would be off by far more than 1e-5."""
    labels, logits = random_batch()
    half_logits = keras.ops.cast(60.0 * logits, dtype)
    loss = SparseCrossEntropy(0.1, reduction=None)(labels, half_logits)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    expected = numpy_token_losses(labels, to_numpy(keras.ops.cast(half_logits, "float32")), 0.1)
    assert_allclose(loss, expected, rtol=1e-5)


def test_trains_one_step_in_a_compiled_model():
    """fit's loss for one step is the loss of the weights before the update, padding weighted 0."""
    model = keras.Sequential(
        [keras.Input((5,), dtype="int32"), keras.layers.Embedding(VOCABULARY, 8), keras.layers.Dense(VOCABULARY)]
    )
    loss = SparseCrossEntropy(label_smoothing=0.1)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=loss)
    inputs, _ = random_batch()
    labels, _ = random_batch()
    weights = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], "float32")
    expected = numpy_token_losses(labels, to_numpy(model(inputs)), 0.1)[weights == 1].mean()
    history = model.fit(inputs, labels, sample_weight=weights, batch_size=2, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert float(to_numpy(loss(labels, model(inputs), sample_weight=weights))) < expected


def test_config_round_trip_and_safe_mode_deserialization():
    loss = SparseCrossEntropy(label_smoothing=0.2, reduction="sum", name="token_loss")
    config = loss.get_config()
    assert config == {"name": "token_loss", "reduction": "sum", "label_smoothing": 0.2}
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss), safe_mode=True)
    assert isinstance(restored, SparseCrossEntropy)
    assert restored.get_config() == config
    assert SparseCrossEntropy().get_config()["reduction"] == "mean_with_sample_weight"


@pytest.mark.parametrize("label_smoothing", [1.0, -0.1])
def test_rejects_bad_label_smoothing(label_smoothing):
    match = rf"`label_smoothing` must be a float in \[0, 1\). Received: label_smoothing={label_smoothing}"
    with pytest.raises(ValueError, match=match):
        SparseCrossEntropy(label_smoothing)
